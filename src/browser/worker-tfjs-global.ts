/**
 * The `Symbol.for` key under which the npm build's localrec-tfjs.js leaves the tfjs-core
 * namespace for the backend files (worker-tfjs-core-package.ts, scripts/build-package.ts).
 */
export const TFJS_CORE_GLOBAL = 'localrec.tfjs-core';
