/**
 * The demo shop: `npm start` serves it (http://localhost:5173/ redirects to /demo/) with
 * the default model from public/models/; `vite build` builds it into dist/demo. The e2e
 * harness has its own config (vite.e2e.config.ts); the npm package and script-tag build is
 * scripts/build-package.ts.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const WASM_DIR = resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/**
 * The tfjs wasm binaries, where the Worker's default wasmPath looks (`../tfjs-wasm/` from
 * the Worker script): the build emits them as tfjs-wasm/* beside assets/; the dev server,
 * where the unbundled Worker lives at /src/browser/, answers any path ending in /tfjs-wasm/.
 */
export function tfjsWasm(): Plugin {
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
    generateBundle() {
      for (const f of WASM_FILES) this.emitFile({ type: 'asset', fileName: `tfjs-wasm/${f}`, source: readFileSync(resolve(WASM_DIR, f)) });
    },
  };
}

/** Long developer hints in errors only outside production builds (see src/dev.ts). */
export function devFlag(): Plugin {
  return { name: 'localrec-dev-flag', config: (_, { mode }) => ({ define: { __LOCALREC_DEV__: JSON.stringify(mode !== 'production') } }) };
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

export default defineConfig({
  root: '.',
  publicDir: 'public',
  plugins: [tfjsWasm(), devFlag(), demoAtRoot()],
  server: { port: 5173 },
  worker: { format: 'es' },
  // Pre-bundle everything up front: discovering a dependency mid-session makes Vite reload the page.
  optimizeDeps: {
    entries: ['demo/index.html', 'src/browser/worker-entry.ts'],
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-backend-wasm',
      'idb',
      'valibot',
    ],
  },
  build: {
    outDir: 'dist/demo',
    emptyOutDir: true,
    rollupOptions: { input: { demo: resolve('demo/index.html') } },
  },
});
