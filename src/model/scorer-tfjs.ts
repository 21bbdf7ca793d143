/**
 * Scores on the active tfjs backend: the item table stays resident as a tensor, each call
 * is one B×d · (n×d)ᵀ matmul plus the bias. Imported only where tfjs is wanted (Node
 * training, and the Worker once a tfjs backend won the measurement), so the Worker's
 * first load carries no tfjs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ItemTable } from './plain-tower';
import type { Scorer } from './scorer';

export class TfjsScorer implements Scorer {
  readonly name: string;
  private readonly out: tf.Tensor2D;
  private readonly bias: tf.Tensor1D;
  constructor(items: ItemTable) {
    this.name = tf.getBackend();
    this.out = tf.tensor2d(items.out, [items.n, items.d]);
    this.bias = tf.tensor1d(items.bias);
  }
  async scores(users: Float32Array, count: number): Promise<Float32Array> {
    const d = this.out.shape[1];
    const s = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(users, [count, d]), this.out, false, true), this.bias));
    const data = (await s.data()) as Float32Array;
    s.dispose();
    return data;
  }
  /** Bytes the resident item tensors hold on the backend. */
  get bytes(): number {
    return (this.out.size + this.bias.size) * 4;
  }
  dispose(): void {
    tf.dispose([this.out, this.bias]);
  }
}
