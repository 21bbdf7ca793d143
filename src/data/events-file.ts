/**
 * Events and items files: the formats, the required columns, and the two ways in — a text
 * (tests, small inputs) and a file streamed with bounded memory (the CLI). Both run the
 * same line parsers (records.ts) into the same row rules (ingest.ts).
 */
import { LocalrecError } from '../errors';
import { GA4_EVENT_TYPES } from './ga4';
import { idOf, idRule, MAX_ITEM_ID_LENGTH } from './ids';
import { acceptedSpellings, EventsIngest, FIELD_NAMES, itemMetaOf, type RawRecord, type RequiredField, type RowSink } from './ingest';
import { ITEM_META_LIMITS } from './item-meta';
import { CsvLines, JsonLines, type LineParser } from './records';
import { describe, quote } from './text';
import { EVENT_TYPES, MAX_ROW_ERRORS_KEPT, type IngestResult, type ItemMeta, type RowError } from './types';

export type EventsFormat = 'csv' | 'jsonl' | 'parquet';

/** The file types read, by ending (each also gzip-compressed, `.gz`, except Parquet, which compresses inside). */
const FORMAT_ENDINGS: [string, EventsFormat][] = [
  ['.csv', 'csv'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  // BigQuery names its newline-delimited JSON exports .json.
  ['.json', 'jsonl'],
  ['.parquet', 'parquet'],
];

/** Format from the file name; anything else throws 'data-format'. */
export function formatFromPath(path: string): EventsFormat {
  const lower = path.toLowerCase().replace(/\.gz$/, '');
  const found = FORMAT_ENDINGS.find(([end]) => lower.endsWith(end));
  if (found === undefined || (found[1] === 'parquet' && path.toLowerCase().endsWith('.gz'))) {
    throw new LocalrecError('data-format', `${path}: unknown file type (expected .csv, .json, .jsonl, .ndjson, each optionally .gz, or .parquet)`, { path });
  }
  return found[1];
}

/** The file name without its format ending (a data set's default name). */
export function baseName(file: string): string {
  return file.replace(/\.gz$/i, '').replace(/\.(csv|jsonl|ndjson|json|parquet)$/i, '');
}

const REQUIRED: readonly RequiredField[] = ['user', 'item', 'type', 'timestamp'];

/** data-missing-column naming every accepted spelling of each missing field. */
function missingColumns(missing: string[], file: string | undefined, hint = ''): LocalrecError {
  const where = file ?? 'CSV input';
  return new LocalrecError('data-missing-column', `${where}: header lacks required column(s) ${missing.join('; ')}${hint}`, { file, missing: missing.join('; ') });
}

/** The events header's check: each required field under one of its spellings. */
function checkEventColumns(file: string | undefined) {
  return (columns: string[], firstLine: string) => {
    const have = new Set(columns);
    const missing = REQUIRED.filter((f) => !FIELD_NAMES[f].some((n) => have.has(n)));
    // A nested GA4 export's items[] carries the item: only a flattened file needs an item column.
    const needed = missing.filter((f) => !(f === 'item' && have.has('items')));
    if (needed.length > 0) {
      const named = needed.map((f) => `${f} (accepted: ${acceptedSpellings(f).join(', ')})`);
      throw missingColumns(named, file, headerHint(firstLine));
    }
  };
}

/** Why a CSV header may look wrong: the file is UTF-16 (NUL bytes between letters) or not comma-separated. */
function headerHint(first: string): string {
  if (first.includes('\u0000')) return ' (the file looks like UTF-16; save it as UTF-8)';
  const sep = [';', '\t', '|'].find((c) => first.includes(c) && !first.includes(','));
  return sep ? ` (the header is separated by ${sep === '\t' ? 'tabs' : `"${sep}"`}; only commas are read)` : '';
}

function lineParser(format: 'csv' | 'jsonl', sink: RowSink, checkHeader: (columns: string[], firstLine: string) => void): LineParser {
  return format === 'csv' ? new CsvLines(sink, checkHeader) : new JsonLines(sink);
}

/** Text lines into a parser (the text API's reader). */
function feedText(text: string, parser: LineParser): void {
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    lineNo++;
    if (!(nl === text.length && start === nl)) parser.line(lineNo, text.slice(start, end));
    start = nl + 1;
  }
  parser.end();
}

/**
 * Parse an events text (CSV or JSONL; see ingest.ts for what each row becomes). Bad rows are
 * reported and skipped; rows of other events are counted in the summary. Items not in
 * `options.items` take their metadata from the rows (a GA4 export's items[]), else
 * `{ id, title: id, categories: [] }`.
 */
export function parseEventsText(
  text: string,
  format: 'csv' | 'jsonl',
  options: { name?: string; items?: Map<string, ItemMeta>; file?: string; now?: number } = {},
): IngestResult {
  const ingest = new EventsIngest(options);
  feedText(text, lineParser(format, ingest, checkEventColumns(options.file)));
  return ingest.result(options.name ?? 'events');
}

/** The items file's rows: id (required), title, categories ('|'-separated or an array), brand, price, image, url. Duplicate ids keep the first row. */
class ItemsSink implements RowSink {
  readonly items = new Map<string, ItemMeta>();
  readonly errors: RowError[] = [];
  constructor(private readonly file: string | undefined) {}

  row(line: number, r: RawRecord): void {
    const meta = toItemMeta(r);
    if (typeof meta === 'string') this.bad(line, meta);
    else if (this.items.has(meta.id)) this.bad(line, `duplicate item id ${quote(meta.id)} (first row kept)`);
    else this.items.set(meta.id, meta);
  }
  skipEvent(): void {}
  bad(line: number, message: string): void {
    if (this.errors.length < MAX_ROW_ERRORS_KEPT) this.errors.push(this.file === undefined ? { line, message } : { line, message, file: this.file });
  }
}

function checkItemColumns(file: string | undefined) {
  return (columns: string[], firstLine: string) => {
    if (!columns.includes('id') && !columns.includes('item_id')) throw missingColumns(['id (accepted: id, item_id)'], file, headerHint(firstLine));
  };
}

/**
 * Parse an items metadata text: id (or item_id), title (or item_name), categories
 * ('|'-separated, an array in JSONL, `category`, or item_category…5), brand, price, image and
 * url (carried to items.json for display), each clipped to ITEM_META_LIMITS.
 */
export function parseItemsText(text: string, format: 'csv' | 'jsonl', options: { file?: string } = {}): { items: Map<string, ItemMeta>; errors: RowError[] } {
  const sink = new ItemsSink(options.file);
  feedText(text, lineParser(format, sink, checkItemColumns(options.file)));
  return { items: sink.items, errors: sink.errors };
}

function toItemMeta(r: RawRecord): ItemMeta | string {
  const rawId = r.id ?? r.item_id;
  const id = idOf(rawId, MAX_ITEM_ID_LENGTH);
  if (id === undefined) return `missing or invalid item id ${describe(rawId)} (expected ${idRule(MAX_ITEM_ID_LENGTH)})`;
  const listed = r.categories ?? r.category;
  if (Array.isArray(listed) && !listed.every((c) => typeof c === 'string')) return 'categories must be strings';
  if (listed !== undefined && listed !== null && typeof listed !== 'string' && !Array.isArray(listed)) {
    return `categories must be a '|'-separated string or an array, got ${describe(listed)}`;
  }
  const meta = itemMetaOf(id, r) ?? { id, title: id, categories: [] };
  if (r.price !== undefined && r.price !== null && r.price !== '' && meta.price === undefined) return `price ${describe(r.price)} is not a non-negative number`;
  for (const key of ['image', 'url'] as const) {
    const value = r[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') return `${key} must be a string, got ${describe(value)}`;
    if (value.length > ITEM_META_LIMITS.url) return `${key} is longer than ${ITEM_META_LIMITS.url} characters`;
    meta[key] = value.trim();
  }
  return meta;
}

/** The GA4 and localrec event names that are interactions (a Parquet reader decodes items[] only for these). */
const INTERACTION_NAMES = [...EVENT_TYPES, ...Object.keys(GA4_EVENT_TYPES)];

/** Streams one file's rows into `sink`, by its format. */
async function readInto(path: string, format: EventsFormat, sink: RowSink, checkHeader: (columns: string[], firstLine: string) => void): Promise<void> {
  const { readLines, readParquet } = await import('./read-file');
  if (format === 'parquet') await readParquet(path, sink, (columns) => checkHeader(columns, ''), INTERACTION_NAMES);
  else await readLines(path, lineParser(format, sink, checkHeader), sink);
}

export interface LoadOptions {
  /** An items metadata file, which wins over the export's own item fields. */
  itemsPath?: string;
  name?: string;
  /** The clock the future check uses (tests). */
  now?: number;
}

/** Read an events file and, optionally, an items metadata file (Node only), streamed: memory holds the interactions, not the file. */
export async function loadEventsFile(path: string, options: LoadOptions = {}): Promise<IngestResult> {
  return loadEventsFiles([path], options);
}

/**
 * Read the shards of one export (BigQuery writes an export of more than 1 GB as
 * `events-000000000000.json`, `events-000000000001.json`, …) as one events file, in the
 * order given; each shard keeps its own line numbers and CSV header.
 */
export async function loadEventsFiles(paths: readonly string[], options: LoadOptions = {}): Promise<IngestResult> {
  const { basename } = await import('node:path');
  const formats = paths.map(formatFromPath);
  const errors: RowError[] = [];
  let items: Map<string, ItemMeta> | undefined;
  if (options.itemsPath !== undefined) {
    const itemsFile = basename(options.itemsPath);
    const sink = new ItemsSink(itemsFile);
    await readInto(options.itemsPath, formatFromPath(options.itemsPath), sink, checkItemColumns(itemsFile));
    items = sink.items;
    errors.push(...sink.errors);
  }
  const ingest = new EventsIngest({ items, now: options.now });
  for (const [i, path] of paths.entries()) {
    const file = basename(path);
    ingest.file = file;
    await readInto(path, formats[i], ingest, checkEventColumns(file));
  }
  const result = ingest.result(options.name ?? baseName(basename(paths[0])));
  // The items file's bad rows are listed with the events' (they lose an item's metadata, not an interaction).
  return { ...result, errors: [...errors, ...result.errors].slice(0, MAX_ROW_ERRORS_KEPT) };
}
