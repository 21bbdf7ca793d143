/**
 * The npm package build (`npm run build:package`, run by `prepack`), written to dist/lib/:
 *
 * - index.js: the public API (src/index.ts), ESM; index.d.ts, widget.d.ts and embed.d.ts,
 *   one self-contained declaration file per entry point (scripts/api-declarations.ts);
 * - localrec-worker.js: the module Worker, with no tfjs, which index.js names with a
 *   literal `new URL(…, import.meta.url)` that Vite and webpack 5 follow to bundle it, and
 *   its own small lazy chunks localrec-worker-<name>-<hash>.js (the federated client);
 * - localrec-tfjs.js (tfjs-core and the tfjs scorer) and localrec-tfjs-<backend>.js (one
 *   per backend, tfjs-core taken from the first through a global), plus the three tfjs wasm
 *   binaries: the Worker names each with a literal `new URL`, which bundlers copy as files
 *   (renamed) rather than bundle, and imports them by URL only when a backend is probed or
 *   chosen (src/browser/worker-tfjs-load-package.ts). So whatever the shop's bundler does
 *   with the Worker's own imports (Vite's default `iife` Worker inlines them), tfjs stays
 *   out of the Worker's first load;
 * - localrec-embed.js (module) and localrec-embed.iife.js (classic script): the script-tag
 *   loader, which imports ./index.js lazily, so this one folder is also the CDN folder;
 * - localrec-widget.js: the <localrec-recommendations> element, which the loader imports
 *   once the client is ready.
 *
 * rolldown (Vite's bundler) directly, not Vite: Vite would rewrite those `new URL` calls
 * into its own assets, and they must reach the shop's bundler untouched.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown, type InputOptions, type OutputOptions, type Plugin } from 'rolldown';
import { TFJS_CORE_GLOBAL } from '../src/browser/worker-tfjs-global';
import { buildDeclarations } from './api-declarations';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WASM_DIR = join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
export const WORKER_FILE = 'localrec-worker.js';
export const WIDGET_FILE = 'localrec-widget.js';
/** The Worker's own lazy chunks (the federated client) are `localrec-worker-<name>-<hash>.js`. */
export const WORKER_CHUNK_PREFIX = 'localrec-worker-';
/** tfjs-core and the tfjs scorer; each backend is `localrec-tfjs-<backend>.js` beside it. */
export const TFJS_FILE = 'localrec-tfjs.js';
export const TFJS_BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'] as const;
export const tfjsBackendFile = (backend: (typeof TFJS_BACKENDS)[number]) => `localrec-tfjs-${backend}.js`;

/** Production builds drop the developer hints (src/dev.ts). */
const define = { __LOCALREC_DEV__: 'false' };

/** In main-worker.ts, the Worker's source name becomes its bundle's name. */
function workerFileName(): Plugin {
  return {
    name: 'localrec-worker-file-name',
    transform(code, id) {
      if (!id.endsWith('/src/browser/main-worker.ts')) return null;
      if (!code.includes("'./worker-entry.ts'")) throw new Error('main-worker.ts no longer names ./worker-entry.ts');
      return code.replaceAll("'./worker-entry.ts'", `'./${WORKER_FILE}'`);
    },
  };
}

/** Swaps a module for its package variant (…/x.ts → …/x-package.ts) where `source` is imported. */
function packageVariant(source: string, dir: string): Plugin {
  return {
    name: `localrec-package-variant:${source}`,
    resolveId: (spec, importer) => (spec === source && importer?.includes(`/${dir}/`) ? join(ROOT, dir, `${source.slice(2)}-package.ts`) : null),
  };
}

/**
 * In a backend's file, `@tensorflow/tfjs-core` is the namespace localrec-tfjs.js left under
 * a global: one tfjs-core per Worker, with no import between files a bundler renames.
 * `names` are tfjs-core's exports; a backend importing anything else fails the build.
 */
function tfjsCoreFromGlobal(names: string[]): Plugin {
  const id = '\0localrec-tfjs-core-global';
  return {
    name: 'localrec-tfjs-core-global',
    resolveId: (spec) => (spec === '@tensorflow/tfjs-core' ? id : spec.startsWith('@tensorflow/tfjs-core/') ? { id: spec, external: true } : null),
    load: (loaded) =>
      loaded === id ? `const tf = globalThis[Symbol.for(${JSON.stringify(TFJS_CORE_GLOBAL)})];\nexport const { ${names.join(', ')} } = tf;\n` : null,
  };
}

/** The names tfjs-core's ES module exports, read by the bundler itself. */
async function tfjsCoreExports(): Promise<string[]> {
  const b = await rolldown({ input: 'localrec:core-names', platform: 'browser', logLevel: 'silent', plugins: [{ name: 'entry', resolveId: (s) => (s === 'localrec:core-names' ? s : null), load: (id) => (id === 'localrec:core-names' ? "export * from '@tensorflow/tfjs-core';" : null) }] });
  try {
    const { output } = await b.generate({ format: 'es' });
    return output[0].exports;
  } finally {
    await b.close();
  }
}

/** Writes one bundle: to `output.file`, or (code-split) into `output.dir`. */
async function bundle(input: InputOptions, output: OutputOptions): Promise<void> {
  const b = await rolldown({ platform: 'browser', transform: { define }, logLevel: 'warn', ...input });
  let files: string[];
  try {
    const { output: chunks } = await b.write({ minify: true, ...output });
    const { file, dir = '' } = output;
    files = file ? [file] : chunks.filter((c) => c.type === 'chunk').map((c) => join(dir, c.fileName));
  } finally {
    await b.close();
  }
  // The minifier writes string literals as template literals; put quotes back in the
  // `new URL('./file', import.meta.url)` and `import('./chunk.js')` calls, the exact
  // shapes bundlers look for.
  for (const file of files) {
    const code = readFileSync(file, 'utf8')
      .replace(/new URL\(`(\.\/[\w.-]+)`,\s*import\.meta\.url\)/g, "new URL('$1',import.meta.url)")
      .replace(/import\(`(\.\/[\w.-]+\.js)`\)/g, "import('$1')");
    writeFileSync(file, code);
  }
}

export async function buildPackage(outDir = join(ROOT, 'dist/lib')): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // tfjs's emscripten glue probes Node's __filename/__dirname; webpack leaves them
  // undefined in an ES module and the Worker dies with a ReferenceError. Browser-only.
  const noNodeGlobals = { define: { ...define, __filename: 'undefined', __dirname: 'undefined' } };
  const tfjsLoader = packageVariant('./worker-tfjs-load', 'src/browser');
  // The Worker's own lazy chunks (the federated client) stay chunks; tfjs is not one of them.
  await bundle(
    { input: join(ROOT, 'src/browser/worker-entry.ts'), plugins: [tfjsLoader], transform: noNodeGlobals },
    { dir: outDir, format: 'es', entryFileNames: WORKER_FILE, chunkFileNames: (c) => `${WORKER_CHUNK_PREFIX}${c.name.replace(/^worker-/, '')}-[hash].js` },
  );
  await bundle({ input: join(ROOT, 'src/browser/worker-tfjs-core-package.ts'), transform: noNodeGlobals }, { file: join(outDir, TFJS_FILE), format: 'es', codeSplitting: false });
  const coreNames = await tfjsCoreExports();
  const backendEntry: Record<(typeof TFJS_BACKENDS)[number], string> = {
    cpu: '@tensorflow/tfjs-backend-cpu',
    webgl: '@tensorflow/tfjs-backend-webgl',
    webgpu: '@tensorflow/tfjs-backend-webgpu',
    wasm: join(ROOT, 'src/browser/worker-tfjs-wasm.ts'),
  };
  for (const backend of TFJS_BACKENDS) {
    await bundle(
      { input: backendEntry[backend], plugins: [tfjsCoreFromGlobal(coreNames)], transform: noNodeGlobals },
      { file: join(outDir, tfjsBackendFile(backend)), format: 'es', codeSplitting: false },
    );
  }
  for (const f of WASM_FILES) copyFileSync(join(WASM_DIR, f), join(outDir, f));
  await bundle({ input: join(ROOT, 'src/index.ts'), plugins: [workerFileName()] }, { file: join(outDir, 'index.js'), format: 'es' });
  const loader = {
    input: join(ROOT, 'src/embed/embed.ts'),
    plugins: [packageVariant('./load-client', 'src/embed'), packageVariant('./load-widget', 'src/embed')],
    external: [/index\.js$/, /localrec-widget\.js$/],
  };
  await bundle(loader, { file: join(outDir, 'localrec-embed.js'), format: 'es' });
  await bundle(loader, { file: join(outDir, 'localrec-embed.iife.js'), format: 'iife' });
  await bundle({ input: join(ROOT, 'src/embed/element.ts') }, { file: join(outDir, WIDGET_FILE), format: 'es' });
  buildDeclarations({ outDir });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : undefined;
  await buildPackage(out);
  console.log(`built ${relative(ROOT, out ?? join(ROOT, 'dist/lib')) || '.'}`);
}
