import * as tf from '@tensorflow/tfjs-core';
// In Node the umbrella package is what registers the gradients (tfjs-core's ESM deep
// import of register_all_gradients does not resolve under Node's ESM loader).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { LocalrecError } from '../errors';

let ready: Promise<string> | undefined;

/**
 * Node training runs on the tfjs wasm backend: measured here it is ~5× faster than the
 * cpu backend for the training step's matmuls (tfjs-node cannot be installed here).
 */
export function initNodeTf(backend: 'wasm' | 'cpu' = 'wasm'): Promise<string> {
  ready ??= (async () => {
    if (!(await tf.setBackend(backend))) throw new LocalrecError('backend-unavailable', `tfjs backend "${backend}" failed to initialise`, { backend });
    await tf.ready();
    return tf.getBackend();
  })();
  return ready;
}
