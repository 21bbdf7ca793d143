/**
 * The synthetic GA4 export written as the files a shop gets out of BigQuery (Node only):
 * newline-delimited JSON as its export writes it (optionally gzip-compressed), the CSV of
 * an `UNNEST(items)` query (one row per event and item, the README's query), and Parquet
 * with nested `items` as `EXPORT DATA … format='PARQUET'` writes it (through DuckDB).
 * Streamed: memory holds the shop's interactions, not the file.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { GA4_EVENT_TYPES } from './ga4';
import { ga4ExportRows, type Ga4ExportOptions } from './synthetic-ga4';

export type Ga4FileFormat = 'ndjson' | 'csv' | 'parquet';

/** How a flattened CSV names its item columns: as BigQuery names `item.item_id` (plain), or as other flattening tools do. */
export type CsvItemSpelling = 'plain' | 'items_' | 'items.';

/** The item fields the flattened CSV carries, in the README query's order. */
export const FLAT_ITEM_FIELDS = ['item_id', 'item_name', 'item_brand', 'item_category', 'item_category2', 'item_category3', 'item_category4', 'item_category5', 'price'] as const;
const FLAT_EVENT_FIELDS = ['event_date', 'event_timestamp', 'event_name', 'user_pseudo_id', 'user_id'] as const;

export interface WrittenExport {
  /** Rows written (events; for the CSV, event × item rows). */
  rows: number;
  /** Events the export holds (what a nested file has as rows). */
  events: number;
}

/**
 * Writes the synthetic export to `path` in `format`: NDJSON directly (`.gz` compresses it);
 * CSV and Parquet converted from a temporary NDJSON copy by convertGa4Export.
 */
export async function writeGa4Export(path: string, format: Ga4FileFormat, options: Partial<Ga4ExportOptions> = {}, csvSpelling: CsvItemSpelling = 'plain'): Promise<WrittenExport> {
  if (format !== 'ndjson') {
    const tmp = `${path}.tmp.ndjson`;
    try {
      const written = await writeGa4Export(tmp, 'ndjson', options);
      return { events: written.events, rows: await convertGa4Export(tmp, path, format, csvSpelling) };
    } finally {
      await rm(tmp, { force: true });
    }
  }
  const file = createWriteStream(path);
  const out: Writable = path.toLowerCase().endsWith('.gz') ? createGzip() : file;
  if (out !== file) out.pipe(file);
  let rows = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (!out.write(batch.join(''))) await once(out, 'drain');
    batch = [];
  };
  for (const row of ga4ExportRows(options)) {
    batch.push(`${JSON.stringify(row)}\n`);
    rows++;
    if (batch.length >= 2000) await flush();
  }
  await flush();
  out.end();
  await once(file, 'close');
  return { rows, events: rows };
}

/** BigQuery's GA4 column types for the Parquet copy (INT64 columns as BIGINT, not the JSON export's strings). */
const PARQUET_COLUMNS = {
  event_date: 'VARCHAR',
  event_timestamp: 'BIGINT',
  event_name: 'VARCHAR',
  event_params: 'STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value BIGINT, float_value DOUBLE, double_value DOUBLE))[]',
  event_bundle_sequence_id: 'BIGINT',
  event_server_timestamp_offset: 'BIGINT',
  user_id: 'VARCHAR',
  user_pseudo_id: 'VARCHAR',
  user_first_touch_timestamp: 'BIGINT',
  device: 'STRUCT(category VARCHAR, mobile_brand_name VARCHAR, mobile_model_name VARCHAR, operating_system VARCHAR, operating_system_version VARCHAR, language VARCHAR, is_limited_ad_tracking VARCHAR, web_info STRUCT(browser VARCHAR, browser_version VARCHAR, hostname VARCHAR))',
  geo: 'STRUCT(city VARCHAR, country VARCHAR, continent VARCHAR, region VARCHAR, sub_continent VARCHAR, metro VARCHAR)',
  traffic_source: 'STRUCT(name VARCHAR, medium VARCHAR, source VARCHAR)',
  stream_id: 'VARCHAR',
  platform: 'VARCHAR',
  ecommerce: 'STRUCT(total_item_quantity BIGINT, purchase_revenue_in_usd DOUBLE, purchase_revenue DOUBLE, unique_items BIGINT, transaction_id VARCHAR)',
  items: `STRUCT(${['item_id', 'item_name', 'item_brand', 'item_variant', 'item_category', 'item_category2', 'item_category3', 'item_category4', 'item_category5'].map((f) => `${f} VARCHAR`).join(', ')}, price_in_usd DOUBLE, price DOUBLE, quantity BIGINT, item_revenue_in_usd DOUBLE, item_revenue DOUBLE, ${['coupon', 'affiliation', 'location_id', 'item_list_id', 'item_list_name', 'item_list_index', 'promotion_id', 'promotion_name', 'creative_name', 'creative_slot'].map((f) => `${f} VARCHAR`).join(', ')})[]`,
  is_active_user: 'BOOLEAN',
};

/**
 * An NDJSON export converted by DuckDB (its columns typed as BigQuery types them):
 * Parquet with nested items, or the CSV the README's query gives — `FROM events_*,
 * UNNEST(items) AS item WHERE event_name IN (…)`, one row per event and item, so an event
 * without items has no row. Returns the rows written.
 */
export async function convertGa4Export(ndjson: string, path: string, format: 'csv' | 'parquet', csvSpelling: CsvItemSpelling = 'plain'): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '1GB', preserve_insertion_order: 'true' });
  const db = await instance.connect();
  const quoted = (p: string) => `'${p.replaceAll("'", "''")}'`;
  const columns = `{${Object.entries(PARQUET_COLUMNS).map(([k, t]) => `${k}: '${t}'`).join(', ')}}`;
  const source = `read_json(${quoted(ndjson)}, format = 'newline_delimited', columns = ${columns})`;
  try {
    if (format === 'parquet') {
      await db.run(`COPY (SELECT * FROM ${source}) TO ${quoted(path)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)`);
      return Number((await db.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${quoted(path)})`)).getRowObjectsJS()[0].n);
    }
    const prefix = csvSpelling === 'plain' ? '' : csvSpelling;
    const names = Object.keys(GA4_EVENT_TYPES).map((n) => `'${n}'`).join(', ');
    const select = [...FLAT_EVENT_FIELDS, ...FLAT_ITEM_FIELDS.map((f) => `item.${f} AS "${prefix}${f}"`)].join(', ');
    await db.run(`COPY (SELECT ${select} FROM ${source} AS e, UNNEST(e.items) AS u(item) WHERE event_name IN (${names})) TO ${quoted(path)} (FORMAT csv, HEADER)`);
    return Number((await db.runAndReadAll(`SELECT count(*) AS n FROM read_csv(${quoted(path)})`)).getRowObjectsJS()[0].n);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}
