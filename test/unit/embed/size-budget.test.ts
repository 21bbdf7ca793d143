import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, TFJS_BACKENDS, TFJS_FILE, tfjsBackendFile } from '../../../scripts/build-package';

/**
 * Size budgets of the shipped artifacts, measured on a real package build (the same folder
 * serves npm and the CDN script tag). The loader and the page client are what every shop
 * page pays for; tfjs only ever loads inside the Worker.
 */
// The client was 2.5 kB until it learned to read TCF v2.2, Consent Mode and GA4's items
// shape, and became the whole public API (error codes, LocalrecError), not a lazy chunk.
// It grew to 5.9 kB when the public API started checking its arguments on the page with
// the Worker's own valibot schemas (src/browser/schemas.ts, issue 16): strict runtime types
// were judged worth ~3 kB of the lazily loaded client; the script-tag loader is unchanged.
// The <localrec-recommendations> element (images, prices, templates, "why?") moved out of the
// loader into its own lazily loaded file (issue 14), which took the loader from 2.4 to 1.8 kB.
// The Worker's first load is only the runtime (no tfjs): issue 15's budget is 150 kB. tfjs
// and each backend are lazy chunks fetched only when probed or chosen; the largest pair
// a page can need (the tfjs core plus one backend) is held to what the whole Worker was.
// The lazy tfjs chunks became self-contained files the Worker imports by URL (issue 26), so
// that a bundler's defaults cannot pull them into the Worker: each backend file carries its
// own copy of the cpu backend's shared kernels (formerly a shared chunk) and a destructuring
// of tfjs-core's namespace, about 2-3 kB more per backend.
// The client reached 6.6 kB with issue 14's surface (context, include/exclude/price filters,
// setAvailability) and issue 16's createLocalrec option checks; the budget moved to 7 kB.
// The client passed 7 kB when the page started applying the trainer's own id and rating rules
// (src/data/ids.ts, ratings.ts: track() refuses exactly what training refuses, issues 25, 28)
// and following a denial made in another tab (issue 28): 7,007 bytes; the budget moved to 7.1 kB.
const BUDGET_GZIP = { loader: 2_500, client: 7_100, widget: 3_500, workerFirstLoad: 150_000, tfjsWithOneBackend: 200_000 };

describe('the package build', () => {
  let dir: string;
  const files: Record<string, Buffer> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'localrec-package-'));
    await buildPackage(dir);
    for (const name of await readdir(dir)) if (name.endsWith('.js')) files[name] = await readFile(join(dir, name));
    // Printed so a change's effect on the shipped sizes shows in the test log.
    for (const [name, bytes] of Object.entries(files)) console.log(`gzip ${name}: ${gzipSync(bytes).length} bytes`);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const file = (name: string) => {
    expect(Object.keys(files)).toContain(name);
    return files[name];
  };

  it.each(['localrec-embed.js', 'localrec-embed.iife.js'])(`keeps the script-tag loader %s under ${BUDGET_GZIP.loader} bytes gzipped and free of tfjs`, (name) => {
    expect(gzipSync(file(name)).length).toBeLessThanOrEqual(BUDGET_GZIP.loader);
    expect(file(name).toString('utf8')).not.toMatch(/tfjs|tensorflow/i);
  });

  it('builds the classic loader without module syntax, so a plain <script> runs it', () => {
    const code = file('localrec-embed.iife.js').toString('utf8');
    expect(code).not.toMatch(/^\s*(import|export)\s|import\.meta/m);
    // It still loads the client lazily, from beside itself, and has no copy of it.
    expect(code).toContain('./index.js');
    expect(code).not.toContain('createObjectURL');
  });

  it(`keeps the page client (index.js) under ${BUDGET_GZIP.client} bytes gzipped and free of tfjs`, () => {
    expect(gzipSync(file('index.js')).length).toBeLessThanOrEqual(BUDGET_GZIP.client);
    expect(file('index.js').toString('utf8')).not.toMatch(/tfjs|tensorflow/i);
  });

  it(`keeps the widget (localrec-widget.js) under ${BUDGET_GZIP.widget} bytes gzipped, free of tfjs and of the client, which the loader hands it`, () => {
    const code = file('localrec-widget.js').toString('utf8');
    expect(gzipSync(code).length).toBeLessThanOrEqual(BUDGET_GZIP.widget);
    expect(code).not.toMatch(/tfjs|tensorflow|valibot|new Worker/i);
    // The loader has none of the widget's code: it imports it from beside itself.
    for (const name of ['localrec-embed.js', 'localrec-embed.iife.js']) {
      expect(file(name).toString('utf8')).toContain('./localrec-widget.js');
      expect(file(name).toString('utf8')).not.toContain('adoptedStyleSheets');
    }
  });

  it(`keeps the Worker's first load under ${BUDGET_GZIP.workerFirstLoad} bytes gzipped, with no tfjs in it and nothing it imports`, () => {
    const worker = file('localrec-worker.js');
    expect(gzipSync(worker).length).toBeLessThanOrEqual(BUDGET_GZIP.workerFirstLoad);
    // tfjs-core's engine registers itself under this global; its absence means no tfjs code.
    expect(worker.toString('utf8')).not.toContain('_tfengine');
    // No static import: the first load is this file. Its own lazy chunks (the federated
    // client) hold no tfjs either, so a bundler that inlines them (Vite's iife) adds only those.
    expect(worker.toString('utf8')).not.toMatch(/(?:from|\bimport)\s*['"`]\.\//);
    for (const [name, code] of Object.entries(files)) if (name.startsWith('localrec-worker-')) expect(code.toString('utf8'), name).not.toContain('_tfengine');
    // tfjs arrives by an import() of a URL that bundlers are told to leave alone.
    expect(worker.toString('utf8')).toMatch(/import\(\s*\/\* @vite-ignore \*\/\s*\/\* webpackIgnore: true \*\//);
  });

  it.each(TFJS_BACKENDS)(`keeps tfjs plus the %s backend, the files a tfjs page loads, under ${BUDGET_GZIP.tfjsWithOneBackend} bytes gzipped, the backend without a copy of tfjs-core`, (backend) => {
    const tfjs = file(TFJS_FILE);
    const own = file(tfjsBackendFile(backend));
    expect(tfjs.toString('utf8')).toContain('_tfengine');
    expect(own.toString('utf8')).not.toContain('_tfengine');
    for (const code of [tfjs, own]) expect(code.toString('utf8')).not.toMatch(/(?:from|import)\s*\(?\s*['"`]\.\//);
    expect(gzipSync(tfjs).length + gzipSync(own).length).toBeLessThanOrEqual(BUDGET_GZIP.tfjsWithOneBackend);
  });

  it('names the Worker, its tfjs files and each wasm binary with a literal new URL(…, import.meta.url), the shape bundlers follow', async () => {
    expect(file('index.js').toString('utf8')).toContain("new Worker(new URL('./localrec-worker.js',import.meta.url)");
    const worker = file('localrec-worker.js').toString('utf8');
    for (const name of [TFJS_FILE, ...TFJS_BACKENDS.map(tfjsBackendFile)]) expect(worker).toContain(`new URL('./${name}',import.meta.url)`);
    for (const wasm of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
      expect(worker).toContain(`new URL('./${wasm}',import.meta.url)`);
      expect((await readFile(join(dir, wasm))).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    }
  });

  it('drops developer-only error hints (src/dev.ts) from the production Worker and page client', async () => {
    // One hint from each side; the sources must still hold them, or this test proves nothing.
    const workerHint = 'track only catalogue items';
    const clientHint = "call setConsent('granted') once the shopper agrees";
    expect(await readFile('src/browser/worker-scoring.ts', 'utf8')).toContain(workerHint);
    expect(await readFile('src/browser/main-client.ts', 'utf8')).toContain(clientHint);
    for (const [name, code] of Object.entries(files)) if (name.startsWith('localrec-worker') || name.startsWith('localrec-tfjs')) expect(code.toString('utf8'), name).not.toContain(workerHint);
    expect(file('index.js').toString('utf8')).not.toContain(clientHint);
    // The short message and the code stay.
    expect(file('index.js').toString('utf8')).toContain('consent-required');
  });
});
