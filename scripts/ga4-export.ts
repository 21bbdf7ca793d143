/**
 * `npm run data:ga4 -- --out events.json [--events 100000] [--seed 42] [--format ndjson|csv|parquet] [--csv-spelling plain|items_|items.]`:
 * writes the seeded synthetic GA4 BigQuery export (src/data/synthetic-ga4.ts) as a shop
 * would get it from BigQuery — to try the trainer before exporting your own, and for the
 * tests and the ingestion benchmark. A path ending in .gz is gzip-compressed (NDJSON and CSV).
 */
import { parseArgs } from 'node:util';
import { writeGa4Export, type CsvItemSpelling, type Ga4FileFormat } from '../src/data/synthetic-ga4-files';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    events: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    format: { type: 'string' },
    'csv-spelling': { type: 'string', default: 'plain' },
  },
});
const fail = (message: string): never => {
  console.error(`${message}; see the usage at the top of scripts/ga4-export.ts`);
  process.exit(1);
};
const out = values.out ?? fail('--out <file> is required');
const events = Number(values.events);
const seed = Number(values.seed);
if (!Number.isSafeInteger(events) || events < 100) fail('--events must be an integer of at least 100');
if (!Number.isSafeInteger(seed)) fail('--seed must be an integer');
const format = (values.format ?? (/\.parquet$/i.test(out) ? 'parquet' : /\.csv(\.gz)?$/i.test(out) ? 'csv' : 'ndjson')) as Ga4FileFormat;
if (!['ndjson', 'csv', 'parquet'].includes(format)) fail('--format must be ndjson, csv or parquet');
const spelling = values['csv-spelling'] as CsvItemSpelling;
if (!['plain', 'items_', 'items.'].includes(spelling)) fail('--csv-spelling must be plain, items_ or items.');

const t0 = performance.now();
const written = await writeGa4Export(out, format, { events, seed }, spelling);
console.log(`wrote ${out}: ${written.rows} rows (${written.events} events, ${format}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
