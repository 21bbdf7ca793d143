import { describe, expect, it } from 'vitest';
import type { IndexedEvent } from '../../../src/data/split';
import { queryTargets } from '../../../src/model/inner-inputs';

const events = (n: number): IndexedEvent[] => Array.from({ length: n }, (_, i) => ({ index: 100 + i, type: 'view', ts: i }));
const weights = (q: readonly IndexedEvent[], views: boolean) => queryTargets(q, views).map((t) => t.weight);
const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);

describe('queryTargets', () => {
  it('weighs every later interaction alike by default', () => {
    const w = weights(events(40), false);
    expect(sum(w)).toBeCloseTo(1, 6);
    expect(new Set(w.map((x) => x.toFixed(6))).size).toBe(1);
  });

  it('with views, gives the next 10 half the loss and all later interactions the other half', () => {
    const q = events(40);
    const w = weights(q, true);
    expect(sum(w)).toBeCloseTo(1, 6);
    expect(sum(w.slice(0, 10))).toBeCloseTo(0.5 + 0.5 * (10 / 40), 6);
    expect(w[0]).toBeCloseTo(0.5 / 10 + 0.5 / 40, 6);
    expect(w[39]).toBeCloseTo(0.5 / 40, 6);
    expect(queryTargets(q, true).map((t) => t.index)).toEqual(q.map((e) => e.index));
  });

  it('with views and a query of 10 or fewer, is the uniform weighting', () => {
    const uniform = weights(events(7), false);
    weights(events(7), true).forEach((w, j) => expect(w).toBeCloseTo(uniform[j], 9));
  });

  it('has no targets for an empty query', () => {
    expect(queryTargets([], true)).toEqual([]);
  });
});
