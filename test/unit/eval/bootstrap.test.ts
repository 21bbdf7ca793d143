import { describe, expect, it } from 'vitest';
import { bootstrapMean, pairedBootstrapDiff } from '../../../src/eval/bootstrap';

const values = Float64Array.from({ length: 120 }, (_, i) => ((i * 37) % 11) / 10);

describe('bootstrapMean', () => {
  it('returns the sample mean inside its 95% interval', () => {
    const ci = bootstrapMean(values, { seed: 1 });
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(ci.mean).toBeCloseTo(mean, 12);
    expect(ci.lo).toBeLessThan(mean);
    expect(ci.hi).toBeGreaterThan(mean);
  });

  it('gives a width close to the normal approximation', () => {
    const ci = bootstrapMean(values, { seed: 3 });
    const n = values.length;
    const mean = ci.mean;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
    expect(ci.hi - ci.lo).toBeGreaterThan(0.8 * 2 * 1.96 * (sd / Math.sqrt(n)));
    expect(ci.hi - ci.lo).toBeLessThan(1.2 * 2 * 1.96 * (sd / Math.sqrt(n)));
  });

  it('is deterministic for a seed and changes with the seed', () => {
    expect(bootstrapMean(values, { seed: 7 })).toEqual(bootstrapMean(values, { seed: 7 }));
    expect(bootstrapMean(values, { seed: 7 })).not.toEqual(bootstrapMean(values, { seed: 8 }));
  });

  it('collapses to a point for constant values', () => {
    expect(bootstrapMean([0.5, 0.5, 0.5], { seed: 1 })).toEqual({ mean: 0.5, lo: 0.5, hi: 0.5 });
  });
});

describe('pairedBootstrapDiff', () => {
  it('is much narrower than the unpaired spread when methods share the user-to-user variation', () => {
    const a = values;
    const b = values.map((v, i) => v - 0.05 + (i % 2 ? 0.01 : -0.01));
    const d = pairedBootstrapDiff(a, b, { seed: 1 });
    expect(d.mean).toBeCloseTo(0.05, 12);
    expect(d.lo).toBeGreaterThan(0);
    const unpaired = bootstrapMean(a, { seed: 1 });
    expect(d.hi - d.lo).toBeLessThan((unpaired.hi - unpaired.lo) / 5);
  });

  it('rejects arrays of different lengths', () => {
    expect(() => pairedBootstrapDiff([1, 2], [1], { seed: 1 })).toHaveCode('invalid-argument');
  });
});
