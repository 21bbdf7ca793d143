/** The tfjs wasm backend and where its binaries are; a chunk of its own, loaded only for wasm. */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { defaultWasmFiles } from './worker-wasm-files';

/**
 * Every binary tfjs may ask for: it picks the threaded one only when the page is
 * cross-origin isolated, which an embed cannot demand, so most pages load a non-threaded one.
 */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

let wasmPathSet: string | null | undefined;

export function configureWasm(requested: string | null): void {
  if (wasmPathSet === requested) return;
  const base = requested === null ? null : requested.endsWith('/') ? requested : `${requested}/`;
  setWasmPaths(base === null ? defaultWasmFiles(WASM_FILES) : Object.fromEntries(WASM_FILES.map((f) => [f, base + f])));
  wasmPathSet = requested;
}
