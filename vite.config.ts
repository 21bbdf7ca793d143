/**
 * The demo shop: `npm start` serves it (http://localhost:5173/ redirects to /demo/) with
 * the default model from public/models/; `vite build` builds it into dist/demo. The e2e
 * harness has its own config (vite.e2e.config.ts); the npm package and script-tag build is
 * scripts/build-package.ts.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import type { ItemMeta } from './src/data/types';
import { productSvgDocument } from './demo/product-image.ts';

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

const SHOP_ITEMS = resolve('public/models/shop/items.json');
const PRODUCT_IMAGE = /^\/demo\/img\/products\/([\w.-]+)\.svg$/;

/**
 * The shop model's items.json names each product's picture `img/products/<id>.svg`
 * (page-relative): the dev server draws it on request and the build writes every one, from
 * the same code the demo page draws its data: URLs with (demo/product-image.ts).
 */
export function demoProductImages(): Plugin {
  let items: Map<string, ItemMeta> | null = null;
  const load = () => (items ??= new Map((existsSync(SHOP_ITEMS) ? (JSON.parse(readFileSync(SHOP_ITEMS, 'utf8')) as ItemMeta[]) : []).map((i) => [i.id, i])));
  return {
    name: 'localrec-demo-product-images',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = PRODUCT_IMAGE.exec((req.url ?? '').split('?')[0]);
        const item = m ? load().get(m[1]) : undefined;
        if (!item) return next();
        res.setHeader('content-type', 'image/svg+xml');
        res.end(productSvgDocument(item, 'product'));
      });
    },
    generateBundle() {
      for (const item of load().values()) if (/^[\w.-]+$/.test(item.id)) this.emitFile({ type: 'asset', fileName: `demo/img/products/${item.id}.svg`, source: productSvgDocument(item, 'product') });
    },
  };
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
  plugins: [tfjsWasm(), devFlag(), demoAtRoot(), demoProductImages()],
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
