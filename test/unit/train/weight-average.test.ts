import { describe, expect, it } from 'vitest';
import type { TableModel } from '../../../src/model/weights';
import { WeightAverage } from '../../../src/train/weight-average';

/** A one-item, one-dimension model whose every parameter is `x`. */
const model = (x: number): TableModel => ({
  n: 1,
  d: 1,
  hidden: 1,
  itemIn: Float32Array.of(x),
  itemOut: Float32Array.of(x),
  itemBias: Float32Array.of(x),
  tower: { w1: Float32Array.of(x), b1: Float32Array.of(x), w2: Float32Array.of(x), b2: Float32Array.of(x) },
});
const values = (m: TableModel) => [m.itemIn[0], m.itemOut[0], m.itemBias[0], m.tower.w1[0], m.tower.b1[0], m.tower.w2[0], m.tower.b2[0]];

describe('WeightAverage', () => {
  it('starts at the model it was given and does not share its arrays', () => {
    const start = model(1);
    const avg = new WeightAverage(start, 100);
    start.itemIn[0] = 5;
    expect(values(avg.model)).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('moves every table and tower parameter part of the way toward the current model', () => {
    const avg = new WeightAverage(model(0), 100);
    avg.update(model(1));
    for (const v of values(avg.model)) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('forgets the start quickly, then averages over about `horizon` steps', () => {
    const avg = new WeightAverage(model(0), 50);
    for (let s = 0; s < 30; s++) avg.update(model(1));
    // After 30 steps the random start weighs under 1%.
    expect(avg.model.itemIn[0]).toBeGreaterThan(0.99);
    for (let s = 0; s < 2000; s++) avg.update(model(1));
    // The random start has faded out.
    expect(avg.model.itemIn[0]).toBeCloseTo(1, 3);
    // One step away from a settled average moves it by about 1/horizon of the distance.
    avg.update(model(2));
    expect(avg.model.itemIn[0]).toBeCloseTo(1 + 1 / 50, 3);
  });

  it('evens out iterates that oscillate around a value', () => {
    const avg = new WeightAverage(model(0), 20);
    for (let s = 0; s < 400; s++) avg.update(model(s % 2 === 0 ? 3 : 1));
    expect(Math.abs(avg.model.tower.w2[0] - 2)).toBeLessThan(0.06);
  });
});
