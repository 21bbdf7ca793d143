import { describe, expect, it } from 'vitest';
import { AdamW } from '../../../src/train/adam';
import { KeepLog, LazyAdamRows } from '../../../src/train/lazy-rows';
import { averageKeep, mixRange } from '../../../src/train/weight-average';

const opts = { lr: 0.01, weightDecay: 0.5 };
const grad = (t: number, length: number) => Float32Array.from({ length }, (_, i) => Math.sin(t * 7 + i));

describe('LazyAdamRows', () => {
  it('is dense AdamW and the dense moving average on rows touched at every step', () => {
    const start = Float32Array.of(0.5, -1, 2, 0.25);
    const lazy = new LazyAdamRows(start.slice(), 2, opts, true);
    const dense = new AdamW(start.slice(), opts);
    const avg = start.slice();
    const keeps = new KeepLog();
    for (let t = 1; t <= 30; t++) {
      const g = grad(t, 4);
      keeps.push(averageKeep(t, 10));
      lazy.step(Int32Array.of(1, 0), 2, g, t, keeps);
      dense.step(g);
      mixRange(avg, dense.param, averageKeep(t, 10), 0, 4);
    }
    expect(Array.from(lazy.param)).toEqual(Array.from(dense.param));
    expect(Array.from(lazy.average(30, keeps, new Float32Array(4)))).toEqual(Array.from(avg));
  });

  it('charges a row the momentum steps, decay and averaging it missed, as dense AdamW with zero gradients takes them', () => {
    // A decay of 1e-5 a step (10× the default's): the closed form leaves out only its effect on the missed movement.
    const small = { lr: 0.01, weightDecay: 0.001 };
    const lazy = new LazyAdamRows(Float32Array.of(1, 1), 1, small, true);
    const dense = new AdamW(Float32Array.of(1), small);
    const avg = Float32Array.of(1);
    const keeps = new KeepLog();
    const touched = new Set([1, 2, 6]);
    for (let t = 1; t <= 9; t++) {
      keeps.push(averageKeep(t, 4));
      const g = touched.has(t) ? Math.cos(t) : 0;
      if (touched.has(t)) lazy.step(Int32Array.of(0), 1, Float32Array.of(g, 0), t, keeps);
      dense.step(Float32Array.of(g));
      mixRange(avg, dense.param, averageKeep(t, 4), 0, 1);
      // Up to ε and the decay of the missed movement: the same value when touched.
      if (touched.has(t)) expect(lazy.param[0]).toBeCloseTo(dense.param[0], 6);
    }
    // Read after step 9 (last touched at 6): the three missed steps are charged on reading.
    expect(lazy.current(9, new Float32Array(2))[0]).toBeCloseTo(dense.param[0], 6);
    // The average treats the missed steps as held at the moved value: close, not equal.
    expect(Math.abs(lazy.average(9, keeps, new Float32Array(2))[0] - avg[0])).toBeLessThan(0.002);
    // Row 1 never had a gradient: no momentum to move it; reading applies 9 steps' decay.
    expect(lazy.param[1]).toBe(1);
    expect(lazy.current(9, new Float32Array(2))[1]).toBeCloseTo((1 - small.lr * small.weightDecay) ** 9, 7);
    expect(lazy.average(9, keeps, new Float32Array(2))[1]).toBe(1);
  });
});

describe('KeepLog', () => {
  it('multiplies keep factors, and a step that keeps nothing (a one-step horizon) makes every product through it 0, not NaN', () => {
    const keeps = new KeepLog();
    for (const k of [0.5, 0, 0.25, 0.5]) keeps.push(k);
    expect(keeps.between(0, 1)).toBeCloseTo(0.5, 12);
    expect(keeps.between(0, 4)).toBe(0);
    expect(keeps.between(1, 3)).toBe(0);
    expect(keeps.between(2, 4)).toBeCloseTo(0.125, 12);
    expect(keeps.between(3, 3)).toBe(1);
  });
});

describe('averageKeep', () => {
  it('forgets the start quickly, then averages over about `horizon` steps', () => {
    const avg = Float32Array.of(0);
    for (let t = 1; t <= 30; t++) mixRange(avg, Float32Array.of(1), averageKeep(t, 50), 0, 1);
    expect(avg[0]).toBeGreaterThan(0.99);
    expect(averageKeep(10_000, 50)).toBeCloseTo(1 - 1 / 50, 12);
  });
});
