/**
 * The package build's client loader: index.js from beside the loader script. The classic
 * loader resolves it against its own <script src>, because a classic script from a CDN
 * (no crossorigin attribute) gets about:blank as the base URL of its import() calls; the
 * module loader (currentScript is null there) resolves it against its own module URL.
 */
// Read while the classic script runs; it is null afterwards and in modules.
const script = typeof document === 'undefined' ? null : document.currentScript;

export function loadClient(): Promise<typeof import('../browser/main-client')> {
  const url = script instanceof HTMLScriptElement && script.src ? new URL('./index.js', script.src).href : './index.js';
  return import(/* @vite-ignore */ url);
}
