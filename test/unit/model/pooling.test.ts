import { describe, expect, it } from 'vitest';
import { poolingWeights } from '../../../src/model/pooling';
import { DEFAULT_POOLING } from '../../../src/model/weights';

const history = [0, 1, 2, 3].map((index) => ({ index, type: 'view' as const, ts: 1000 * index }));

describe('poolingWeights', () => {
  it('is a plain event-weighted mean without a recency half-life', () => {
    expect(Array.from(poolingWeights(history, DEFAULT_POOLING).weights)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('halves the weight of an event every halfLifePositions positions before the newest', () => {
    const { weights } = poolingWeights(history, { ...DEFAULT_POOLING, halfLifePositions: 1 });
    expect(weights[3] / weights[2]).toBeCloseTo(2, 6);
    expect(weights[3] / weights[0]).toBeCloseTo(8, 6);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('pools only the newest maxItems events', () => {
    const { start, weights } = poolingWeights(history, { ...DEFAULT_POOLING, maxItems: 2 });
    expect(start).toBe(2);
    expect(weights).toHaveLength(2);
  });
});
