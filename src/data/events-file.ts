import { headerIndex, readCsvRecords, withFile } from './csv';
import { LocalrecError } from '../errors';
import { ga4EventType, ga4ItemIds } from './ga4';
import { idOf, idRule, MAX_ITEM_ID_LENGTH, MAX_USER_ID_LENGTH } from './ids';
import { describe, parseDecimal, quote } from './text';
import { readTimestamp } from './timestamps';
import { EVENT_TYPES, type EventType, type Interaction, type IngestResult, type ItemMeta, type RowError } from './types';

export type EventsFormat = 'csv' | 'jsonl';

const EXPECTED_TYPES = 'expected view, cart, purchase or rating, or GA4 view_item, add_to_cart or purchase';

/**
 * Other column names accepted for each field, first non-empty wins: GA4 BigQuery-export
 * style (`event_name`, `event_timestamp`, `user_pseudo_id`, `items.item_id` once the items
 * are unnested; `user_id` is preferred where the shop sets it).
 */
const ALIASES: Record<string, readonly string[]> = {
  user: ['user_id', 'user_pseudo_id'],
  item: ['item_id', 'items.item_id'],
  type: ['event', 'event_name'],
  timestamp: ['event_timestamp'],
};

/** A raw record, from a CSV row or a JSONL object, before validation. */
type RawRecord = Record<string, unknown>;

/**
 * Parse an events file. CSV needs a header with user, item, type (or `event`), timestamp and
 * optionally rating; JSONL has one object per line with the same keys. GA4 names are accepted
 * too (see ALIASES and src/data/ga4.ts), and a JSONL row with a GA4 `items` array gives one
 * interaction per item. Bad rows are reported and skipped. Items not in `options.items` get a
 * minimal entry `{ id, title: id, categories: [] }`.
 */
export function parseEventsText(
  text: string,
  format: EventsFormat,
  options: { name?: string; items?: Map<string, ItemMeta>; file?: string } = {},
): IngestResult {
  const { file } = options;
  const errors: RowError[] = [];
  const interactions: Interaction[] = [];
  const records = format === 'csv' ? csvRecords(text, file, errors, ['user', 'item', 'timestamp'], ALIASES) : jsonlRecords(text, file, errors);
  if (format === 'csv' && records.keys !== null && !['type', ...ALIASES.type].some((k) => records.keys!.has(k))) {
    throw missingColumns(['type (or event, event_name)'], file);
  }

  for (const { line, value } of records.rows) {
    for (const record of expandItems(canonical(value))) {
      const problem = toInteraction(record);
      if (typeof problem === 'string') errors.push(withFile({ line, message: problem }, file));
      else interactions.push(problem);
    }
  }

  const items = new Map(options.items ?? []);
  for (const { item } of interactions) {
    if (!items.has(item)) items.set(item, { id: item, title: item, categories: [] });
  }
  return { dataset: { name: options.name ?? 'events', interactions, items }, errors };
}

/**
 * Parse an items metadata file: id (required), title, categories ('|'-separated, or an array in
 * JSONL; `category` is accepted too), brand, price, image and url (carried to items.json for
 * display). Duplicate ids keep the first row.
 */
export function parseItemsText(
  text: string,
  format: EventsFormat,
  options: { file?: string } = {},
): { items: Map<string, ItemMeta>; errors: RowError[] } {
  const { file } = options;
  const errors: RowError[] = [];
  const items = new Map<string, ItemMeta>();
  const records = format === 'csv' ? csvRecords(text, file, errors, ['id']) : jsonlRecords(text, file, errors);
  for (const { line, value } of records.rows) {
    const meta = toItemMeta(value);
    if (typeof meta === 'string') errors.push(withFile({ line, message: meta }, file));
    else if (items.has(meta.id)) errors.push(withFile({ line, message: `duplicate item id ${quote(meta.id)} (first row kept)` }, file));
    else items.set(meta.id, meta);
  }
  return { items, errors };
}

/** Format from the file extension: .csv, .jsonl or .ndjson; anything else throws 'data-format'. */
export function formatFromPath(path: string): EventsFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  throw new LocalrecError('data-format', `${path}: unknown file type (expected .csv, .jsonl or .ndjson)`, { path });
}

/** Read an events file and, optionally, an items metadata file (Node only). */
export async function loadEventsFile(path: string, options: { itemsPath?: string; name?: string } = {}): Promise<IngestResult> {
  const { basename } = await import('node:path');
  const format = formatFromPath(path);
  const itemsFormat = options.itemsPath === undefined ? undefined : formatFromPath(options.itemsPath);
  const errors: RowError[] = [];
  let items: Map<string, ItemMeta> | undefined;
  if (options.itemsPath !== undefined && itemsFormat !== undefined) {
    const parsed = parseItemsText(await readText(options.itemsPath), itemsFormat, { file: basename(options.itemsPath) });
    items = parsed.items;
    errors.push(...parsed.errors);
  }
  const name = options.name ?? basename(path).replace(/\.(csv|jsonl|ndjson)$/i, '');
  const result = parseEventsText(await readText(path), format, { name, items, file: basename(path) });
  return { dataset: result.dataset, errors: [...errors, ...result.errors] };
}

async function readText(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LocalrecError('data-missing-file', `${path}: no such file`, { path });
    throw new LocalrecError('data-unreadable-file', `cannot read ${path}: ${String(err)}`, { path });
  }
}

/** The canonical field names filled from their aliases (first non-empty alias wins). */
function canonical(r: RawRecord): RawRecord {
  const out: RawRecord = { ...r };
  for (const [key, aliases] of Object.entries(ALIASES)) {
    if (!isBlank(out[key])) continue;
    const alias = aliases.find((a) => !isBlank(r[a]));
    if (alias !== undefined) out[key] = r[alias];
  }
  return out;
}

/** A GA4 row with an `items` array and no item of its own: one record per item. */
function expandItems(r: RawRecord): RawRecord[] {
  if (!isBlank(r.item) || !Array.isArray(r.items)) return [r];
  const ids = ga4ItemIds(r.items);
  return ids.length === 0 ? [r] : ids.map((item) => ({ ...r, item }));
}

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function toInteraction(r: RawRecord): Interaction | string {
  const user = idOf(r.user, MAX_USER_ID_LENGTH);
  if (user === undefined) return badId('user', r.user, MAX_USER_ID_LENGTH);
  const item = idOf(r.item, MAX_ITEM_ID_LENGTH);
  if (item === undefined) return badId('item', r.item, MAX_ITEM_ID_LENGTH);
  const rawType = r.type;
  const name = typeof rawType === 'string' ? rawType.trim().toLowerCase() : undefined;
  if (name === undefined || name === '') return `missing event type (${EXPECTED_TYPES})`;
  const type = ga4EventType(name) ?? name;
  if (!isEventType(type)) return `unknown event type ${quote(String(rawType))} (${EXPECTED_TYPES})`;
  if (isBlank(r.timestamp)) return 'missing timestamp';
  const ts = readTimestamp(r.timestamp);
  if (typeof ts === 'string') return ts;
  if (type !== 'rating') return { user, item, type, ts };
  const rating = numberOf(r.rating);
  if (rating === undefined) return `rating event needs a numeric rating, got ${describe(r.rating)}`;
  return { user, item, type, ts, rating };
}

function toItemMeta(r: RawRecord): ItemMeta | string {
  const id = idOf(r.id, MAX_ITEM_ID_LENGTH);
  if (id === undefined) return `missing or invalid item id ${describe(r.id)}`;
  const title = typeof r.title === 'string' && r.title.trim() !== '' ? r.title.trim() : id;
  const rawCats = r.categories ?? r.category;
  let categories: string[];
  if (Array.isArray(rawCats)) {
    if (!rawCats.every((c): c is string => typeof c === 'string')) return 'categories must be strings';
    categories = rawCats.map((c) => c.trim()).filter(Boolean);
  } else if (typeof rawCats === 'string') {
    categories = rawCats.split('|').map((c) => c.trim()).filter(Boolean);
  } else if (rawCats === undefined || rawCats === null) {
    categories = [];
  } else {
    return `categories must be a '|'-separated string or an array, got ${describe(rawCats)}`;
  }
  const meta: ItemMeta = { id, title, categories };
  if (typeof r.brand === 'string' && r.brand.trim() !== '') meta.brand = r.brand.trim();
  if (r.price !== undefined && r.price !== null && r.price !== '') {
    const price = numberOf(r.price);
    if (price === undefined || price < 0) return `price ${describe(r.price)} is not a non-negative number`;
    meta.price = price;
  }
  for (const key of ['image', 'url'] as const) {
    const value = r[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') return `${key} must be a string, got ${describe(value)}`;
    if (value.length > 2048) return `${key} is longer than 2048 characters`;
    meta[key] = value.trim();
  }
  return meta;
}

function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

function badId(what: 'user' | 'item', v: unknown, maxLength: number): string {
  return `missing or invalid ${what} ${describe(v)} (expected ${idRule(maxLength)})`;
}

function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') return parseDecimal(v);
  return undefined;
}

function missingColumns(missing: string[], file: string | undefined, hint = ''): LocalrecError {
  const where = file ?? 'CSV input';
  return new LocalrecError('data-missing-column', `${where}: header lacks required column(s) ${missing.join(', ')}${hint}`, { file, missing: missing.join(', ') });
}

/** Why a CSV header may look empty: the file is UTF-16 (NUL bytes between letters) or not comma-separated. */
function headerHint(text: string): string {
  const first = text.slice(0, text.search(/\r?\n|$/));
  if (first.includes('\u0000')) return ' (the file looks like UTF-16; save it as UTF-8)';
  const sep = [';', '\t', '|'].find((c) => first.includes(c) && !first.includes(','));
  return sep ? ` (the header is separated by ${sep === '\t' ? 'tabs' : `"${sep}"`}; only commas are read)` : '';
}

interface Rows {
  rows: { line: number; value: RawRecord }[];
  /** Header names (CSV only). */
  keys: Set<string> | null;
}

function csvRecords(text: string, file: string | undefined, errors: RowError[], required: string[], aliases: Record<string, readonly string[]> = {}): Rows {
  const { records, errors: csvErrors } = readCsvRecords(text, file);
  errors.push(...csvErrors);
  const [header, ...body] = records;
  const idx = headerIndex(header?.fields ?? []);
  const missing = required.filter((k) => !idx.has(k) && !(aliases[k] ?? []).some((a) => idx.has(a)));
  if (missing.length > 0) throw missingColumns(missing, file, headerHint(text));
  const width = header.fields.length;
  const rows: Rows['rows'] = [];
  for (const { line, fields } of body) {
    if (fields.length !== width) {
      errors.push(withFile({ line, message: `expected ${width} columns, found ${fields.length}` }, file));
      continue;
    }
    const value: RawRecord = {};
    for (const [k, i] of idx) value[k] = fields[i];
    rows.push({ line, value });
  }
  return { rows, keys: new Set(idx.keys()) };
}

function jsonlRecords(text: string, file: string | undefined, errors: RowError[]): Rows {
  const rows: Rows['rows'] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const s = (i === 0 ? raw.replace(/^\uFEFF/, '') : raw).trim();
    if (s === '') return;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (err) {
      errors.push(withFile({ line, message: `invalid JSON (${(err as Error).message})` }, file));
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(withFile({ line, message: 'expected a JSON object' }, file));
      return;
    }
    rows.push({ line, value: value as RawRecord });
  });
  return { rows, keys: null };
}
