/**
 * Browser latency on this machine: a 10k-item catalogue on the wasm backend in headless
 * Chromium. Measures model load (cold from the network, warm from the cache), median
 * recommend() round trip from the page, and the time of 5 personalisation steps.
 * Prints the numbers and writes bench/reports/browser-latency.json.
 *
 *   npx tsx bench/browser-latency.ts [--model /test-models/large-10k/manifest.json] [--backend wasm] [--dev]
 *
 * By default it measures a production build (the e2e harness built by Vite and served by
 * `vite preview`), as a shop would ship it; --dev measures the unbundled dev server.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { build, createServer, preview } from 'vite';
import { writeFixtures } from '../test/fixtures/make-model';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: '/test-models/large-10k/manifest.json' },
    backend: { type: 'string', default: 'wasm' },
    runs: { type: 'string', default: '50' },
    dev: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number) => Math.round(x * 100) / 100;

await writeFixtures('.cache/models');
const PORT = 5199;
const OUT = '.cache/bench-dist';
let close: () => Promise<void>;
if (values.dev) {
  const dev = await createServer({ server: { port: PORT, strictPort: true, host: '127.0.0.1' }, logLevel: 'error' });
  await dev.listen();
  close = () => dev.close();
} else {
  await build({ logLevel: 'error', build: { outDir: OUT, emptyOutDir: true, rollupOptions: { input: { harness: 'test/e2e/harness/index.html' } } } });
  const prev = await preview({ build: { outDir: OUT }, preview: { port: PORT, strictPort: true, host: '127.0.0.1' }, logLevel: 'error' });
  close = () => new Promise<void>((r) => prev.httpServer.close(() => r()));
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.goto('http://127.0.0.1:5199/test/e2e/harness/index.html');
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
  const opts = { model: values.model, backend: values.backend, dbName: 'bench', personaliseDebounceMs: 0 };

  const measure = () =>
    page.evaluate(async ([o, runs]) => {
      const t0 = performance.now();
      const c = await window.localrecHarness.createLocalrec(o as never);
      const loadMs = performance.now() - t0;
      const status = await c.status();
      const ids = (await c.recommend({ n: 40, excludeSeen: false })).items.map((r) => r.id);
      await c.forget();
      await c.track(ids.slice(0, 20).map((item, i) => ({ item, type: (i % 5 === 0 ? 'cart' : 'view') as 'view', ts: Date.UTC(2024, 0, 1) + i })));
      const personalise: number[] = [];
      const personaliseWorker: number[] = [];
      for (let i = 0; i < 5; i++) {
        const p0 = performance.now();
        const r = await c.personalise({ steps: 5 });
        personalise.push(performance.now() - p0);
        personaliseWorker.push(r.ms);
      }
      const rec: number[] = [];
      const recWorker: number[] = [];
      for (let i = 0; i < 5; i++) await c.recommend({ n: 10 }); // warm-up
      for (let i = 0; i < runs; i++) {
        const r0 = performance.now();
        const r = await c.recommend({ n: 10 });
        rec.push(performance.now() - r0);
        recWorker.push(r.ms);
      }
      const e0 = performance.now();
      await c.explain(ids[30]);
      const explainMs = performance.now() - e0;
      c.terminate();
      return { loadMs, status, personalise, personaliseWorker, rec, recWorker, explainMs };
    }, [opts, RUNS] as const);

  const cold = await measure();
  await page.reload();
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'ready');
  const warm = await measure();

  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, browser: browser.version(), headless: true },
    served: values.dev ? 'vite dev server (unbundled)' : 'vite production build + vite preview',
    model: { url: values.model, items: cold.status.model?.items, version: cold.status.model?.version },
    backend: cold.status.backend?.name,
    modelLoad: {
      coldMs: round(cold.loadMs),
      coldWorkerLoadMs: round(cold.status.model!.loadMs),
      coldSource: cold.status.model?.source,
      warmMs: round(warm.loadMs),
      warmWorkerLoadMs: round(warm.status.model!.loadMs),
      warmSource: warm.status.model?.source,
      backendInitMs: round(cold.status.backend!.initMs),
      note: 'coldMs/warmMs: createLocalrec() from the page, including Worker start and backend init; *WorkerLoadMs: fetch + verify + decode only',
    },
    recommend: { runs: RUNS, medianMs: round(median(rec(cold, warm))), medianWorkerMs: round(median([...cold.recWorker, ...warm.recWorker])), p95Ms: round([...rec(cold, warm)].sort((a, b) => a - b)[Math.floor(0.95 * 2 * RUNS)]) },
    personalise5Steps: { runs: 10, historyEvents: 20, medianMs: round(median([...cold.personalise, ...warm.personalise])), medianWorkerMs: round(median([...cold.personaliseWorker, ...warm.personaliseWorker])) },
    explainMs: round(median([cold.explainMs, warm.explainMs])),
  };
  function rec(a: typeof cold, b: typeof cold) {
    return [...a.rec, ...b.rec];
  }
  console.log(JSON.stringify(report, null, 2));
  await mkdir('bench/reports', { recursive: true });
  const name = values.model.includes('large-10k') ? 'browser-latency' : `browser-latency-${values.model.split('/').at(-2)}`;
  await writeFile(`bench/reports/${name}.json`, JSON.stringify(report, null, 2) + '\n');
} finally {
  await browser.close();
  await close();
}
