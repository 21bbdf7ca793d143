import { describe, expect, it } from 'vitest';
import { buildColdStartSplit, type IndexedEvent, type TrainingData } from '../../../src/data/split';
import type { Dataset, Interaction } from '../../../src/data/types';
import { Popularity } from '../../../src/eval/baselines/popularity';
import { evaluateColdStart, tuneMethod } from '../../../src/eval/evaluate';
import type { ColdStartMethod, HyperParams } from '../../../src/eval/method';
import { formatReport, ndcgVsKSpec, renderSvg } from '../../../src/eval/report';

function fixture(): Dataset {
  const interactions: Interaction[] = [];
  for (let u = 0; u < 80; u++) {
    const n = 4 + (u % 25);
    for (let j = 0; j < n; j++) {
      interactions.push({ user: String(u), item: `m${(u * 3 + j * j) % 50}`, type: 'view', ts: 1000 * j + u });
    }
  }
  return { name: 'fixture', interactions, items: new Map() };
}

const split = buildColdStartSplit(fixture());

/** Cheats on purpose: looks up the test user's query from the split and ranks it first, in order. */
class Oracle implements ColdStartMethod {
  readonly name = 'oracle';
  private n = 0;
  fit(train: TrainingData): void {
    this.n = train.catalogue.ids.length;
  }
  scoreUser(support: readonly IndexedEvent[]): Float32Array {
    const key = (events: readonly IndexedEvent[]) => events.map((e) => `${e.index}@${e.ts}`).join(',');
    const user = split.test.evalUsers.find((u) => key(u.events.slice(0, support.length)) === key(support))!;
    const scores = new Float32Array(this.n);
    user.events.slice(support.length).forEach((e, r) => (scores[e.index] = 1000 - r));
    return scores;
  }
}

describe('evaluateColdStart', () => {
  it('gives a method that knows the query set the maximum score on every metric', async () => {
    const report = await evaluateColdStart(split, [new Oracle(), new Popularity()], { ks: [1, 3], seed: 1, resamples: 200 });
    for (const r of report.results.filter((x) => x.method === 'oracle')) {
      for (const view of ['full', 'next10'] as const) {
        expect(r.views[view].metrics.ndcg10.mean).toBeCloseTo(1, 12);
        expect(r.views[view].metrics.recall20.mean).toBeCloseTo(1, 12);
        expect(r.views[view].metrics.hr10.mean).toBe(1);
      }
    }
    const pop = report.results.find((x) => x.method === 'popularity' && x.k === 1)!;
    expect(pop.views.full.metrics.ndcg10.mean).toBeLessThan(1);
  });

  it('reports the users evaluable at each k and paired differences against popularity', async () => {
    const report = await evaluateColdStart(split, [new Oracle(), new Popularity()], { ks: [1, 20], seed: 1, resamples: 200 });
    const at = (k: number) => split.test.evalUsers.filter((u) => u.events.length >= k + 1).length;
    expect(report.split.usersAtK).toEqual({ '1': at(1), '20': at(20) });
    const pair = report.pairs.find((p) => p.a === 'oracle' && p.b === 'popularity' && p.k === 1 && p.metric === 'ndcg10' && p.view === 'full')!;
    expect(pair.diff.lo).toBeGreaterThan(0);
    expect(report.pairs.some((p) => p.a === 'popularity')).toBe(false);
  });

  it('skips configured pairs that name a method not in the run', async () => {
    const report = await evaluateColdStart(split, [new Popularity()], {
      ks: [1],
      seed: 1,
      resamples: 50,
      pairs: [['meta+k steps', 'student 0 steps']],
    });
    expect(report.pairs).toEqual([]);
  });

  it('refuses two methods with the same name', async () => {
    await expect(evaluateColdStart(split, [new Popularity(), new Popularity()], { ks: [1], seed: 1 })).rejects.toHaveCode('invalid-argument', { method: 'popularity' });
  });
});

describe('tuneMethod', () => {
  it('fits on training minus validation users, keeps the best validation point, says where it sits on its axis, and refits on all training users', async () => {
    const fits: { users: number; bias: number }[] = [];
    /** bias 0 = popularity; ±1 pushes every odd item up or down, which hurts on validation. */
    class BiasedPopularity implements ColdStartMethod {
      readonly name = 'biased-popularity';
      readonly axes = { bias: { values: [-1, 0, 1] } };
      private bias = 0;
      private scores = new Float32Array(0);
      setParams(p: HyperParams): void {
        this.bias = Number(p.bias);
      }
      params(): HyperParams {
        return { bias: this.bias };
      }
      fit(train: TrainingData): void {
        fits.push({ users: train.users.length, bias: this.bias });
        this.scores = Float32Array.from(train.itemCounts, (c, i) => c + this.bias * (i % 2) * 100);
      }
      scoreUser(): Float32Array {
        return this.scores;
      }
    }
    const method = new BiasedPopularity();
    const info = await tuneMethod(method, split, { selection: { ks: [5], view: 'full' } });
    const trials = info.tuning!.trials;
    expect(fits.slice(0, -1).every((f) => f.users === split.validation.train.users.length)).toBe(true);
    expect(fits.at(-1)).toEqual({ users: split.test.train.users.length, bias: info.params!.bias });
    expect(trials).toHaveLength(fits.length - 1);
    const best = trials.reduce((a, b) => (b.score > a.score ? b : a));
    expect(info.params).toEqual(best.params);
    // The axis cannot extend, so a best value at its end is reported as such, not as interior.
    const values = method.axes.bias.values;
    const expected = best.params.bias === values[0] ? 'min' : best.params.bias === values.at(-1) ? 'max' : 'interior';
    expect(info.tuning!.position).toEqual({ bias: expected });
  });
});

describe('report', () => {
  it('prints an aligned table and renders the NDCG-vs-k plot to SVG', async () => {
    const report = await evaluateColdStart(split, [new Oracle(), new Popularity()], { ks: [1, 3], seed: 1, resamples: 50 });
    const text = formatReport(report);
    expect(text).toMatch(/oracle\s+1\s+\d+\s+1\.000/);
    expect(text).toContain('oracle − popularity');
    const svg = await renderSvg(ndcgVsKSpec(report));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('popularity');
  });
});
