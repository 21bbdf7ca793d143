import { cloneTables, type TableModel } from '../model/weights';

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

  constructor(start: TableModel, private readonly horizon: number) {
    this.model = cloneTables(start);
  }

  /** Moves the average toward the model's current values. */
  update(current: TableModel): void {
    this.steps++;
    const keep = Math.min(1 - 1 / this.horizon, (1 + this.steps) / (10 + this.steps));
    const mix = (avg: Float32Array, cur: Float32Array) => {
      for (let i = 0; i < avg.length; i++) avg[i] += (1 - keep) * (cur[i] - avg[i]);
    };
    mix(this.model.itemIn, current.itemIn);
    mix(this.model.itemOut, current.itemOut);
    mix(this.model.itemBias, current.itemBias);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) mix(this.model.tower[k], current.tower[k]);
  }
}
