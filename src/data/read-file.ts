/**
 * Node-only file reading with bounded memory: a file (optionally gzip-compressed, as
 * BigQuery's exports often are) is streamed in chunks and split into lines for a
 * LineParser; a Parquet file is read by DuckDB in chunks of rows. Nothing holds the whole
 * file, so an export of any size is read in the memory of its interactions.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { LocalrecError } from '../errors';
import type { RawRecord, RowSink } from './ingest';
import type { LineParser } from './records';

/** A line longer than this is not a row but a broken file (no line breaks); it is dropped as one bad row. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Streams `path` line by line into `parser` (line numbers 1-based, `\r\n` and `\n` endings). */
export async function readLines(path: string, parser: LineParser, sink: RowSink): Promise<void> {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const source = path.toLowerCase().endsWith('.gz') ? file.pipe(createGunzip()) : file;
  file.on('error', (err) => source.destroy(err));
  let rest: Buffer | null = null;
  let lineNo = 0;
  let skipping = false; // inside an over-long line, dropped up to its end
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let buf: Buffer = chunk;
      let start = 0;
      if (rest !== null) {
        // Only the line split across chunks is copied, not the whole chunk.
        const nl = chunk.indexOf(10);
        if (nl < 0) buf = Buffer.concat([rest, chunk]);
        else {
          const joined = Buffer.concat([rest, chunk.subarray(0, nl + 1)]);
          lineNo++;
          if (skipping) skipping = false;
          else lineOf(parser, lineNo, joined, 0, joined.length - 1);
          start = nl + 1;
        }
        rest = null;
      }
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        lineNo++;
        if (skipping) skipping = false;
        else lineOf(parser, lineNo, buf, start, nl);
        start = nl + 1;
      }
      if (start < buf.length) {
        if (buf.length - start > MAX_LINE_BYTES) {
          if (!skipping) sink.bad(lineNo + 1, `line longer than ${MAX_LINE_BYTES} bytes (is this a line-based file?)`);
          skipping = true;
        } else rest = buf.subarray(start);
      }
    }
  } catch (err) {
    if (err instanceof LocalrecError) throw err;
    throw unreadable(path, err);
  }
  if (rest !== null && rest.length > 0) lineOf(parser, ++lineNo, rest, 0, rest.length);
  parser.end();
}

/** One line to the parser, as bytes where it reads bytes (a `\r` before the `\n` dropped). */
function lineOf(parser: LineParser, lineNo: number, buf: Buffer, start: number, nl: number): void {
  const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
  if (parser.bytes !== undefined) parser.bytes(lineNo, buf, start, end);
  else parser.line(lineNo, buf.toString('utf8', start, end));
}

export function unreadable(path: string, err: unknown): LocalrecError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new LocalrecError('data-missing-file', `${path}: no such file`, { path });
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') return new LocalrecError('data-unreadable-file', `${path}: not a valid gzip file (${(err as Error).message})`, { path });
  return new LocalrecError('data-unreadable-file', `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { path });
}

/** Columns a Parquet reader asks for besides the fields' accepted names (FIELD_NAMES) and the item fields (ITEM_FIELDS_READ). */
const OTHER_PARQUET_COLUMNS = ['rating', 'items', 'title', 'categories', 'category', 'brand'];

const sqlName = (c: string) => `"${c.replaceAll('"', '""')}"`;

/**
 * Streams a Parquet file's rows into `sink` through DuckDB (its npm package ships the
 * binary), a chunk of rows at a time, with DuckDB's memory capped. Only the columns the
 * ingestion reads are decoded. In a GA4 export, rows of other events are counted by name
 * in SQL and never cross into JavaScript, and of items[] only the fields read do.
 */
export async function readParquet(path: string, sink: RowSink, checkColumns: (columns: string[]) => void, interactionNames: readonly string[]): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { canonicalColumn, FIELD_NAMES, ITEM_FIELDS_READ } = await import('./ingest');
  const topLevel: readonly string[] = [...Object.values(FIELD_NAMES).flat(), ...OTHER_PARQUET_COLUMNS];
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB' });
  const db = await instance.connect();
  try {
    let columns: { name: string; type: string }[];
    try {
      const described = await db.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [path]);
      columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    } catch (err) {
      throw new LocalrecError('data-unreadable-file', `${path}: not a readable Parquet file (${firstLine(err)})`, { path });
    }
    const wanted = columns.filter((c) => topLevel.includes(c.name.toLowerCase()) || ITEM_FIELDS_READ.includes(canonicalColumn(c.name)));
    const canonical = wanted.map((c) => canonicalColumn(c.name));
    checkColumns(canonical);

    const event = wanted.find((c) => c.name.toLowerCase() === 'event_name');
    // Only a GA4-style file (event_name, no type or event column taking precedence) is filtered in SQL.
    const filtered = event !== undefined && !canonical.includes('type') && !canonical.includes('event');
    const names = interactionNames.map((n) => `'${n}'`).join(', ');
    let where = '';
    if (filtered) {
      const counts = await db.runAndReadAll(
        `SELECT lower(${sqlName(event.name)}) AS name, count(*) AS n FROM read_parquet($1) WHERE lower(${sqlName(event.name)}) NOT IN (${names}) OR ${sqlName(event.name)} IS NULL GROUP BY 1`,
        [path],
      );
      for (const r of counts.getRowObjectsJS()) {
        if (r.name === null || r.name === '') for (let k = 0; k < Number(r.n); k++) sink.row(0, {});
        else sink.skipEvent(String(r.name), Number(r.n));
      }
      where = ` WHERE lower(${sqlName(event.name)}) IN (${names})`;
    }
    const select = wanted.map((c) => {
      const items = c.name.toLowerCase() === 'items' && /^STRUCT\((.*)\)\[\]$/.exec(c.type);
      if (!items) return sqlName(c.name);
      const fields = ITEM_FIELDS_READ.filter((f) => new RegExp(`(^|, )${f} `).test(items[1]));
      // As JSON text: DuckDB's conversion of nested lists to JS objects is several times slower than JSON.parse of the text.
      return `to_json(list_transform(${sqlName(c.name)}, x -> {${fields.map((f) => `'${f}': x.${f}`).join(', ')}})) AS ${sqlName(c.name)}`;
    });
    const result = await db.stream(`SELECT ${select.join(', ')} FROM read_parquet($1)${where}`, [path]);
    const itemsAt = canonical.indexOf('items');
    let rowNo = 0;
    for await (const rows of result.yieldRowsJs()) {
      for (const r of rows) {
        rowNo++;
        const record: RawRecord = {};
        for (let k = 0; k < canonical.length; k++) {
          const v = r[k];
          record[canonical[k]] = k === itemsAt && typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
        }
        sink.row(rowNo, record);
      }
    }
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
