/**
 * The package build's widget loader: localrec-widget.js from beside the loader script,
 * resolved like the client (see load-client-package.ts for why the classic loader needs
 * its own <script src>).
 */
const script = typeof document === 'undefined' ? null : document.currentScript;

export function loadWidget(): Promise<typeof import('./element')> {
  const url = script instanceof HTMLScriptElement && script.src ? new URL('./localrec-widget.js', script.src).href : './localrec-widget.js';
  return import(/* @vite-ignore */ url);
}
