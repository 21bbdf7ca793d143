/**
 * The npm build's tfjs loader (it replaces worker-tfjs-load.ts). tfjs ships as prebuilt,
 * self-contained files beside the Worker: localrec-tfjs.js (tfjs-core and the tfjs scorer)
 * and one localrec-tfjs-<backend>.js per backend, which takes tfjs-core from the first
 * through a global instead of importing a chunk (scripts/build-package.ts). Each is named
 * with a literal `new URL(…, import.meta.url)`, which Vite and webpack 5 copy as a file
 * with whatever name they choose, and imported by that URL with an import() the bundler
 * is told to leave alone. A bundler that inlines the Worker's dynamic imports (Vite's
 * default `iife` Worker format does) therefore still leaves tfjs out of the Worker's
 * first load, and files renamed by the bundler never need to find each other by name.
 */
import type { TfjsModule } from './worker-tfjs-load';
import type { TfjsBackendName } from './types';

type Core = typeof import('./worker-tfjs-core-package');
type Wasm = typeof import('./worker-tfjs-wasm');

// Vite and webpack must see neither what these import nor that they import at all.
const importUrl = <T>(url: URL): Promise<T> => import(/* @vite-ignore */ /* webpackIgnore: true */ url.href) as Promise<T>;

/** The wasm binaries beside the Worker, each a literal `new URL` so bundlers copy them too. */
const defaultWasmFiles = (): Record<string, string> => ({
  'tfjs-backend-wasm.wasm': new URL('./tfjs-backend-wasm.wasm', import.meta.url).href,
  'tfjs-backend-wasm-simd.wasm': new URL('./tfjs-backend-wasm-simd.wasm', import.meta.url).href,
  'tfjs-backend-wasm-threaded-simd.wasm': new URL('./tfjs-backend-wasm-threaded-simd.wasm', import.meta.url).href,
});

let core: Promise<Core> | null = null;
const loadCore = () => (core ??= importUrl<Core>(new URL('./localrec-tfjs.js', import.meta.url)));

/** Each backend file needs tfjs-core loaded first (it registers itself with that engine). */
const backend = <T>(url: () => URL) => loadCore().then(() => importUrl<T>(url()));

const registerBackend: Record<TfjsBackendName, (wasmPath: string | null) => Promise<unknown>> = {
  cpu: () => backend(() => new URL('./localrec-tfjs-cpu.js', import.meta.url)),
  webgl: () => backend(() => new URL('./localrec-tfjs-webgl.js', import.meta.url)),
  webgpu: () => backend(() => new URL('./localrec-tfjs-webgpu.js', import.meta.url)),
  wasm: async (wasmPath) => (await backend<Wasm>(() => new URL('./localrec-tfjs-wasm.js', import.meta.url))).configureWasm(wasmPath, defaultWasmFiles),
};

let loaded: Promise<TfjsModule> | null = null;

export const loadTfjs = (): Promise<TfjsModule> => (loaded ??= loadCore().then(({ tf, TfjsScorer }) => ({ tf, TfjsScorer, registerBackend })));
