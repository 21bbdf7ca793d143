/**
 * Where the tfjs wasm binaries are when the page gives no `wasmPath`: `tfjs-wasm/` beside
 * the Worker bundle's folder, where the demo build and the dev server put them. (The npm
 * build names them in worker-tfjs-load-package.ts instead, beside the Worker.)
 */
export function defaultWasmFiles(): Record<string, string> {
  const base = new URL('../tfjs-wasm/', globalThis.location.href).href;
  const files = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
  return Object.fromEntries(files.map((f) => [f, base + f]));
}
