/** The tfjs wasm backend and where its binaries are; loaded only for wasm. */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * Every binary tfjs may ask for: it picks the threaded one only when the page is
 * cross-origin isolated, which an embed cannot demand, so most pages load a non-threaded one.
 */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

let wasmPathSet: string | null | undefined;

/**
 * Points tfjs at the binaries: in the folder `requested` (the page's `wasmPath`), or when
 * that is null at `defaults()`, which the caller supplies because where the binaries sit
 * depends on the build (worker-wasm-files.ts, worker-tfjs-load-package.ts).
 */
export function configureWasm(requested: string | null, defaults: () => Record<string, string>): void {
  if (wasmPathSet === requested) return;
  const base = requested === null ? null : requested.endsWith('/') ? requested : `${requested}/`;
  setWasmPaths(base === null ? defaults() : Object.fromEntries(WASM_FILES.map((f) => [f, base + f])));
  wasmPathSet = requested;
}
