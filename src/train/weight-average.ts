import { cloneTower, type TableModel } from '../model/weights';

/** avg[i] += (1 − keep)·(cur[i] − avg[i]) for i in [from, to): one thread's range of the average's update. */
export function mixRange(avg: Float32Array, cur: Float32Array, keep: number, from: number, to: number): void {
  for (let i = from; i < to; i++) avg[i] += (1 - keep) * (cur[i] - avg[i]);
}

/**
 * An exponential moving average of a model's tables and tower over training steps
 * (Polyak averaging): the average of the recent iterates generalises better than the last
 * one and moves less from one early-stopping evaluation to the next. The average covers
 * about the last tenth of the steps taken so far, at most `horizon` steps, so the random
 * start fades out quickly.
 */
export class WeightAverage {
  readonly model: TableModel;
  private steps = 0;

  constructor(
    start: TableModel,
    private readonly horizon: number,
    /** Allocates the averaged item tables (shared memory when other threads update ranges of them). */
    alloc: (length: number) => Float32Array = (length) => new Float32Array(length),
  ) {
    const copy = (a: Float32Array) => {
      const c = alloc(a.length);
      c.set(a);
      return c;
    };
    this.model = { ...start, itemIn: copy(start.itemIn), itemOut: copy(start.itemOut), itemBias: start.itemBias.slice(), tower: cloneTower(start.tower) };
  }

  /** Counts a step and returns how much of the average it keeps. */
  nextKeep(): number {
    this.steps++;
    return Math.min(1 - 1 / this.horizon, (1 + this.steps) / (10 + this.steps));
  }

  /** Moves the average toward the model's current values. */
  update(current: TableModel): void {
    const keep = this.nextKeep();
    mixRange(this.model.itemIn, current.itemIn, keep, 0, current.itemIn.length);
    mixRange(this.model.itemOut, current.itemOut, keep, 0, current.itemOut.length);
    this.updateRest(current, keep);
  }

  /** The bias and tower part of a step whose item tables were averaged by ranges (mixRange with `keep`). */
  updateRest(current: TableModel, keep: number): void {
    mixRange(this.model.itemBias, current.itemBias, keep, 0, current.itemBias.length);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) mixRange(this.model.tower[k], current.tower[k], keep, 0, current.tower[k].length);
  }
}
