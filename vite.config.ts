/**
 * `npm start` serves the demo shop (http://localhost:5173/ redirects to /demo/) with the
 * default model from public/models/; `vite build` builds the demo into dist/demo.
 * The repository root is Vite's root so the e2e harness (test/e2e/harness/) and the demo
 * share one server; in development, generated fixture models are served at /test-models/.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const WASM_DIR = resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const TEST_MODELS = resolve('.cache/models');

const TYPES: Record<string, string> = { '.json': 'application/json', '.bin': 'application/octet-stream', '.wasm': 'application/wasm' };

function serveDir(prefix: string, dir: string, allow: (file: string) => boolean): Plugin['configureServer'] {
  return (server) => {
    server.middlewares.use((req, res, next) => {
      const path = decodeURIComponent((req.url ?? '').split('?')[0]);
      if (!path.startsWith(prefix)) return next();
      const file = resolve(dir, path.slice(prefix.length));
      if (!file.startsWith(dir + sep) || !allow(file) || !existsSync(file) || !statSync(file).isFile()) {
        res.statusCode = 404;
        return res.end();
      }
      const ext = file.slice(file.lastIndexOf('.'));
      res.setHeader('content-type', TYPES[ext] ?? 'application/octet-stream');
      res.setHeader('cache-control', 'no-cache');
      createReadStream(file).pipe(res);
    });
  };
}

/**
 * The tfjs wasm binaries: emitted as tfjs-wasm/* by the build (beside assets/, where the
 * Worker's default looks); in development served from node_modules under any path ending
 * in /tfjs-wasm/, since the unbundled Worker lives at /src/browser/.
 */
function tfjsWasm(): Plugin {
  return {
    name: 'localrec-tfjs-wasm',
    configureServer: (server) => {
      server.middlewares.use((req, res, next) => {
        const m = /\/tfjs-wasm\/([\w.-]+\.wasm)(\?|$)/.exec(req.url ?? '');
        if (!m || !WASM_FILES.includes(m[1])) return next();
        res.setHeader('content-type', 'application/wasm');
        createReadStream(resolve(WASM_DIR, m[1])).pipe(res);
      });
    },
    configurePreviewServer: serveDir('/tfjs-wasm/', WASM_DIR, (f) => WASM_FILES.some((w) => f.endsWith(sep + w))) as Plugin['configurePreviewServer'],
    generateBundle() {
      for (const f of WASM_FILES) this.emitFile({ type: 'asset', fileName: `tfjs-wasm/${f}`, source: readFileSync(resolve(WASM_DIR, f)) });
    },
  };
}

/** Development and preview only (never built): fixture models written by test/fixtures/make-model.ts. */
function testModels(): Plugin {
  const serve = serveDir('/test-models/', TEST_MODELS, () => true);
  return { name: 'localrec-test-models', configureServer: serve, configurePreviewServer: serve as Plugin['configurePreviewServer'] };
}

function demoAtRoot(): Plugin {
  return {
    name: 'localrec-demo-at-root',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url !== '/' && !req.url?.startsWith('/?')) return next();
        res.statusCode = 302;
        res.setHeader('location', `/demo/${req.url.slice(1)}`);
        res.end();
      });
    },
  };
}

/**
 * LOCALREC_E2E=1: build the demo and the e2e harness into .cache/e2e-dist for Playwright,
 * which runs against `vite preview` — the bundles a shop would ship, and no dev-server
 * reloads when someone edits a source file mid-run.
 */
const E2E = process.env.LOCALREC_E2E === '1';

export default defineConfig({
  root: '.',
  publicDir: 'public',
  plugins: [tfjsWasm(), testModels(), demoAtRoot()],
  server: { port: 5173 },
  worker: { format: 'es' },
  // Pre-bundle everything up front: discovering a dependency mid-session makes Vite reload the page.
  optimizeDeps: {
    entries: ['demo/index.html', 'test/e2e/harness/index.html', 'src/browser/worker-entry.ts'],
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-backend-wasm',
      'idb',
      'valibot',
    ],
  },
  build: {
    outDir: E2E ? '.cache/e2e-dist' : 'dist/demo',
    emptyOutDir: true,
    rollupOptions: {
      input: E2E ? { demo: resolve('demo/index.html'), harness: resolve('test/e2e/harness/index.html') } : { demo: resolve('demo/index.html') },
    },
  },
});
