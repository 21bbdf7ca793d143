/**
 * Entry of the npm build's localrec-tfjs.js: tfjs-core and the tfjs scorer in one file.
 * It also puts the tfjs-core namespace under a global symbol, where the backend files
 * (localrec-tfjs-<backend>.js, built with tfjs-core replaced by that global) find it: the
 * files are copied and renamed by the shop's bundler, so they cannot import each other.
 */
import * as tf from '@tensorflow/tfjs-core';
import { TFJS_CORE_GLOBAL } from './worker-tfjs-global';

export { tf };
export { TfjsScorer } from '../model/scorer-tfjs';

(globalThis as Record<symbol, unknown>)[Symbol.for(TFJS_CORE_GLOBAL)] = tf;
