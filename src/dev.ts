/**
 * Whether this build carries developer-only text (long hints in error messages), as
 * workbox does. Vite's `define` sets `__LOCALREC_DEV__` for the browser builds, so a
 * production build folds `DEV` to false and drops every `DEV ? '…' : undefined` hint;
 * Node, tsx and vitest leave it undefined, which means development.
 */
declare const __LOCALREC_DEV__: boolean | undefined;

export const DEV: boolean = typeof __LOCALREC_DEV__ === 'undefined' || __LOCALREC_DEV__;
