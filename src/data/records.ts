/**
 * Lines → records for the two text formats, one line at a time, so a reader holds one
 * line (or one multi-line CSV record) however large the file: NDJSON/JSONL (one JSON
 * object per line) and CSV with a header. Both hand their records to a RowSink.
 * Browser-safe; the Node file readers (src/data/read-file.ts) feed them.
 */
import { LocalrecError } from '../errors';
import { canonicalColumn, isSkippedEventName, type RawRecord, type RowSink } from './ingest';

/** One line's parser: `line` for each line (without its line break), then `end`. */
export interface LineParser {
  line(lineNo: number, text: string): void;
  /** The same for a line still in a file's bytes (`buf[start..end)`), where a parser can skip a line without decoding it. */
  bytes?(lineNo: number, buf: Uint8Array, start: number, end: number): void;
  end(): void;
}

const EVENT_NAME_KEY = '"event_name"';

const encoder = new TextEncoder();

/** peekEventNameBytes of a line already decoded: the same rule, applied to its UTF-8 bytes. */
export function peekEventName(s: string): string | undefined {
  const b = encoder.encode(s);
  return peekEventNameBytes(b, 0, b.length);
}

const EVENT_NAME_BYTES = new TextEncoder().encode(EVENT_NAME_KEY);
const TYPE_BYTES = new TextEncoder().encode('"type"');
const EVENT_BYTES = new TextEncoder().encode('"event"');
/** BigQuery writes its columns in schema order, so its rows start with this and have no `type` or `event` column. */
const BIGQUERY_ROW_START = new TextEncoder().encode('{"event_date"');

/** indexOf of `needle` in `buf[start..end)`, or -1. */
function find(buf: Uint8Array, needle: Uint8Array, start: number, end: number): number {
  // Buffer's native search where there is one (Node); a plain scan elsewhere.
  const hay = buf.subarray(start, end) as Uint8Array & { indexOf(v: Uint8Array): number };
  if (typeof Buffer !== 'undefined' && Buffer.isBuffer(hay)) return hay.indexOf(needle);
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The event name of a GA4 export line (`buf[start..end)`) without decoding or parsing it,
 * or undefined when the line is not plainly one: no top-level-looking `"event_name"` key,
 * an escape in the name, or a `type` or `event` key that would take precedence. A key's
 * quotes cannot occur unescaped inside a JSON string, so a match preceded by no backslash
 * and followed by a colon is a key. A row as BigQuery writes it (starting with
 * `{"event_date"`) has no `type` or `event` column, so a `"type"` there is a nested key
 * (an event parameter's) and does not count. The one rule for lines as bytes and as text.
 */
export function peekEventNameBytes(buf: Uint8Array, start: number, end: number): string | undefined {
  const rel = find(buf, EVENT_NAME_BYTES, start, end);
  if (rel < 0) return undefined;
  const at = start + rel;
  if (at > start && buf[at - 1] === 92) return undefined;
  let i = at + EVENT_NAME_BYTES.length;
  while (buf[i] === 32) i++;
  if (buf[i++] !== 58) return undefined;
  while (buf[i] === 32) i++;
  if (buf[i] !== 34) return undefined;
  let j = i + 1;
  while (j < end && buf[j] !== 34) {
    if (buf[j] === 92) return undefined;
    j++;
  }
  if (j >= end) return undefined;
  const bigQuery = end - start >= BIGQUERY_ROW_START.length && BIGQUERY_ROW_START.every((b, k) => buf[start + k] === b);
  if (!bigQuery && (find(buf, TYPE_BYTES, start, end) >= 0 || find(buf, EVENT_BYTES, start, end) >= 0)) return undefined;
  return new TextDecoder().decode(buf.subarray(i + 1, j));
}

/**
 * NDJSON/JSONL: one object per line. A line whose GA4 event is not an interaction is
 * counted by name without being parsed: most of an export's rows are such events, and
 * JSON.parse of each would dominate the read time (a malformed line among them is skipped
 * with them, not reported).
 */
export class JsonLines implements LineParser {
  constructor(private readonly sink: RowSink) {}

  line(lineNo: number, raw: string): void {
    const s = lineNo === 1 ? raw.replace(/^\uFEFF/, '').trim() : raw.trim();
    if (s === '') return;
    const name = peekEventName(s);
    if (name !== undefined && isSkippedEventName(name)) return this.sink.skipEvent(name);
    this.parse(lineNo, s);
  }

  bytes(lineNo: number, buf: Uint8Array, start: number, end: number): void {
    const name = peekEventNameBytes(buf, start, end);
    if (name !== undefined && isSkippedEventName(name)) return this.sink.skipEvent(name);
    const s = decoder.decode(buf.subarray(start, end));
    // Checked only now: a BOM or surrounding blanks are rare, and the peek above needs neither removed.
    if (lineNo === 1 || s.length === 0 || s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32) this.line(lineNo, s);
    else this.parse(lineNo, s);
  }

  /** A non-blank line that must be parsed. */
  private parse(lineNo: number, s: string): void {
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (err) {
      if (lineNo === 1 && s === '[') throw notNdjson();
      return this.sink.bad(lineNo, `invalid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      // A whole export as one JSON array of rows on one line is the wrong format, not a bad row.
      if (lineNo === 1 && Array.isArray(value) && typeof value[0] === 'object' && value[0] !== null) throw notNdjson();
      return this.sink.bad(lineNo, 'expected a JSON object');
    }
    this.sink.row(lineNo, value as RawRecord);
  }

  end(): void {}
}

const decoder = new TextDecoder();

function notNdjson(): LocalrecError {
  return new LocalrecError('data-format', 'the file is one JSON array, not newline-delimited JSON (one object per line, as BigQuery exports it)');
}

/** A CSV record longer than this many lines is an unbalanced quote, not a field with line breaks. */
const MAX_RECORD_LINES = 1000;

/**
 * CSV with a header, comma-separated, RFC 4180 quoting (a quoted field may hold commas,
 * doubled quotes and line breaks; a quote inside an unquoted field is a character). Header
 * names go through canonicalColumn (lower-cased; `items_item_id` is `item_id`). A quote
 * that never closes is reported on the line its record starts, and reading resumes on the
 * next line, so one broken row does not swallow the rest of the file.
 */
export class CsvLines implements LineParser {
  private header: string[] | null = null;
  /** The header line as written, to tell a repeated header (two exports concatenated) from a row. */
  private headerText = '';
  private pending: { lineNo: number; text: string }[] = [];

  /** `checkHeader` sees the canonical column names and throws when a required one is missing. */
  constructor(
    private readonly sink: RowSink,
    private readonly checkHeader: (columns: string[], firstLine: string) => void,
  ) {}

  line(lineNo: number, raw: string): void {
    const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (this.pending.length === 0 && text.trim() === '') return;
    this.pending.push({ lineNo, text });
    this.tryRecord(false);
  }

  end(): void {
    while (this.pending.length > 0) this.tryRecord(true);
    if (this.header === null) this.checkHeader([], '');
  }

  /** Parses the pending lines as one record; on an unclosed quote waits for more, or (at the cap or the end) reports it and re-reads from the next line. */
  private tryRecord(atEnd: boolean): void {
    const joined = this.pending.map((p) => p.text).join('\n');
    const parsed = splitCsvRecord(joined);
    const start = this.pending[0].lineNo;
    if (parsed === 'open') {
      if (!atEnd && this.pending.length < MAX_RECORD_LINES) return;
      const rest = this.pending.slice(1);
      this.pending = [];
      this.emitBad(start, 'malformed CSV (unbalanced quote: a quoted field is never closed; rows after it are read again from the next line)');
      for (const p of rest) this.line(p.lineNo, p.text);
      return;
    }
    this.pending = [];
    if (typeof parsed === 'string') return this.emitBad(start, `malformed CSV (${parsed})`);
    if (this.header === null) {
      this.header = parsed.map(canonicalColumn);
      this.headerText = joined.trim();
      this.checkHeader(this.header, joined);
      return;
    }
    if (joined.trim() === this.headerText) return this.sink.bad(start, 'the header repeated (two files joined?)');
    if (parsed.length !== this.header.length) return this.sink.bad(start, `expected ${this.header.length} columns, found ${parsed.length}`);
    const record: RawRecord = {};
    // The first column of a name wins, as a duplicated header column is usually an export's repeat.
    for (let i = this.header.length - 1; i >= 0; i--) record[this.header[i]] = parsed[i];
    this.sink.row(start, record);
  }

  private emitBad(lineNo: number, message: string): void {
    if (this.header === null) throw new LocalrecError('data-format', `CSV header on line ${lineNo}: ${message}`, { line: lineNo });
    this.sink.bad(lineNo, message);
  }
}

/** One CSV record's fields, 'open' when a quoted field runs past the end, or what is malformed. */
export function splitCsvRecord(s: string): string[] | 'open' | string {
  const fields: string[] = [];
  let i = 0;
  const n = s.length;
  for (;;) {
    if (s.charCodeAt(i) === 34) {
      // Quoted field: up to the quote that is not doubled.
      let out = '';
      let from = i + 1;
      for (;;) {
        const q = s.indexOf('"', from);
        if (q < 0) return 'open';
        if (s.charCodeAt(q + 1) === 34) {
          out += s.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        out += s.slice(from, q);
        i = q + 1;
        break;
      }
      fields.push(out);
      if (i === n) return fields;
      if (s.charCodeAt(i) !== 44) return `a quoted field is followed by ${JSON.stringify(s[i])} instead of a comma`;
      i++;
    } else {
      const c = s.indexOf(',', i);
      if (c < 0) {
        fields.push(s.slice(i));
        return fields;
      }
      fields.push(s.slice(i, c));
      i = c + 1;
    }
  }
}
