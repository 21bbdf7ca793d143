import { describe, expect, it } from 'vitest';
import { summariseSeeds, targetLines, type SeedReport } from '../../../src/eval/seed-summary';

const iv = (mean: number, lo = mean - 0.01, hi = mean + 0.01) => ({ mean, lo, hi });
function report(seed: number, meta: number, diff: { mean: number; lo: number; hi: number }, testUsers = 122): SeedReport {
  const views = (x: number) => ({ full: { metrics: { ndcg10: iv(x) } }, next10: { metrics: { ndcg10: iv(x / 2) } } });
  return {
    dataset: 'fixture',
    seed,
    split: { testUsers, catalogueSize: 50 },
    results: [
      { method: 'popularity', k: 5, views: views(0.3) },
      { method: 'meta', k: 5, views: views(meta) },
      { method: 'meta', k: 3, views: views(0.9) },
    ],
    pairs: [{ a: 'meta', b: 'popularity', k: 5, view: 'full', metric: 'ndcg10', diff }],
  };
}

describe('the training-seed summary', () => {
  it('gives each method its mean and range over seeds at the chosen k', () => {
    const s = summariseSeeds([report(1, 0.4, iv(0.1)), report(2, 0.36, iv(0.06)), report(3, 0.41, iv(0.11))], 5);
    const meta = s.methods.find((m) => m.method === 'meta')!;
    expect(meta.values).toEqual([0.4, 0.36, 0.41]);
    expect(meta.mean).toBeCloseTo(0.39, 10);
    expect([meta.min, meta.max]).toEqual([0.36, 0.41]);
    expect(s.seeds).toEqual([1, 2, 3]);
  });

  it('counts the seeds whose paired interval lies above or below 0', () => {
    const s = summariseSeeds([report(1, 0.4, iv(0.02, 0.01, 0.03)), report(2, 0.4, iv(0.01, -0.01, 0.03)), report(3, 0.4, iv(-0.02, -0.03, -0.01))], 5);
    expect(s.pairs).toHaveLength(1);
    expect(s.pairs[0]).toMatchObject({ a: 'meta', b: 'popularity', above: 1, below: 1 });
    expect(s.pairs[0].mean).toBeCloseTo(0.01 / 3, 10);
  });

  it('refuses reports of different splits or a repeated seed', () => {
    expect(() => summariseSeeds([report(1, 0.4, iv(0)), report(2, 0.4, iv(0), 99)], 5)).toThrow(/different splits/);
    expect(() => summariseSeeds([report(1, 0.4, iv(0)), report(1, 0.4, iv(0))], 5)).toThrow(/same seed/);
  });
});

describe('the target check', () => {
  it('divides the method by the best baseline of each run and names that baseline', () => {
    const r1 = report(1, 0.33, iv(0));
    const r2 = report(2, 0.27, iv(0));
    const t = targetLines([r1, r2], 'meta');
    const full5 = t.lines.find((l) => l.k === 5 && l.view === 'full')!;
    expect(full5.ratios[0]).toBeCloseTo(1.1, 10);
    expect(full5.ratios[1]).toBeCloseTo(0.9, 10);
    expect(full5.best).toEqual(['popularity', 'popularity']);
    // No baseline ran at k=3 in the fixture, so there is no line for it.
    expect(t.lines.some((l) => l.k === 3)).toBe(false);
  });
});
