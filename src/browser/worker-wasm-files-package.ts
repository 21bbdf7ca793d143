/**
 * The npm build's default wasm locations: the binaries sit beside the Worker bundle, each
 * named by a literal `new URL(…, import.meta.url)` so that Vite and webpack 5 copy them
 * along when they bundle the Worker, and so that a Worker imported from a CDN (whose
 * location is a blob: stub) still finds them on the CDN.
 */
export function defaultWasmFiles(): Record<string, string> {
  return {
    'tfjs-backend-wasm.wasm': new URL('./tfjs-backend-wasm.wasm', import.meta.url).href,
    'tfjs-backend-wasm-simd.wasm': new URL('./tfjs-backend-wasm-simd.wasm', import.meta.url).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL('./tfjs-backend-wasm-threaded-simd.wasm', import.meta.url).href,
  };
}
