/**
 * `npm run bench:train`: trains the shipped pipeline on the synthetic shop at three sizes
 * and writes one row per (size, threads) run to bench/reports/train-scale.json, with an SVG
 * of seconds and peak memory against interactions (bench/reports/train-scale.svg).
 *
 *   npm run bench:train -- --size 40k                    # one size, the machine's cores
 *   npm run bench:train -- --size 4m --threads 1,2       # the largest size at 1 and at 2 threads
 *   npm run bench:train -- --size 400k --force           # replace a row measured before
 *
 * Each run is its own process, so its peak RSS (worker threads included) is its own. The
 * pipeline trains on the cold-start split's training users (as `npm run eval` does), and
 * the test users give NDCG@10 at k = 5 for the shipped method and the best baseline
 * (popularity, ItemKNN, MF-ALS; EASE only where its dense item × item inverse fits, see
 * EASE_MAX_ITEMS). Rows of other sizes and thread counts in the file are kept; a row of the
 * same size and thread count is replaced only with --force.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { trainScaleChart } from './train-scale-chart';

/** The shop at three sizes: about 40k, 400k and 4M interactions over 1k, 10k and 50k items. */
export const SIZES = {
  '40k': { users: 2000, items: 1000 },
  '400k': { users: 20_000, items: 10_000 },
  '4m': { users: 200_000, items: 50_000 },
} as const;
type Size = keyof typeof SIZES;

/**
 * EASE inverts a dense n × n float64 matrix: 8n² bytes and ~n³ multiply-adds in plain JS
 * (~1 GFLOP/s here). At 4,000 items that is 128 MB and about a minute; at 10k items 800 MB
 * and ~20 minutes, at 50k items 20 GB. Past this size the row says it was not run.
 */
const EASE_MAX_ITEMS = 4000;
const K = 5;

export interface TrainScaleRow {
  size: Size;
  interactions: number;
  users: number;
  items: number;
  threads: number;
  seconds: { ingest: number; teacher: number; student: number; recency: number; meta: number; total: number };
  peakRssBytes: number;
  test: { k: number; ndcg10Full: number; ndcg10Next10: number; bestBaselineFull: number; bestBaselineNext10: number; baselines: Record<string, { full: number; next10: number } | string> } | null;
  commit: string;
  createdAt: string;
}

/** One run in this process: generate, split, train, test. Prints its row as JSON. */
async function runOne(size: Size, threads: number, test: boolean): Promise<TrainScaleRow> {
  const [{ generateShop }, { buildColdStartSplit }, { DEFAULT_PIPELINE, trainPipeline }, { initNodeTf }] = await Promise.all([
    import('../src/data/synthetic-shop'),
    import('../src/data/split'),
    import('../src/train/pipeline'),
    import('../src/train/tf-node'),
  ]);
  await initNodeTf();
  const t0 = performance.now();
  const split = buildColdStartSplit(generateShop({ ...SIZES[size], seed: 1 }));
  const train = split.test.train;
  const ingest = (performance.now() - t0) / 1000;
  const log = (line: string) => process.stderr.write(`[${size} × ${threads}] ${line}\n`);
  log(`${train.users.length} users, ${train.catalogue.ids.length} items, ${train.nInteractions} interactions; ingest ${ingest.toFixed(1)} s`);
  const t1 = performance.now();
  const result = await trainPipeline(train, { ...DEFAULT_PIPELINE, seed: 1, threads }, {
    onStageEnd: (stage, info) => log(`${stage} done at ${((performance.now() - t1) / 1000).toFixed(1)} s`),
  });
  const trained = (performance.now() - t1) / 1000;
  const secondsOf = (stage: string) => Number((result.report[stage] as { seconds?: number } | undefined)?.seconds ?? NaN);
  const row: TrainScaleRow = {
    size,
    interactions: train.nInteractions,
    users: train.users.length,
    items: train.catalogue.ids.length,
    threads,
    seconds: { ingest, teacher: secondsOf('teacher'), student: secondsOf('student'), recency: secondsOf('recency'), meta: secondsOf('meta'), total: ingest + trained },
    peakRssBytes: 0,
    test: null,
    commit: process.env.BENCH_COMMIT ?? '',
    createdAt: new Date().toISOString(),
  };
  if (test) row.test = await testScores(split, result, log);
  row.peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return row;
}

/** NDCG@10 at k = 5 on the test users, both views: the shipped method and each baseline that fits. */
async function testScores(
  split: import('../src/data/split').ColdStartSplit,
  result: import('../src/train/pipeline').PipelineResult,
  log: (line: string) => void,
): Promise<NonNullable<TrainScaleRow['test']>> {
  const [{ evaluateColdStart }, { ModelMethod }, { Popularity }, { ItemKnn }, { Ease }, { MfAls }] = await Promise.all([
    import('../src/eval/evaluate'),
    import('../src/eval/model-method'),
    import('../src/eval/baselines/popularity'),
    import('../src/eval/baselines/itemknn'),
    import('../src/eval/baselines/ease'),
    import('../src/eval/baselines/mf-als'),
  ]);
  const items = split.test.train.catalogue.ids.length;
  const shipped = new ModelMethod('shipped', async () => ({ weights: result.weights, config: result.config, tower: result.metaTower }), result.config.inner);
  const baselines = [new Popularity(), new ItemKnn(), new MfAls({ seed: 1 }), ...(items <= EASE_MAX_ITEMS ? [new Ease()] : [])];
  const report = await evaluateColdStart(split, [shipped, ...baselines], {
    ks: [K],
    seed: 1,
    resamples: 100,
    pairs: [],
    onProgress: (e) => e.phase === 'done' && log(`test: ${e.method} in ${e.seconds.toFixed(1)} s`),
  });
  const at = (name: string) => {
    const r = report.results.find((x) => x.method === name && x.k === K)!;
    return { full: r.views.full.metrics.ndcg10.mean, next10: r.views.next10.metrics.ndcg10.mean };
  };
  const scores: Record<string, { full: number; next10: number } | string> = Object.fromEntries(baselines.map((b) => [b.name, at(b.name)]));
  if (items > EASE_MAX_ITEMS) scores.ease = `not run: a dense ${items} × ${items} inverse (${((8 * items * items) / 2 ** 30).toFixed(1)} GiB, ~${(items ** 3 / 1e12).toFixed(1)} T multiply-adds)`;
  const measured = Object.values(scores).filter((s): s is { full: number; next10: number } => typeof s !== 'string');
  const own = at('shipped');
  return {
    k: K,
    ndcg10Full: own.full,
    ndcg10Next10: own.next10,
    bestBaselineFull: Math.max(...measured.map((s) => s.full)),
    bestBaselineNext10: Math.max(...measured.map((s) => s.next10)),
    baselines: scores,
  };
}

/** One row's line: its stages, memory, its ratios to the best baseline and to the same size on one thread. */
function summary(row: TrainScaleRow, rows: readonly TrainScaleRow[]): string {
  const s = row.seconds;
  const parts = [
    `${row.size} × ${row.threads} threads: ${s.total.toFixed(1)} s total (teacher ${s.teacher.toFixed(1)}, student ${s.student.toFixed(1)}, recency ${s.recency.toFixed(1)}, meta ${s.meta.toFixed(1)})`,
    `${((1e6 * s.total) / row.interactions).toFixed(0)} µs per interaction`,
    `peak RSS ${(row.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
  ];
  const one = rows.find((r) => r.size === row.size && r.threads === 1);
  if (one && row.threads > 1) parts.push(`${(one.seconds.total / s.total).toFixed(2)}× the speed of 1 thread`);
  if (row.test) parts.push(`NDCG@10 at k=${row.test.k} / best baseline: full ${(row.test.ndcg10Full / row.test.bestBaselineFull).toFixed(3)}×, next 10 ${(row.test.ndcg10Next10 / row.test.bestBaselineNext10).toFixed(3)}×`);
  return parts.join('; ');
}

/** Runs one (size, threads) in a child process of this script and reads its row. */
function runChild(size: Size, threads: number, test: boolean, commit: string): Promise<TrainScaleRow> {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--size', size, '--threads', String(threads), ...(test ? [] : ['--no-test'])];
  return new Promise((resolveRow, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_COMMIT: commit } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveRow(JSON.parse(out.trim().split('\n').pop()!) as TrainScaleRow) : reject(new Error(`${size} × ${threads} exited with code ${code}`))));
  });
}

function gitCommit(): Promise<string> {
  return new Promise((res) => {
    const git = spawn('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    git.stdout.on('data', (b: Buffer) => (out += b.toString()));
    git.on('exit', () => res(out.trim()));
    git.on('error', () => res(''));
  });
}

const sizeList = (text: string): Size[] => {
  const sizes = text.split(',').map((s) => s.trim().toLowerCase());
  for (const s of sizes) if (!(s in SIZES)) throw new InvalidArgumentError(`expected sizes from ${Object.keys(SIZES).join(', ')}`);
  return sizes as Size[];
};
const threadList = (text: string): number[] => {
  const ts = text.split(',').map(Number);
  if (!ts.every((t) => Number.isInteger(t) && t >= 1 && t <= 256)) throw new InvalidArgumentError('expected thread counts from 1 to 256');
  return ts;
};

async function main(): Promise<void> {
  const o = new Command()
    .name('bench:train')
    .option('--size <list>', `sizes to run: ${Object.keys(SIZES).join(', ')}`, sizeList, ['40k'] as Size[])
    .option('--threads <list>', "thread counts to run each size at (default: the machine's cores)", threadList, [availableParallelism()])
    .option('--no-test', 'skip the test-user scores (timings and memory only)')
    .option('--out <file>', 'report file (its rows of other sizes and thread counts are kept)', 'bench/reports/train-scale.json')
    .option('--force', 'replace rows of the same size and thread count', false)
    .option('--child', 'internal: run one size in this process and print its row')
    .parse()
    .opts<{ size: Size[]; threads: number[]; test: boolean; out: string; force: boolean; child?: boolean }>();
  if (o.child) {
    const row = await runOne(o.size[0], o.threads[0], o.test);
    process.stdout.write(`${JSON.stringify(row)}\n`);
    // The pool's workers are closed; tfjs may hold the loop open.
    process.exit(0);
  }
  const file = resolve(o.out);
  const previous = await readFile(file, 'utf8').then((t) => (JSON.parse(t) as { rows: TrainScaleRow[] }).rows, () => [] as TrainScaleRow[]);
  const same = (a: TrainScaleRow, size: Size, threads: number) => a.size === size && a.threads === threads;
  for (const size of o.size) {
    for (const threads of o.threads) {
      if (!o.force && previous.some((r) => same(r, size, threads))) throw new Error(`${o.out} already has a row for ${size} at ${threads} threads (--force replaces it)`);
    }
  }
  const commit = await gitCommit();
  let rows = previous;
  for (const size of o.size) {
    for (const threads of o.threads) {
      const row = await runChild(size, threads, o.test, commit);
      rows = [...rows.filter((r) => !same(r, size, threads)), row].sort((a, b) => a.interactions - b.interactions || a.threads - b.threads);
      // Written after every run, so a long series keeps what it measured.
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, `${JSON.stringify({ description: 'npm run bench:train: the shipped pipeline on the synthetic shop (seed 1) at each size; test = NDCG@10 at k=5 on the cold-start test users', rows }, null, 2)}\n`);
      await writeFile(file.replace(/\.json$/, '.svg'), trainScaleChart(rows));
      console.log(summary(row, rows));
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
