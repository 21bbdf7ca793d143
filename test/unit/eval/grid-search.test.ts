import { describe, expect, it } from 'vitest';
import { neighbour, searchGrid, type Point } from '../../../src/eval/grid-search';

/** A smooth objective peaking at (lambda = peak, alpha = 3) on a log scale. */
const bowl = (peak: number) => async (p: Point) => -((Math.log(p.lambda / peak) ** 2) + Math.log(p.alpha / 3) ** 2);

describe('searchGrid', () => {
  it('extends an axis past its listed end until the best value is interior', async () => {
    const r = await searchGrid(
      { lambda: { values: [50, 100, 200, 500], extend: 'log' }, alpha: { values: [1, 3, 10], extend: 'log' } },
      bowl(20000),
    );
    expect(r.best.alpha).toBe(3);
    expect(r.best.lambda).toBeGreaterThan(500);
    expect(r.position).toEqual({ lambda: 'interior', alpha: 'interior' });
    // Both neighbours of the chosen lambda were actually tried.
    const tried = r.trials.filter((t) => t.params.alpha === 3).map((t) => t.params.lambda);
    expect(tried.some((l) => l > r.best.lambda)).toBe(true);
    expect(tried.some((l) => l < r.best.lambda)).toBe(true);
  });

  it('finds a peak below the listed values by extending downwards', async () => {
    const r = await searchGrid({ lambda: { values: [100, 200, 400], extend: 'log' }, alpha: { values: [3] } }, bowl(10));
    expect(r.best.lambda).toBeLessThan(25);
    expect(r.best.lambda).toBeGreaterThan(4);
    expect(r.position.lambda).toBe('interior');
    expect(r.position.alpha).toBe('fixed');
  });

  it('reports a hard bound instead of pretending the value is interior', async () => {
    const r = await searchGrid({ lambda: { values: [1, 2, 4], extend: 'log', max: 8 }, alpha: { values: [3] } }, bowl(1000));
    expect(r.best.lambda).toBe(8);
    expect(r.position.lambda).toBe('max');
  });

  it('says when the trial budget ran out before the neighbours were tried', async () => {
    const r = await searchGrid({ lambda: { values: [1, 2, 4], extend: 'log' }, alpha: { values: [3] } }, bowl(1e6), { maxTrials: 4 });
    expect(r.trials).toHaveLength(4);
    expect(r.position.lambda).toBe('budget');
  });

  it('never evaluates the same point twice and keeps the earlier point on ties', async () => {
    let calls = 0;
    const r = await searchGrid({ n: { values: [10, 20, 50], extend: 'log', integer: true } }, async () => {
      calls++;
      return 1;
    });
    expect(r.best.n).toBe(20);
    expect(calls).toBe(r.trials.length);
    expect(new Set(r.trials.map((t) => t.params.n)).size).toBe(r.trials.length);
  });
});

describe('neighbour', () => {
  it('steps within the list, then extends by the end ratio or gap', () => {
    expect(neighbour({ values: [1, 10, 100] }, 10, 1)).toBe(100);
    expect(neighbour({ values: [1, 10, 100] }, 100, 1)).toBeNull();
    expect(neighbour({ values: [1, 10, 100], extend: 'log' }, 100, 1)).toBe(1000);
    expect(neighbour({ values: [1, 10, 100], extend: 'log' }, 1, -1)).toBeCloseTo(0.1);
    expect(neighbour({ values: [2, 4, 6], extend: 'linear', min: 1 }, 2, -1)).toBeNull();
    expect(neighbour({ values: [2, 4, 6], extend: 'linear' }, 6, 1)).toBe(8);
  });
});
