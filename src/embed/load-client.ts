/**
 * Loads the main-thread client lazily, so the loader stays tiny. In the demo and dev
 * server the bundler follows this import; the package build swaps in
 * load-client-package.ts, which loads the package's index.js from beside the loader.
 */
export const loadClient = () => import('../browser/main-client');
