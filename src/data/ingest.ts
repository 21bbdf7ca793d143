/**
 * What one input row becomes, whatever the file format: the rules of events-file ingestion
 * in one place. A row is a localrec event (`user,item,type,timestamp`) or a GA4 BigQuery
 * export row, nested (`event_name`, `event_timestamp`, `user_pseudo_id`, `items[]`) or
 * flattened by an `UNNEST(items)` query (`item_id`, `item_name`, … one row per item).
 *
 * - A row whose event is not a shopping interaction (session_start, page_view,
 *   view_item_list, …) is skipped and counted by its event name: it is someone else's
 *   event, not a malformed row.
 * - An interaction row that names no item (no `items[]`, an empty one, '(not set)') is
 *   skipped and counted as such; each valid item of a multi-item event is an interaction.
 * - A row with a broken user, item id or timestamp is malformed: counted, and the first
 *   MAX_ROW_ERRORS_KEPT are kept with their line and message.
 * - Item metadata (title, brand, categories from item_category…5, price) is collected from
 *   the rows' items when no items file describes an item; '(not set)' is absent.
 *
 * Strings are interned, so a user id repeated over a million rows is held once.
 * Browser-safe: the file readers (Node) feed it.
 */
import { ga4EventType, ga4Value } from './ga4';
import { GA4_NOT_SET, idOf, idRule, MAX_ITEM_ID_LENGTH, MAX_USER_ID_LENGTH } from './ids';
import { clipText, ITEM_META_LIMITS } from './item-meta';
import { MAX_RATING, MIN_RATING, onScale } from './ratings';
import { describe, parseDecimal } from './text';
import { readTimestamp } from './timestamps';
import {
  EVENT_TYPES,
  MAX_ROW_ERRORS_KEPT,
  type EventType,
  type Interaction,
  type IngestResult,
  type IngestSummary,
  type ItemMeta,
  type RowError,
} from './types';

/** A raw record, from a CSV row (header names lower-cased) or a JSON object, before validation. */
export type RawRecord = Record<string, unknown>;

/**
 * Each field a row may carry and the names it is accepted under, first non-empty wins:
 * localrec's own name, then GA4 export names (`user_id` before `user_pseudo_id`, as the shop
 * sets it when it knows the shopper). Flattened item columns are also accepted with an
 * `items.`, `items_` or `item.` prefix (see canonicalColumn).
 */
export const FIELD_NAMES = {
  user: ['user', 'user_id', 'user_pseudo_id'],
  item: ['item', 'item_id'],
  type: ['type', 'event', 'event_name'],
  timestamp: ['timestamp', 'event_timestamp'],
} as const;
export type RequiredField = keyof typeof FIELD_NAMES;

const CATEGORY_FIELDS = ['item_category', 'item_category2', 'item_category3', 'item_category4', 'item_category5'] as const;
/** The GA4 item fields ingestion reads: the id and what itemMetaOf takes, in this order. */
export const ITEM_FIELDS_READ: readonly string[] = ['item_id', 'item_name', 'item_brand', ...CATEGORY_FIELDS, 'price'];
/** The GA4 `items[]` fields a flattened export names, with or without a prefix. */
const GA4_ITEM_FIELDS = new Set([...ITEM_FIELDS_READ, 'item_variant', 'quantity', 'item_list_name']);
const ITEM_PREFIXES = ['items.', 'items_', 'item.'] as const;

/** A header or column name as a field name: lower-cased, trimmed, and `items_item_id` / `items.item_id` / `item.item_id` as `item_id`. */
export function canonicalColumn(name: string): string {
  const k = name.trim().toLowerCase();
  for (const p of ITEM_PREFIXES) {
    if (k.startsWith(p) && GA4_ITEM_FIELDS.has(k.slice(p.length))) return k.slice(p.length);
  }
  return k;
}

/** Every accepted spelling of a required field, for messages ("item, item_id, items.item_id, …"). */
export function acceptedSpellings(field: RequiredField): string[] {
  const names: string[] = [...FIELD_NAMES[field]];
  if (field === 'item') names.push(...ITEM_PREFIXES.map((p) => `${p}item_id`));
  return names;
}

/** What the row readers hand over. */
export interface RowSink {
  /** One input row, parsed. */
  row(line: number, record: RawRecord): void;
  /** `count` rows (default 1) skipped by their event name before they were parsed (the NDJSON and Parquet fast paths). */
  skipEvent(name: string, count?: number): void;
  /** A row that could not be parsed. */
  bad(line: number, message: string): void;
}

const LOCALREC_TYPES = new Set<string>(EVENT_TYPES);

/** Whether a row with this event name would be skipped whole, so a reader need not parse it (see the NDJSON reader). */
export function isSkippedEventName(name: string): boolean {
  const n = name.toLowerCase();
  return !LOCALREC_TYPES.has(n) && ga4EventType(n) === undefined;
}

/** Collects interactions, item metadata and the summary from rows. */
export class EventsIngest implements RowSink {
  private readonly interactions: Interaction[] = [];
  private readonly errors: RowError[] = [];
  private readonly strings = new Map<string, string>();
  private readonly exportMeta = new Map<string, ItemMeta>();
  private readonly summary: IngestSummary = {
    rows: 0,
    kept: { view: 0, cart: 0, purchase: 0, rating: 0 },
    skippedEvents: {},
    noItem: {},
    bad: 0,
    itemMeta: { source: 'none', titled: 0, categorised: 0 },
  };

  /** The file rows come from now, named in their errors (an export may come in several shards). */
  file: string | undefined;

  /** `items`: an items file's catalogue, which wins over the export's own item fields. */
  constructor(private readonly options: { file?: string; items?: Map<string, ItemMeta>; now?: number } = {}) {
    this.file = options.file;
  }

  row(line: number, r: RawRecord): void {
    this.summary.rows++;
    const rawType = pick(r, FIELD_NAMES.type);
    if (rawType === undefined) return this.fail(line, `missing event type (${acceptedSpellings('type').join(', ')}: view, cart, purchase or rating, or a GA4 event name)`);
    if (typeof rawType !== 'string') return this.fail(line, `event type ${describe(rawType)} is not text`);
    const name = rawType.trim().toLowerCase();
    const type = LOCALREC_TYPES.has(name) ? (name as EventType) : ga4EventType(name);
    if (type === undefined) return void count(this.summary.skippedEvents, name === '' ? '(empty)' : name);

    const rawUser = pick(r, FIELD_NAMES.user);
    const user = idOf(rawUser, MAX_USER_ID_LENGTH);
    if (user === undefined) return this.fail(line, `missing or invalid user ${describe(rawUser)} (expected ${idRule(MAX_USER_ID_LENGTH)})`);
    const rawTs = pick(r, FIELD_NAMES.timestamp);
    if (rawTs === undefined) return this.fail(line, 'missing timestamp');
    const ts = readTimestamp(rawTs, this.options.now);
    if (typeof ts === 'string') return this.fail(line, ts);
    let rating: number | undefined;
    if (type === 'rating') {
      rating = numberOf(r.rating);
      if (rating === undefined) return this.fail(line, `rating event needs a numeric rating, got ${describe(r.rating)}`);
      if (!onScale(rating)) return this.fail(line, `rating ${rating} is outside ${MIN_RATING}–${MAX_RATING} (the scale the SDK tracks)`);
    }

    // The items: the row's own (localrec or a flattened export), else each entry of a nested items[].
    const own = pick(r, FIELD_NAMES.item);
    const entries: RawRecord[] = own !== undefined ? [r] : Array.isArray(r.items) ? (r.items as unknown[]).filter(isRecord) : [];
    const ids: string[] = [];
    for (const entry of entries) {
      const raw = entry === r ? own : ga4Value(entry.item_id);
      if (raw === undefined) continue;
      const id = idOf(raw, MAX_ITEM_ID_LENGTH);
      if (id === undefined) return this.fail(line, `missing or invalid item ${describe(raw)} (expected ${idRule(MAX_ITEM_ID_LENGTH)})`);
      ids.push(this.intern(id));
      this.noteMeta(ids[ids.length - 1], entry);
    }
    if (ids.length === 0) return void count(this.summary.noItem, name);

    const u = this.intern(user);
    for (const item of ids) {
      this.interactions.push(rating === undefined ? { user: u, item, type, ts } : { user: u, item, type, ts, rating });
      this.summary.kept[type]++;
    }
  }

  skipEvent(name: string, n = 1): void {
    this.summary.rows += n;
    count(this.summary.skippedEvents, name.toLowerCase(), n);
  }

  bad(line: number, message: string): void {
    this.summary.rows++;
    this.fail(line, message);
  }

  /** The data set named `name`; items without metadata get `{ id, title: id, categories: [] }`. */
  result(name: string): IngestResult {
    const given = this.options.items;
    const items = new Map<string, ItemMeta>(given ?? []);
    for (const { item } of this.interactions) {
      if (!items.has(item)) items.set(item, this.exportMeta.get(item) ?? { id: item, title: item, categories: [] });
    }
    const meta = this.summary.itemMeta;
    meta.source = given !== undefined && given.size > 0 ? 'items file' : this.exportMeta.size > 0 ? 'export' : 'none';
    for (const it of items.values()) {
      if (it.title !== it.id) meta.titled++;
      if (it.categories.length > 0) meta.categorised++;
    }
    return { dataset: { name, interactions: this.interactions, items }, errors: this.errors, summary: this.summary };
  }

  private fail(line: number, message: string): void {
    this.summary.bad++;
    if (this.errors.length < MAX_ROW_ERRORS_KEPT) this.errors.push(this.file === undefined ? { line, message } : { line, message, file: this.file });
  }

  private intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

  /** Metadata of `id` from an item entry or a flattened row: the first value seen of each field is kept. */
  private noteMeta(id: string, e: RawRecord): void {
    if (this.options.items?.has(id)) return;
    const cur = this.exportMeta.get(id);
    // Most rows repeat an item already fully described: nothing to read.
    if (cur !== undefined && cur.title !== id && cur.categories.length > 0 && cur.brand !== undefined && cur.price !== undefined) return;
    const found = itemMetaOf(id, e);
    if (found === undefined) return;
    if (cur === undefined) {
      this.exportMeta.set(id, found);
      return;
    }
    if (cur.title === id && found.title !== id) cur.title = found.title;
    if (cur.categories.length === 0 && found.categories.length > 0) cur.categories = found.categories;
    if (cur.brand === undefined && found.brand !== undefined) cur.brand = found.brand;
    if (cur.price === undefined && found.price !== undefined) cur.price = found.price;
  }
}

/**
 * An item's display fields from a GA4 items[] entry or a flattened row (`item_name`,
 * `item_brand`, `item_category`…5, `price`; or localrec's `title`, `brand`, `categories`),
 * clipped to ITEM_META_LIMITS; undefined when the row carries none.
 */
export function itemMetaOf(id: string, e: RawRecord): ItemMeta | undefined {
  const L = ITEM_META_LIMITS;
  const title = text(e.item_name) ?? text(e.title);
  const brand = text(e.item_brand) ?? text(e.brand);
  const categories: string[] = [];
  for (const f of CATEGORY_FIELDS) {
    const c = text(e[f]);
    if (c !== undefined && !categories.includes(c)) categories.push(clipText(c, L.name));
  }
  if (categories.length === 0) {
    const listed = e.categories ?? e.category;
    const parts = typeof listed === 'string' ? listed.split('|') : Array.isArray(listed) ? listed : [];
    for (const p of parts) {
      const c = text(p);
      if (c !== undefined && !categories.includes(c) && categories.length < L.categories) categories.push(clipText(c, L.name));
    }
  }
  const rawPrice = ga4Value(e.price);
  const price = rawPrice === undefined ? undefined : numberOf(rawPrice);
  if (title === undefined && brand === undefined && categories.length === 0 && price === undefined) return undefined;
  const meta: ItemMeta = { id, title: title === undefined ? id : clipText(title, L.title), categories };
  if (brand !== undefined) meta.brand = clipText(brand, L.name);
  if (price !== undefined && price >= 0) meta.price = price;
  return meta;
}

/** The first present value among `names` ('(not set)', null and empty are absent). */
function pick(r: RawRecord, names: readonly string[]): unknown {
  for (const n of names) {
    const v = r[n];
    if (v === undefined || v === null || v === '' || v === GA4_NOT_SET) continue;
    return v;
  }
  return undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return s === '' || s === GA4_NOT_SET ? undefined : s;
}

function isRecord(v: unknown): v is RawRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(m: Record<string, number>, key: string, n = 1): void {
  m[key] = (m[key] ?? 0) + n;
}

export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return parseDecimal(v);
  return undefined;
}
