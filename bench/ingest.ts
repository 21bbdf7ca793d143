/**
 * `npm run bench:ingest` — how fast, and in how much memory, the trainer reads a GA4
 * export: the seeded synthetic export (src/data/synthetic-ga4.ts, BigQuery's format) in
 * its three forms — nested NDJSON as BigQuery exports it, the flattened CSV of the README's
 * UNNEST(items) query, and nested Parquet — each read by the streamed reader in its own
 * process (rows, seconds, peak RSS). Baseline in the same run: the whole-file reader
 * (read the file into one string, then parse it; same row rules) against the streamed one
 * on an NDJSON export it can hold, and the whole-file reader's attempt at the large export.
 * Writes bench/reports/ingest.json; the files are generated once into --dir and reused.
 *
 * Options: --events 6000000 --baseline-events 150000 --seed 42 --dir <tmp>/localrec-ingest-bench
 *          --formats ndjson,csv,parquet --out bench/reports/ingest.json --force
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertGa4Export, writeGa4Export, type Ga4FileFormat } from '../src/data/synthetic-ga4-files';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '6000000' },
    'baseline-events': { type: 'string', default: '150000' },
    seed: { type: 'string', default: '42' },
    dir: { type: 'string', default: join(tmpdir(), 'localrec-ingest-bench') },
    formats: { type: 'string', default: 'ndjson,csv,parquet' },
    out: { type: 'string', default: 'bench/reports/ingest.json' },
    force: { type: 'boolean', default: false },
  },
});
// An existing report is committed evidence: replacing it must be asked for.
if (!args.force && existsSync(args.out!)) {
  console.error(`${args.out} exists (a committed report); pass --force to replace it, or --out <file>`);
  process.exit(1);
}
const events = Number(args.events);
const baselineEvents = Number(args['baseline-events']);
const seed = Number(args.seed);
const formats = args.formats!.split(',') as Ga4FileFormat[];
const ENDING: Record<Ga4FileFormat, string> = { ndjson: 'json', csv: 'csv', parquet: 'parquet' };

interface Run {
  rows?: number;
  interactions?: number;
  bad?: number;
  seconds: number;
  peakRssBytes: number;
  error?: string;
}

/** The export of `n` events in `format`, generated unless a previous run left it. */
async function exportFile(n: number, format: Ga4FileFormat): Promise<{ path: string; bytes: number }> {
  await mkdir(args.dir!, { recursive: true });
  const path = join(args.dir!, `ga4-${seed}-${n}.${ENDING[format]}`);
  if (!existsSync(path)) {
    const t0 = performance.now();
    // CSV and Parquet are converted from the NDJSON export, as a shop's pipeline would.
    const rows =
      format === 'ndjson'
        ? (await writeGa4Export(`${path}.partial`, format, { events: n, seed })).rows
        : await convertGa4Export((await exportFile(n, 'ndjson')).path, `${path}.partial`, format);
    await rename(`${path}.partial`, path);
    console.log(`generated ${path}: ${rows} rows in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  return { path, bytes: (await stat(path)).size };
}

function run(path: string, mode: 'streamed' | 'whole-file'): Run {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/ingest-run.ts', path, mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}

const rate = (r: Run) => (r.rows !== undefined ? Math.round(r.rows / r.seconds) : null);
const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;

const report: Record<string, unknown> = {
  command: `npm run bench:ingest -- ${process.argv.slice(2).join(' ')}`.trim(),
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  events,
  seed,
  formats: {} as Record<string, unknown>,
};

for (const format of formats) {
  const file = await exportFile(events, format);
  const r = run(file.path, 'streamed');
  console.log(`${format}: ${r.rows} rows (${mb(file.bytes)}) in ${r.seconds.toFixed(1)} s = ${rate(r)} rows/s, peak RSS ${mb(r.peakRssBytes)}${r.error ? ` ERROR ${r.error}` : ''}`);
  (report.formats as Record<string, unknown>)[format] = { fileBytes: file.bytes, ...r, rowsPerSecond: rate(r) };
}

// Baseline: the whole-file reader against the streamed one on an export it can hold, and at full size.
const small = await exportFile(baselineEvents, 'ndjson');
const streamed = run(small.path, 'streamed');
const whole = run(small.path, 'whole-file');
const large = formats.includes('ndjson') ? run((await exportFile(events, 'ndjson')).path, 'whole-file') : undefined;
report.baseline = {
  what: 'whole-file reader (readFile to one string, then the same row rules) vs the streamed reader, NDJSON',
  events: baselineEvents,
  fileBytes: small.bytes,
  streamed: { ...streamed, rowsPerSecond: rate(streamed) },
  wholeFile: { ...whole, rowsPerSecond: rate(whole) },
  speedRatio: whole.seconds / streamed.seconds,
  peakRssRatio: whole.peakRssBytes / streamed.peakRssBytes,
  wholeFileAtFullSize: large,
};
console.log(
  `baseline (${baselineEvents} events, ${mb(small.bytes)}): streamed ${streamed.seconds.toFixed(1)} s, ${mb(streamed.peakRssBytes)}; ` +
    `whole-file ${whole.seconds.toFixed(1)} s, ${mb(whole.peakRssBytes)} → streamed is ${(whole.seconds / streamed.seconds).toFixed(2)}× as fast in ${(streamed.peakRssBytes / whole.peakRssBytes).toFixed(2)}× the memory`,
);
if (large) console.log(`whole-file reader at ${events} events: ${large.error ?? `${large.seconds.toFixed(1)} s, ${mb(large.peakRssBytes)}`}`);

await mkdir(join(args.out!, '..'), { recursive: true });
await writeFile(args.out!, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${args.out}`);
