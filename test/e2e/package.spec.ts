/**
 * The npm package as a shop's app gets it: `npm pack`, install the tarball into a fresh
 * project, bundle that project with Vite's defaults, serve the build and run it in
 * Chromium until recommendations appear. Proves the exports map, the bundled Worker and
 * the wasm binaries that Vite copies by following new URL(…, import.meta.url).
 */
import { test, expect, type Request } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, createServer } from 'vite';
import webpack from 'webpack';
import * as esbuild from 'esbuild';
import { readmeSnippet } from './readme-snippets';
import { serveStatic, type StaticServer } from './static-server';

const ROOT = resolve('.');
let dir: string;
let app: string;
let server: StaticServer;

// The README's npm snippet, run as the app's entry, then the list it got is shown.
const APP_JS = `${readmeSnippet('ts')}
document.getElementById('recs').replaceChildren(...items.map((it) => Object.assign(document.createElement('li'), { textContent: it.title })));
`;

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
  await page.goto(`${server.origin}/`);
  await expect(page.locator('#recs li')).toHaveCount(5, { timeout: 30_000 });
  expect(errors).toEqual([]);
  const paths = requests.map((r) => new URL(r.url()).pathname);
  // Vite bundled the Worker and copied the wasm binary it asked for into the app's assets.
  expect(paths.some((p) => /^\/assets\/localrec-worker[-\w]*\.js$/.test(p))).toBe(true);
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
    await page.goto(`${wp.origin}/`);
    await expect(page.locator('#recs li')).toHaveCount(5, { timeout: 30_000 });
    expect(wasm.length).toBeGreaterThan(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.wasm')).length).toBeGreaterThan(0);
  } finally {
    await wp.close();
  }
});

test('the same app bundled by esbuild works once the Worker and wasm files are copied beside the bundle, as documented', async ({ page }) => {
  const out = join(app, 'dist-esbuild');
  await esbuild.build({ absWorkingDir: app, entryPoints: ['main.js'], bundle: true, format: 'esm', outdir: out, logLevel: 'error' });
  // esbuild leaves new URL('./localrec-worker.js', import.meta.url) alone: the files go beside the bundle.
  const lib = join(app, 'node_modules/localrec/dist/lib');
  // The Worker's lazy chunks (tfjs, one per backend) too: without them only the plain path would work.
  for (const f of readdirSync(lib).filter((f) => /^localrec-worker.*\.js$/.test(f) || f.endsWith('.wasm'))) cpSync(join(lib, f), join(out, f));
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><ul id="recs"></ul><script type="module" src="./main.js"></script>');
  cpSync(join(app, 'public/models'), join(out, 'models'), { recursive: true });
  const eb = await serveStatic({ mounts: { '/': out } });
  try {
    await page.goto(`${eb.origin}/`);
    await expect(page.locator('#recs li')).toHaveCount(5, { timeout: 30_000 });
  } finally {
    await eb.close();
  }
});
