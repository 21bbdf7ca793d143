import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { AliasSampler, popularityWeights } from '../../../src/train/sampler';

/** Upper 0.1% point of the chi-square distribution with `df` degrees of freedom (Wilson–Hilferty). */
function chiSquareCritical(df: number): number {
  const z = 3.09;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

function draws(sampler: AliasSampler, count: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const hist = new Float64Array(sampler.probs.length);
  for (let i = 0; i < count; i++) hist[sampler.draw(rng)]++;
  return hist;
}

/** Pearson's statistic over the categories with positive probability. */
function chiSquare(hist: Float64Array, probs: ArrayLike<number>, count: number): { stat: number; df: number } {
  let stat = 0;
  let cells = 0;
  for (let i = 0; i < hist.length; i++) {
    if (probs[i] === 0) continue;
    const expected = probs[i] * count;
    stat += (hist[i] - expected) ** 2 / expected;
    cells++;
  }
  return { stat, df: cells - 1 };
}

describe('AliasSampler', () => {
  const N = 50_000;

  it('normalises the weights into probabilities', () => {
    const s = new AliasSampler([1, 3, 0, 4]);
    expect(Array.from(s.probs)).toEqual([0.125, 0.375, 0, 0.5]);
  });

  it('draws a skewed small distribution (with zero-weight items) in the right proportions', () => {
    const weights = [5, 1, 0, 0.5, 12, 3, 0, 2, 0.25, 7];
    const s = new AliasSampler(weights);
    const hist = draws(s, N, 1);
    expect(hist[2]).toBe(0);
    expect(hist[6]).toBe(0);
    const { stat, df } = chiSquare(hist, s.probs, N);
    expect(df).toBe(7);
    expect(stat).toBeLessThan(chiSquareCritical(df));
  });

  it('draws popularity weights over 200 items in the right proportions', () => {
    const rng = createRng(9);
    const counts = Array.from({ length: 200 }, (_, i) => Math.floor(1000 / (i + 1)) + rng.int(3));
    const s = new AliasSampler(popularityWeights(counts));
    const hist = draws(s, N, 2);
    const { stat, df } = chiSquare(hist, s.probs, N);
    expect(stat).toBeLessThan(chiSquareCritical(df));
    // The most popular item is drawn about as often as its probability says (±5%).
    expect(hist[0] / N / s.probs[0]).toBeGreaterThan(0.95);
    expect(hist[0] / N / s.probs[0]).toBeLessThan(1.05);
  });

  it('a chi-square check this strict does reject a wrong distribution', () => {
    const s = new AliasSampler([5, 1, 1, 1]);
    const hist = draws(s, N, 3);
    const wrong = [0.55, 0.15, 0.15, 0.15];
    expect(chiSquare(hist, wrong, N).stat).toBeGreaterThan(chiSquareCritical(3));
  });

  it('draws a uniform distribution uniformly and a one-point distribution always', () => {
    const u = new AliasSampler(new Array(7).fill(2));
    const { stat, df } = chiSquare(draws(u, N, 4), u.probs, N);
    expect(stat).toBeLessThan(chiSquareCritical(df));
    const one = new AliasSampler([0, 0, 3, 0]);
    expect(Array.from(draws(one, 1000, 5))).toEqual([0, 0, 1000, 0]);
  });

  it('gives the same draws for the same seed', () => {
    const s = new AliasSampler([1, 2, 3, 4, 5]);
    const a = createRng(6);
    const b = createRng(6);
    const da = Array.from({ length: 200 }, () => s.draw(a));
    expect(Array.from({ length: 200 }, () => s.draw(b))).toEqual(da);
  });

  it('rejects weights with no positive total', () => {
    expect(() => new AliasSampler([0, 0])).toHaveCode('invalid-argument');
    expect(() => new AliasSampler([])).toHaveCode('invalid-argument');
  });
});

describe('popularityWeights', () => {
  it('is (count + 1)^alpha, so unseen items keep a positive weight', () => {
    expect(Array.from(popularityWeights([0, 3, 15], 0.5))).toEqual([1, 2, 4]);
    expect(popularityWeights([7])[0]).toBeCloseTo(8 ** 0.75, 12);
  });
});
