/**
 * The npm package build (`npm run build:package`, run by `prepack`), written to dist/lib/:
 *
 * - index.js: the public API (src/index.ts), ESM, with index.d.ts and the .d.ts files it
 *   references (tsc, then relative specifiers get their `.js` so Node16 ESM resolution
 *   finds them);
 * - localrec-worker.js: the module Worker (no tfjs), its lazily imported chunks
 *   localrec-worker-*.js (tfjs, one per backend), and the three tfjs wasm binaries beside
 *   it; index.js names the Worker, and the wasm chunk each binary, with a literal
 *   `new URL(…, import.meta.url)`, which Vite and webpack 5 follow to bundle and copy them;
 * - localrec-embed.js (module) and localrec-embed.iife.js (classic script): the script-tag
 *   loader, which imports ./index.js lazily, so this one folder is also the CDN folder;
 * - localrec-widget.js: the <localrec-recommendations> element, which the loader imports
 *   once the client is ready.
 *
 * rolldown (Vite's bundler) directly, not Vite: Vite would rewrite those `new URL` calls
 * into its own assets, and they must reach the shop's bundler untouched.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown, type InputOptions, type OutputOptions, type Plugin } from 'rolldown';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WASM_DIR = join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
export const WORKER_FILE = 'localrec-worker.js';
export const WIDGET_FILE = 'localrec-widget.js';
/** The Worker's lazily imported chunks (tfjs, one per backend) are named `localrec-worker-<name>-<hash>.js`. */
export const WORKER_CHUNK_PREFIX = 'localrec-worker-';

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

/** Lazy Worker chunks named for what they hold: the tfjs backend of their entry module, or the module's own name. */
function workerChunkName(chunk: { name: string; facadeModuleId?: string | null }): string {
  const backend = /tfjs-backend-(\w+)\//.exec(chunk.facadeModuleId ?? '')?.[1];
  const name = chunk.name === 'worker-tfjs-wasm' ? 'wasm' : chunk.name.replace(/^worker-/, '');
  return `${WORKER_CHUNK_PREFIX}${backend ?? name}-[hash].js`;
}

/** Swaps a module for its package variant (…/x.ts → …/x-package.ts) where `source` is imported. */
function packageVariant(source: string, dir: string): Plugin {
  return {
    name: `localrec-package-variant:${source}`,
    resolveId: (spec, importer) => (spec === source && importer?.includes(`/${dir}/`) ? join(ROOT, dir, `${source.slice(2)}-package.ts`) : null),
  };
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

/** Adds `.js` to relative specifiers in emitted declaration files. */
function fixDeclarationSpecifiers(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) fixDeclarationSpecifiers(path);
    else if (name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8').replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+?)\2/g, (m, pre: string, q: string, spec: string) =>
        /\.(js|json)$/.test(spec) ? m : `${pre}${q}${spec}.js${q}`,
      );
      writeFileSync(path, text);
    }
  }
}

export async function buildPackage(outDir = join(ROOT, 'dist/lib')): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await bundle(
    {
      input: join(ROOT, 'src/browser/worker-entry.ts'),
      plugins: [packageVariant('./worker-wasm-files', 'src/browser')],
      // tfjs's emscripten glue probes Node's __filename/__dirname; webpack leaves them
      // undefined in an ES module and the Worker dies with a ReferenceError. Browser-only.
      transform: { define: { ...define, __filename: 'undefined', __dirname: 'undefined' } },
    },
    // tfjs and each backend are lazy chunks beside the Worker (worker-tfjs.ts), so a page
    // whose probe picks the plain path never downloads them.
    { dir: outDir, format: 'es', entryFileNames: WORKER_FILE, chunkFileNames: workerChunkName },
  );
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
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  execFileSync(tsc, ['-p', join(ROOT, 'tsconfig.package.json'), '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' });
  fixDeclarationSpecifiers(outDir);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : undefined;
  await buildPackage(out);
  console.log(`built ${relative(ROOT, out ?? join(ROOT, 'dist/lib')) || '.'}`);
}
