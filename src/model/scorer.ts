/**
 * How a session turns user vectors into full-catalogue scores. The session owns the
 * tower and the inner loop (plain TypeScript, the one function shared with evaluation and
 * training); only this last matrix product may run on a tfjs backend, chosen by measurement.
 */
import { scoreItems } from './plain-scores';
import type { ItemTable } from './plain-tower';

export interface Scorer {
  /** What computes the scores ('plain' or the tfjs backend's name), for status(). */
  readonly name: string;
  /** count × n scores (row-major) of count user vectors (count × d, row-major). */
  scores(users: Float32Array, count: number): Promise<Float32Array>;
  dispose(): void;
}

export class PlainScorer implements Scorer {
  readonly name = 'plain';
  constructor(private readonly items: ItemTable) {}
  async scores(users: Float32Array, count: number): Promise<Float32Array> {
    return scoreItems(users, count, this.items);
  }
  dispose(): void {}
}
