/**
 * Loads the <localrec-recommendations> element lazily, so the loader stays tiny. The
 * package build swaps in load-widget-package.ts (localrec-widget.js from beside the loader).
 */
export const loadWidget = () => import('./element');
