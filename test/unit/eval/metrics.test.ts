import { describe, expect, it } from 'vitest';
import {
  catalogueCoverage,
  hitRateAt,
  longTailMask,
  longTailShare,
  ndcgAt,
  recallAt,
  topN,
} from '../../../src/eval/metrics';

const log2 = Math.log2;

describe('topN', () => {
  it('returns the highest scores best first', () => {
    expect([...topN(Float32Array.from([0.1, 0.9, 0.5, 0.7]), 3)]).toEqual([1, 3, 2]);
  });

  it('skips excluded indices', () => {
    expect([...topN(Float32Array.from([0.1, 0.9, 0.5, 0.7]), 2, [1, 3])]).toEqual([2, 0]);
  });

  it('breaks ties by the lower index and ranks NaN and -Infinity last', () => {
    expect([...topN(Float32Array.from([1, NaN, 1, 2, -Infinity, 1]), 6)]).toEqual([3, 0, 2, 5, 1, 4]);
  });

  it('returns fewer than n when the catalogue is smaller', () => {
    expect([...topN(Float32Array.from([3, 1]), 5, [0])]).toEqual([1]);
  });

  it('agrees with a full sort on random scores', () => {
    const s = new Float32Array(1000);
    for (let i = 0; i < s.length; i++) s[i] = Math.sin(i * 12.9898) * 43758.5453 % 1;
    const excluded = [5, 17, 300];
    const full = [...s.keys()].filter((i) => !excluded.includes(i)).sort((a, b) => s[b] - s[a] || a - b);
    expect([...topN(s, 20, excluded)]).toEqual(full.slice(0, 20));
  });
});

describe('ranking metrics', () => {
  const ranked = [7, 3, 9, 1, 4, 8, 2, 6, 5, 0];

  it('computes NDCG@10 with binary relevance and the ideal over min(10, |query|)', () => {
    // hits at ranks 2 and 4 (1-based) → DCG = 1/log2(3) + 1/log2(5); ideal over 3 items.
    const rel = new Set([3, 1, 42]);
    const dcg = 1 / log2(3) + 1 / log2(5);
    const idcg = 1 + 1 / log2(3) + 1 / log2(4);
    expect(ndcgAt(ranked, rel)).toBeCloseTo(dcg / idcg, 12);
  });

  it('caps the ideal DCG at 10 items when the query is longer', () => {
    const rel = new Set(Array.from({ length: 30 }, (_, i) => i));
    expect(ndcgAt(ranked, rel)).toBeCloseTo(1, 12);
  });

  it('computes Recall@20 as hits / min(20, |query|)', () => {
    const list = Array.from({ length: 20 }, (_, i) => i);
    expect(recallAt(list, new Set([0, 5, 100]))).toBeCloseTo(2 / 3, 12);
    expect(recallAt(list, new Set(Array.from({ length: 40 }, (_, i) => i * 2)))).toBeCloseTo(10 / 20, 12);
  });

  it('computes HR@10 as whether anything relevant is in the top 10', () => {
    expect(hitRateAt(ranked, new Set([0]))).toBe(1);
    expect(hitRateAt(ranked, new Set([11]))).toBe(0);
  });

  it('gives 1 for every metric when the top of the ranking is the query', () => {
    const rel = new Set([7, 3, 9]);
    expect(ndcgAt(ranked, rel)).toBe(1);
    expect(recallAt(ranked, rel)).toBe(1);
    expect(hitRateAt(ranked, rel)).toBe(1);
  });
});

describe('catalogue metrics', () => {
  it('measures coverage@10 as the share of the catalogue in any top 10', () => {
    expect(catalogueCoverage([[0, 1, 2], [2, 3]], 8)).toBeCloseTo(4 / 8, 12);
  });

  it('marks as long tail everything outside the head that holds 20% of interactions', () => {
    // total 100; head: item 2 (30) already reaches 20.
    expect([...longTailMask([10, 5, 30, 25, 20, 10, 0])]).toEqual([1, 1, 0, 1, 1, 1, 1]);
    // total 100; item 2 (15) is short of 20, so the head also takes item 0 (14).
    expect([...longTailMask([14, 13, 15, 13, 13, 12, 10, 10])]).toEqual([0, 1, 0, 1, 1, 1, 1, 1]);
  });

  it('measures the long-tail share over all top-10 slots', () => {
    const tail = Uint8Array.from([0, 1, 1, 0]);
    expect(longTailShare([[0, 1], [2, 3]], tail)).toBeCloseTo(0.5, 12);
  });
});
