/**
 * Browser latency per catalogue size and backend, in headless Chromium on this machine
 * (`auto`, the default, as well as each backend forced):
 * the production build of the e2e harness served by `vite preview`, random-weight fixture
 * models of 10k and 100k items. For each (size, backend), in a fresh browser context:
 *
 * - coldFirstRecommendMs: createLocalrec() + the first recommend() on a first visit (empty
 *   HTTP cache and Cache Storage); warmFirstRecommendMs: the same after a reload; with
 *   `auto` both are on plain scores (it measures after the first recommendation), and
 *   takeoverMs is the time from the first recommendation until the measured backend took
 *   over (`chosen`, `source`), which the rest of the row then measures;
 * - recommendP50Ms / recommendP95Ms: recommend({ n: 10 }) round trips from the page;
 *   recommendWorkerP50Ms: the part of it spent in the Worker (the result's `ms`);
 * - steps5MedianMs: 5 personalisation steps on 20 events, the inner loop in the Worker
 *   (personalise()'s own `ms`), median of 10 calls after 5 warm-up calls; steps5FirstMs:
 *   the first, JIT-cold call; steps5PageMedianMs: the whole personalise() round trip,
 *   IndexedDB writes included;
 * - baseline*: the same measured in the same page on a client with backend 'plain' (the
 *   SDK's TypeScript loops, no tfjs);
 * - longTasksOver50Ms: main-thread long tasks (PerformanceObserver) from page load through
 *   personalisation; memoryBytes: the Worker's heap over CDP (JS + embedder heap +
 *   ArrayBuffer backing stores, which hold the model's arrays), plus tfjs bytes on wasm,
 *   webgl and webgpu, whose tensors live outside it;
 * - weightsBytes, itemsJsonBytes / itemsJsonGzipBytes (items.json as a gzip-serving server
 *   sends it), workerGzipBytes (first-load Worker + the chunks this backend imports).
 *
 *   npm run bench:browser [-- --sizes 10000,100000 --backends auto,plain,wasm,cpu,webgl,webgpu --runs 50 --out <path> --force]
 *
 * Writes bench/reports/browser-latency.json and .svg; an existing report is committed
 * evidence, so replacing it takes --force (or another --out).
 * WebGPU here is SwiftShader (a CPU emulation): reported, never judged.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from '@playwright/test';
import cliProgress from 'cli-progress';
import { build, preview } from 'vite';
import { buildPackage } from '../scripts/build-package';
import { BENCH_FIXTURES, FIXTURES, writeFixtures } from '../test/fixtures/make-model';
import { latencyChart } from './latency-chart';
import { workerGzipBytes } from './worker-bytes';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    backends: { type: 'string', default: 'auto,plain,wasm,cpu,webgl,webgpu' },
    runs: { type: 'string', default: '50' },
    out: { type: 'string', default: 'bench/reports/browser-latency' },
    force: { type: 'boolean', default: false },
  },
});
if (!values.force && existsSync(`${values.out}.json`)) {
  console.error(`${values.out}.json exists (a committed report); pass --force to replace it, or --out <path>`);
  process.exit(1);
}
const RUNS = Number(values.runs);
const SIZES = values.sizes.split(',').map(Number);
const BACKENDS = values.backends.split(',');
const MODELS: Record<number, string> = { 10_000: 'large-10k', 100_000: 'large-100k' };
const PORT = 5199;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const BASE_ARGS = ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-precise-memory-info'];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];

const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
};
const round = (x: number) => Math.round(x * 100) / 100;

type BenchClient = Awaited<ReturnType<Window['localrecHarness']['createLocalrec']>>;
interface BenchWindow {
  benchSteps(c: BenchClient): Promise<{ worker: number[]; pageMs: number[]; first: number }>;
  benchRecs(c: BenchClient): Promise<{ pageMs: number[]; worker: number[] }>;
  benchEvents: Parameters<BenchClient['track']>[0];
  benchClient: BenchClient;
}

/**
 * The SDK Worker's memory from CDP Runtime.getHeapUsage: JS heap, embedder heap and
 * ArrayBuffer backing stores (the model's Float32Arrays, the wasm memory), or null when
 * the Worker target cannot be found.
 */
async function workerHeap(browser: Browser): Promise<{ total: number; usedSize: number; embedderHeapUsedSize: number; backingStorageSize: number } | null> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const worker = targetInfos.filter((t) => t.type === 'worker' && /worker-entry/.test(t.url)).at(-1);
    if (!worker) return null;
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
    const replies = new Map<number, (m: string) => void>();
    cdp.on('Target.receivedMessageFromTarget', (e) => {
      const id = (JSON.parse(e.message) as { id?: number }).id;
      if (id !== undefined) replies.get(id)?.(e.message);
    });
    const call = (id: number, method: string) => {
      const reply = new Promise<string>((resolve) => replies.set(id, resolve));
      return cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) }).then(() => reply);
    };
    // Live memory, not garbage a collection has not reached yet.
    await call(1, 'HeapProfiler.collectGarbage');
    const reply = call(2, 'Runtime.getHeapUsage');
    const r = (JSON.parse(await reply) as { result: { usedSize: number; embedderHeapUsedSize?: number; backingStorageSize?: number } }).result;
    const embedderHeapUsedSize = r.embedderHeapUsedSize ?? 0;
    const backingStorageSize = r.backingStorageSize ?? 0;
    await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
    return { total: r.usedSize + embedderHeapUsedSize + backingStorageSize, usedSize: r.usedSize, embedderHeapUsedSize, backingStorageSize };
  } finally {
    await cdp.detach();
  }
}

/** One (size, backend) cell: first visit, measurements, then a repeat visit in the same context. */
async function measure(browser: Browser, model: string, backend: string): Promise<Record<string, unknown>> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    // Long tasks from page load on, kept on window so the measurement can read them later.
    await page.addInitScript(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`${ORIGIN}/test/e2e/harness/index.html`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
    const opts = { model: `/test-models/${model}/manifest.json`, backend, dbName: 'bench', personaliseDebounceMs: 0 };
    const run = await page.evaluate(
      async ([o, runs]) => {
        const h = window.localrecHarness;
        const t0 = performance.now();
        const c = await h.createLocalrec(o as never);
        await c.recommend({ n: 10 });
        const coldFirstRecommendMs = performance.now() - t0;
        // 'auto' measures once the Worker is idle after its first recommendation: wait for that, then measure what took over.
        let takeoverMs: number | null = null;
        if ((await c.status()).backend?.source === 'pending') {
          while ((await c.status()).backend?.source === 'pending' && performance.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
          takeoverMs = performance.now() - t0 - coldFirstRecommendMs;
        }
        const status = await c.status();
        const ids = (await c.recommend({ n: 40, excludeSeen: false })).items.map((r) => r.id);
        const events = ids.slice(0, 20).map((item, i) => ({ item, type: (i % 5 === 0 ? 'cart' : 'view') as 'view', ts: Date.now() - 60_000 + i }));
        const w = window as unknown as BenchWindow;
        w.benchSteps = async (client) => {
          // The first calls run the inner loop before the JIT has optimised it (measured: 10–50 ms
          // for the first four, then 4–6 ms), so, like recommend(), 5 warm-up calls; the first
          // one is reported on its own (steps5FirstMs).
          const warmUp: number[] = [];
          for (let i = 0; i < 5; i++) warmUp.push((await client.personalise({ steps: 5 })).ms);
          const worker: number[] = [];
          const pageMs: number[] = [];
          for (let i = 0; i < 10; i++) {
            const p0 = performance.now();
            const r = await client.personalise({ steps: 5 });
            pageMs.push(performance.now() - p0);
            worker.push(r.ms);
          }
          return { worker, pageMs, first: warmUp[0] };
        };
        w.benchRecs = async (client) => {
          for (let i = 0; i < 5; i++) await client.recommend({ n: 10 }); // warm-up
          const pageMs: number[] = [];
          const worker: number[] = [];
          for (let i = 0; i < runs; i++) {
            const r0 = performance.now();
            const r = await client.recommend({ n: 10 });
            pageMs.push(performance.now() - r0);
            worker.push(r.ms);
          }
          return { pageMs, worker };
        };
        w.benchEvents = events;
        w.benchClient = c;
        await c.track(events);
        const s = await w.benchSteps(c);
        const rec = await w.benchRecs(c);
        return {
          coldFirstRecommendMs,
          rec: rec.pageMs,
          recWorker: rec.worker,
          stepsWorker: s.worker,
          stepsPage: s.pageMs,
          stepsFirst: s.first,
          memory: (await c.status()).memory,
          backend: status.backend!.name,
          source: status.backend!.source,
          takeoverMs,
          probes: status.backend!.probes,
          backendInitMs: status.backend!.initMs,
          loadMs: status.model!.loadMs,
        };
      },
      [opts, RUNS] as const,
    );
    // The Worker's heap, read over CDP while it is the only Worker of the page (workers have no performance.memory).
    const heap = await workerHeap(browser);
    // The plain TypeScript baseline, same page, same model, its own store.
    const baseline = await page.evaluate(async (o) => {
      const w = window as unknown as BenchWindow;
      const b = await window.localrecHarness.createLocalrec({ ...(o as object), backend: 'plain', dbName: 'bench-baseline' } as never);
      await b.track(w.benchEvents);
      const steps = await w.benchSteps(b);
      const rec = (await w.benchRecs(b)).pageMs;
      b.terminate();
      w.benchClient.terminate();
      return { steps: steps.worker, rec };
    }, opts);
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    await page.reload();
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
    const warm = await page.evaluate(async (o) => {
      const t0 = performance.now();
      const c = await window.localrecHarness.createLocalrec(o as never);
      await c.recommend({ n: 10 });
      const ms = performance.now() - t0;
      const source = (await c.status()).model?.source;
      c.terminate();
      return { ms, source };
    }, opts);
    return {
      chosen: run.backend,
      source: run.source,
      takeoverMs: run.takeoverMs === null ? null : round(run.takeoverMs),
      coldFirstRecommendMs: round(run.coldFirstRecommendMs),
      warmFirstRecommendMs: round(warm.ms),
      warmSource: warm.source,
      recommendP50Ms: round(quantile(run.rec, 0.5)),
      recommendP95Ms: round(quantile(run.rec, 0.95)),
      // The Worker's own time in recommend() (the result's ms); the rest of recommendP50Ms is the round trip.
      recommendWorkerP50Ms: round(quantile(run.recWorker, 0.5)),
      steps5MedianMs: round(quantile(run.stepsWorker, 0.5)),
      steps5PageMedianMs: round(quantile(run.stepsPage, 0.5)),
      steps5FirstMs: round(run.stepsFirst),
      steps5RunsMs: run.stepsWorker.map(round),
      baselineRecommendP50Ms: round(quantile(baseline.rec, 0.5)),
      baselineSteps5MedianMs: round(quantile(baseline.steps, 0.5)),
      longTasksOver50Ms: longTasks.filter((d) => d > 50).length,
      longestTaskMs: longTasks.length ? round(Math.max(...longTasks)) : 0,
      // wasm memory and GPU buffers are outside what getHeapUsage counts; the cpu backend's tensors are in it.
      memoryBytes: heap === null ? null : heap.total + (backend === 'cpu' || backend === 'plain' ? 0 : run.memory.tfjsBytes),
      memory: { ...run.memory, workerHeap: heap },
      backendInitMs: run.backendInitMs,
      modelLoadMs: round(run.loadMs),
    };
  } finally {
    await context.close();
  }
}

/** The table the README shows, in Markdown, so a re-run can be pasted as is. */
function markdownTable(rows: readonly Record<string, unknown>[]): string {
  const mb = (b: unknown) => (typeof b === 'number' ? (b / 2 ** 20).toFixed(1) : '–');
  const ms = (x: unknown) => (typeof x === 'number' ? String(x) : '–');
  const lines = [
    '| items | backend | recommend p50 / p95 ms | plain p50 ms | 5 steps ms (page) | plain 5 steps ms | cold / warm first rec. ms | long tasks > 50 ms | memory MB | Worker gzip kB |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    if ('error' in r) {
      lines.push(`| ${r.items} | ${r.backend} | failed: ${String(r.error).replace(/\|/g, '/')} | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${r.items} | ${r.backend === 'auto' ? `auto (${String(r.chosen)})` : r.backend} | ${ms(r.recommendP50Ms)} / ${ms(r.recommendP95Ms)} | ${ms(r.baselineRecommendP50Ms)} | ${ms(r.steps5MedianMs)} (${ms(r.steps5PageMedianMs)}) | ${ms(r.baselineSteps5MedianMs)} | ${ms(r.coldFirstRecommendMs)} / ${ms(r.warmFirstRecommendMs)} | ${r.longTasksOver50Ms} | ${mb(r.memoryBytes)} | ${typeof r.workerGzipBytes === 'number' ? (r.workerGzipBytes / 1000).toFixed(1) : '–'} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const bar = new cliProgress.SingleBar({ format: '{bar} {value}/{total} {task}', hideCursor: true }, cliProgress.Presets.shades_classic);
  const total = 2 + SIZES.length * BACKENDS.length;
  bar.start(total, 0, { task: 'fixture models' });
  const specs = [...FIXTURES, ...BENCH_FIXTURES].filter((f) => SIZES.some((s) => MODELS[s] === f.name));
  const missing = specs.filter((s) => !existsSync(join('.cache/models', s.name, 'manifest.json')));
  await writeFixtures('.cache/models', missing);
  bar.increment(1, { task: 'package build + harness build' });
  const pkgDir = await mkdtemp(join(tmpdir(), 'localrec-bench-pkg-'));
  await buildPackage(pkgDir);
  const sizes = workerGzipBytes(pkgDir);
  await rm(pkgDir, { recursive: true, force: true });
  const OUT = '.cache/bench-dist';
  await build({ logLevel: 'error', configFile: 'vite.e2e.config.ts', build: { outDir: OUT, emptyOutDir: true, rollupOptions: { input: { harness: 'test/e2e/harness/index.html' } } } });
  const server = await preview({ configFile: 'vite.e2e.config.ts', build: { outDir: OUT }, preview: { port: PORT, strictPort: true, host: '127.0.0.1' }, logLevel: 'error' });
  bar.increment(1);
  const browsers: Record<string, Browser> = {};
  const launch = async (webgpu: boolean) =>
    (browsers[String(webgpu)] ??= await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: webgpu ? [...BASE_ARGS, ...WEBGPU_ARGS] : BASE_ARGS }));
  const rows: Record<string, unknown>[] = [];
  let browserVersion: string | null = null;
  const load0 = loadavg()[0];
  try {
    for (const items of SIZES) {
      const model = MODELS[items];
      const dir = join('.cache/models', model);
      const weights = await readFile(join(dir, 'weights.bin'));
      const itemsJson = await readFile(join(dir, 'items.json'));
      for (const backend of BACKENDS) {
        bar.update({ task: `${items} items, ${backend}` });
        const base = { items, backend, weightsBytes: weights.byteLength, weightsGzipBytes: gzipSync(weights).length, itemsJsonBytes: itemsJson.byteLength, itemsJsonGzipBytes: gzipSync(itemsJson).length, workerGzipBytes: sizes.perBackend[backend] ?? null };
        try {
          const browser = await launch(backend === 'webgpu');
          browserVersion ??= browser.version();
          rows.push({ ...base, ...(await measure(browser, model, backend)) });
        } catch (e) {
          rows.push({ ...base, error: e instanceof Error ? e.message.split('\n')[0] : String(e) });
        }
        bar.increment(1);
      }
    }
  } finally {
    bar.stop();
    for (const b of Object.values(browsers)) await b.close();
    await new Promise<void>((r) => server.httpServer.close(() => r()));
  }
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, browser: browserVersion, headless: true, loadAverageAtStart: round(load0), loadAverageAtEnd: round(loadavg()[0]) },
    served: 'vite production build of the e2e harness + vite preview (no compression); *GzipBytes: what a gzip-serving server sends',
    runs: { recommend: RUNS, personalise: 10, historyEvents: 20 },
    workerFirstLoadGzipBytes: sizes.firstLoad,
    wasmBinaryGzipBytes: sizes.wasmBinaryGzip,
    note: 'steps5MedianMs: the inner loop in the Worker (personalise().ms), median of 10 calls after 5 warm-up calls; steps5FirstMs: the first (cold) call; steps5PageMedianMs: the page round trip with IndexedDB writes. memoryBytes = the Worker heap from CDP Runtime.getHeapUsage (usedSize + embedderHeapUsedSize + backingStorageSize: JS objects and the model arrays; collected first) + tfjs bytes on wasm/webgl/webgpu (the wasm memory and GPU buffers are outside that heap; cpu backend tensors are in it). webgpu is SwiftShader here: reported, not judged.',
    results: rows,
  };
  await mkdir('bench/reports', { recursive: true });
  await writeFile(`${values.out}.json`, JSON.stringify(report, null, 2) + '\n');
  const ok = rows.filter((r) => !('error' in r)) as unknown as { items: number; backend: string; recommendP50Ms: number; steps5MedianMs: number }[];
  const targets = { recommend: [{ items: 10_000, ms: 2 }, { items: 100_000, ms: 15 }], steps: [{ items: 10_000, ms: 10 }, { items: 100_000, ms: 60 }] };
  await writeFile(`${values.out}.svg`, latencyChart(ok, targets));
  console.log(markdownTable(rows));
  console.log(`wrote ${values.out}.json and ${values.out}.svg`);
}

await main();
