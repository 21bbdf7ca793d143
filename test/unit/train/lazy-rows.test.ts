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

  it('leaves an untouched row still, and charges the decay and averaging it missed when it is next touched or read', () => {
    const lazy = new LazyAdamRows(Float32Array.of(1, 1), 1, opts, true);
    const keeps = new KeepLog();
    const touched = new Set([1, 2, 6]);
    // Reference: row 0 stepped by hand, one step at a time, on the lazy rule.
    let p = 1;
    let m = 0;
    let v = 0;
    let avg = 1;
    let owed = 0;
    for (let t = 1; t <= 9; t++) {
      const keep = averageKeep(t, 4);
      keeps.push(keep);
      if (touched.has(t)) {
        const g = Math.cos(t);
        lazy.step(Int32Array.of(0), 1, Float32Array.of(g, 0), t, keeps);
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        p = p * (1 - opts.lr * opts.weightDecay) ** (owed + 1) - (opts.lr * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
        owed = 0;
      } else owed++;
      avg += (1 - keep) * (p - avg);
      if (t === 4) expect(lazy.param[0]).toBeCloseTo(p, 6);
    }
    // Row 1 was never touched: its value did not move, reading it applies the decay of 9 steps.
    expect(lazy.param[1]).toBe(1);
    expect(lazy.current(9, new Float32Array(2))[1]).toBeCloseTo((1 - opts.lr * opts.weightDecay) ** 9, 6);
    expect(lazy.current(9, new Float32Array(2))[0]).toBeCloseTo(p * (1 - opts.lr * opts.weightDecay) ** owed, 6);
    expect(lazy.average(9, keeps, new Float32Array(2))[0]).toBeCloseTo(avg, 6);
    expect(lazy.average(9, keeps, new Float32Array(2))[1]).toBe(1);
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
