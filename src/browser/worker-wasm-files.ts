/**
 * Where the tfjs wasm binaries are when the page gives no `wasmPath`: `tfjs-wasm/` beside
 * the Worker bundle's folder, where the demo build and the dev server put them. The npm
 * build replaces this module with worker-wasm-files-package.ts, which names each binary
 * with `new URL(…, import.meta.url)` so bundlers copy them with the Worker.
 */
export function defaultWasmFiles(files: readonly string[]): Record<string, string> {
  const base = new URL('../tfjs-wasm/', globalThis.location.href).href;
  return Object.fromEntries(files.map((f) => [f, base + f]));
}
