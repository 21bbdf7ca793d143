/**
 * The Playwright build: the demo plus the e2e harness (test/e2e/harness/) built into
 * .cache/e2e-dist and served by `vite preview` (see playwright.config.ts) — the bundles a
 * shop would ship, and no dev-server reload when someone edits a source file mid-run.
 * Fixture models written by test/fixtures/make-model.ts are served at /test-models/
 * (preview and dev server only; never built).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { defineConfig, mergeConfig, type Plugin, type PreviewServer, type ViteDevServer } from 'vite';
import base from './vite.config.ts';

const TEST_MODELS = resolve('.cache/models');
const TYPES: Record<string, string> = { '.json': 'application/json', '.bin': 'application/octet-stream' };

function testModels(): Plugin {
  const serve = (server: ViteDevServer | PreviewServer) => {
    server.middlewares.use((req, res, next) => {
      const path = decodeURIComponent((req.url ?? '').split('?')[0]);
      if (!path.startsWith('/test-models/')) return next();
      const file = resolve(TEST_MODELS, path.slice('/test-models/'.length));
      if (!file.startsWith(TEST_MODELS + sep) || !existsSync(file) || !statSync(file).isFile()) {
        res.statusCode = 404;
        return res.end();
      }
      res.setHeader('content-type', TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream');
      res.setHeader('cache-control', 'no-cache');
      createReadStream(file).pipe(res);
    });
  };
  return { name: 'localrec-test-models', configureServer: serve, configurePreviewServer: serve };
}

export default mergeConfig(
  base,
  defineConfig({
    plugins: [testModels()],
    optimizeDeps: { entries: ['test/e2e/harness/index.html', 'test/e2e/harness/widget.html'] },
    build: {
      outDir: '.cache/e2e-dist',
      rollupOptions: { input: { harness: resolve('test/e2e/harness/index.html'), widget: resolve('test/e2e/harness/widget.html') } },
    },
  }),
);
