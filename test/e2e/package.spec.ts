/**
 * The npm package as a shop's app gets it: `npm pack`, install the tarball into a fresh
 * project, bundle that project with each bundler's defaults (Vite, webpack 5, esbuild,
 * Rollup with node-resolve, no option about Workers), serve the build and run it in
 * Chromium until recommendations appear. Proves the exports map, the bundled Worker, the
 * tfjs files and wasm binaries that bundlers copy by following new URL(…, import.meta.url),
 * that no bundler's defaults pull tfjs into the Worker's first load, and that the
 * declarations type-check in a strict consumer with `skipLibCheck: false`.
 */
import { test, expect, type Page, type Request } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, createServer } from 'vite';
import webpack from 'webpack';
import * as esbuild from 'esbuild';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { readmeSnippet } from './readme-snippets';
import { serveStatic, type StaticServer } from './static-server';

const ROOT = resolve('.');
let dir: string;
let app: string;
let server: StaticServer;

// The README's npm snippet, run as the app's entry, then the list it got is shown (and the client kept for the test).
const APP_JS = `${readmeSnippet('ts')}
document.getElementById('recs').replaceChildren(...items.map((it) => Object.assign(document.createElement('li'), { textContent: it.title })));
window.rec = rec;
`;

/**
 * Waits until 'auto' has measured the backends, which it does once the Worker is idle after
 * the first recommendation: only then are the tfjs files and the wasm binary fetched.
 */
async function measured(page: Page): Promise<void> {
  const source = () => page.evaluate(async () => (await (window as unknown as { rec: { status(): Promise<{ backend: { source: string } | null }> } }).rec.status()).backend?.source);
  await expect.poll(source, { timeout: 30_000 }).toBe('probed');
}

/** The issue 15 budget for what the Worker loads before it can recommend. */
const WORKER_FIRST_LOAD_BUDGET_GZIP = 150_000;

/**
 * Gzip bytes of the Worker script the page started, as the bundler emitted it into `out`,
 * plus every file it imports statically (what must arrive before it runs at all).
 */
function workerFirstLoadGzip(out: string, workerUrl: string): { file: string; bytes: number } {
  const file = join(out, new URL(workerUrl).pathname);
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const code = readFileSync(f, 'utf8');
    for (const m of code.matchAll(/(?:\bimport\s*(?:[\w*{}\s,$]+from\s*)?|\bimportScripts\()\s*["'`](\.{0,2}\/[\w./-]+\.js)["'`]/g)) {
      const dep = m[1].startsWith('/') ? join(out, m[1]) : join(dirname(f), m[1]);
      if (existsSync(dep)) visit(dep);
    }
  };
  visit(file);
  return { file, bytes: [...seen].reduce((sum, f) => sum + gzipSync(readFileSync(f)).length, 0) };
}

/** Opens the app, waits for its recommendations and returns the Worker's first load. */
async function runApp(page: Page, origin: string, out: string): Promise<{ file: string; bytes: number }> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const worker = page.waitForEvent('worker');
  await page.goto(`${origin}/`);
  await expect(page.locator('#recs li')).toHaveCount(5, { timeout: 30_000 });
  expect(errors).toEqual([]);
  const first = workerFirstLoadGzip(out, (await worker).url());
  console.log(`worker first load ${first.file.slice(out.length)}: ${first.bytes} bytes gzip`);
  expect(first.bytes).toBeLessThanOrEqual(WORKER_FIRST_LOAD_BUDGET_GZIP);
  return first;
}

/** What esbuild and Rollup do not copy by themselves: the files the Worker names with new URL. */
function copyWorkerFiles(app: string, out: string): void {
  const lib = join(app, 'node_modules/localrec/dist/lib');
  for (const f of readdirSync(lib).filter((f) => /^localrec-(worker|tfjs).*\.js$/.test(f) || f.endsWith('.wasm'))) cpSync(join(lib, f), join(out, f));
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  dir = mkdtempSync(join(tmpdir(), 'localrec-app-'));
  // npm pack runs the prepack build.
  execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, stdio: 'ignore' });
  const filename = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  app = join(dir, 'app');
  mkdirSync(join(app, 'public/models'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'shop-app', private: true, type: 'module' }));
  // The package has no runtime dependencies, so the install needs no network.
  execFileSync('npm', ['install', join(dir, filename), '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, stdio: 'ignore' });
  writeFileSync(join(app, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><ul id="recs"></ul><script type="module" src="./main.js"></script>');
  writeFileSync(join(app, 'main.js'), APP_JS);
  cpSync(join(ROOT, 'public/models/shop'), join(app, 'public/models/shop'), { recursive: true });
  await build({ root: app, configFile: false, logLevel: 'warn', build: { outDir: join(app, 'dist') } });
  server = await serveStatic({ mounts: { '/': join(app, 'dist') } });
});

test.afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('an app that installs the packed tarball and builds with Vite shows recommendations', async ({ page }) => {
  const requests: Request[] = [];
  page.context().on('request', (r) => requests.push(r));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const first = await runApp(page, server.origin, join(app, 'dist'));
  await measured(page);
  expect(errors).toEqual([]);
  const paths = requests.map((r) => new URL(r.url()).pathname);
  // Vite bundled the Worker (its default `iife` format) and copied the tfjs files and the
  // wasm binary it asked for, once it measured the backends, into the app's assets.
  expect(first.file).toMatch(/\/assets\/localrec-worker[-\w]*\.js$/);
  expect(paths.some((p) => /^\/assets\/localrec-tfjs-[\w-]+\.js$/.test(p))).toBe(true);
  expect(paths.some((p) => /^\/assets\/tfjs-backend-wasm(-simd)?[-\w]*\.wasm$/.test(p))).toBe(true);
  expect(requests.every((r) => new URL(r.url()).origin === server.origin && r.method() === 'GET')).toBe(true);
  expect(readdirSync(join(dir, 'app/node_modules/localrec'))).not.toContain('demo');
});

test("the same app runs on Vite's dev server, with no configuration", async ({ page }) => {
  const dev = await createServer({ root: app, configFile: false, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
  try {
    await dev.listen();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(dev.resolvedUrls!.local[0]);
    await expect(page.locator('#recs li')).toHaveCount(5, { timeout: 30_000 });
    expect(errors).toEqual([]);
  } finally {
    await dev.close();
  }
});

test('the same app bundled by webpack 5 shows recommendations, the Worker and wasm emitted by webpack', async ({ page }) => {
  test.setTimeout(180_000);
  const out = join(app, 'dist-webpack');
  const stats = await new Promise<webpack.Stats>((ok, fail) =>
    webpack(
      { mode: 'production', context: app, entry: './main.js', output: { path: out, clean: true }, optimization: { minimize: false }, performance: { hints: false } },
      (err, result) => (err || !result ? fail(err ?? new Error('no stats')) : ok(result)),
    ),
  );
  expect(stats.hasErrors(), stats.toString('errors-only')).toBe(false);
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><ul id="recs"></ul><script src="./main.js"></script>');
  cpSync(join(app, 'public/models'), join(out, 'models'), { recursive: true });
  const wp = await serveStatic({ mounts: { '/': out } });
  try {
    const wasm: string[] = [];
    page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(new URL(r.url()).pathname));
    await runApp(page, wp.origin, out);
    await measured(page);
    expect(wasm.length).toBeGreaterThan(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.wasm')).length).toBeGreaterThan(0);
  } finally {
    await wp.close();
  }
});

test('the same app bundled by esbuild works once the Worker, tfjs and wasm files are copied beside the bundle, as documented', async ({ page }) => {
  const out = join(app, 'dist-esbuild');
  await esbuild.build({ absWorkingDir: app, entryPoints: ['main.js'], bundle: true, format: 'esm', outdir: out, logLevel: 'error' });
  // esbuild leaves new URL('./localrec-worker.js', import.meta.url) alone: the files go beside the bundle.
  copyWorkerFiles(app, out);
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><ul id="recs"></ul><script type="module" src="./main.js"></script>');
  cpSync(join(app, 'public/models'), join(out, 'models'), { recursive: true });
  const eb = await serveStatic({ mounts: { '/': out } });
  try {
    await runApp(page, eb.origin, out);
  } finally {
    await eb.close();
  }
});

test('the same app bundled by Rollup (node-resolve, nothing else) works with the same files copied beside the bundle', async ({ page }) => {
  const out = join(app, 'dist-rollup');
  const bundle = await rollup({ input: join(app, 'main.js'), plugins: [nodeResolve({ browser: true, rootDir: app })], logLevel: 'silent' });
  try {
    await bundle.write({ dir: out, format: 'es' });
  } finally {
    await bundle.close();
  }
  copyWorkerFiles(app, out);
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><ul id="recs"></ul><script type="module" src="./main.js"></script>');
  cpSync(join(app, 'public/models'), join(out, 'models'), { recursive: true });
  const rs = await serveStatic({ mounts: { '/': out } });
  try {
    await runApp(page, rs.origin, out);
  } finally {
    await rs.close();
  }
});

// What a TypeScript shop writes against the three entry points; every name it imports is a
// type the API mentions (the list: RecommendMode, PriceRange, AvailabilityResult,
// ContextReason), the widget's tag is typed, and the widget's logger is optional.
const CONSUMER_TS = `import { createLocalrec, type AvailabilityResult, type ContextReason, type Localrec, type LocalrecMethod, type PriceRange, type RecommendMode } from 'localrec';
import { defineRecommendationsElement, type RecommendationsElement } from 'localrec/widget';
import type { EmbedApi } from 'localrec/embed';

const rec: Localrec = await createLocalrec({ model: '/models/shop/manifest.json', timeouts: { recommend: 5000 } satisfies Partial<Record<LocalrecMethod, number>> });
const price: PriceRange = { min: 5 };
const mode: RecommendMode = (await rec.recommend({ n: 4, price })).mode;
const sold: AvailabilityResult = await rec.setAvailability(['p0001'], false);
const related: ContextReason | null = (await rec.explain('p0001', { context: 'p0002' })).context;
defineRecommendationsElement(async () => rec);
const el: RecommendationsElement = document.createElement('localrec-recommendations');
el.refresh();
const queue: EmbedApi | unknown[] | undefined = window.localrec;
console.log(mode, sold, related, queue);
`;

test('a strict TypeScript app type-checks against the packed declarations with skipLibCheck: false', () => {
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  const tsconfig = (files: string[]) =>
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: [], strict: true, skipLibCheck: false, noEmit: true },
      files,
    });
  writeFileSync(join(app, 'typed.ts'), CONSUMER_TS);
  writeFileSync(join(app, 'tsconfig.json'), tsconfig(['typed.ts']));
  const check = () => {
    try {
      // --pretty false: Playwright's workers force colours, which would split the message.
      execFileSync(tsc, ['-p', 'tsconfig.json', '--pretty', 'false'], { cwd: app, encoding: 'utf8' });
      return '';
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? e);
    }
  };
  expect(check()).toBe('');
  // The same check does fail on a wrong type, so the empty output above means something.
  writeFileSync(join(app, 'typed.ts'), `${CONSUMER_TS}\nconst wrong: RecommendMode = 'newest';\n`);
  expect(check()).toMatch(/typed\.ts.*error TS2322/);
});
