/**
 * How the Worker gets tfjs: one dynamic import, made only when a backend is probed or
 * chosen. Here (the demo, the dev server, the tests) it is an ordinary import() of
 * worker-tfjs.ts, which the bundler splits into chunks. The npm build swaps this module
 * for worker-tfjs-load-package.ts, which imports prebuilt files by URL instead, so that a
 * shop's bundler, whatever its settings, never pulls tfjs into the Worker's first load.
 */
import type * as WorkerTfjs from './worker-tfjs';

export type TfjsModule = Pick<typeof WorkerTfjs, 'tf' | 'TfjsScorer' | 'registerBackend'>;

let tfjs: Promise<TfjsModule> | null = null;

export const loadTfjs = (): Promise<TfjsModule> => (tfjs ??= import('./worker-tfjs'));
