/**
 * Everything tfjs the Worker may need, as one lazily imported chunk: the core, the tfjs
 * scorer, and a loader per backend (each its own chunk, imported only when probed or
 * chosen). The plain TypeScript path needs none of it, so a page whose probe picks it
 * never downloads tfjs. No gradients: the inner loop is plain TypeScript.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsBackendName } from './types';
import { defaultWasmFiles } from './worker-wasm-files';

export { tf };
export { TfjsScorer } from '../model/scorer-tfjs';

/** Registers a backend with tfjs by importing its package (each its own chunk). */
export const registerBackend: Record<TfjsBackendName, (wasmPath: string | null) => Promise<unknown>> = {
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
  webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  wasm: async (wasmPath) => (await import('./worker-tfjs-wasm')).configureWasm(wasmPath, defaultWasmFiles),
};
