import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import type { IndexedEvent, TrainingData } from '../../../src/data/split';
import { Ease } from '../../../src/eval/baselines/ease';
import { ItemKnn } from '../../../src/eval/baselines/itemknn';
import { choleskyInPlace, choleskySolveInPlace, invertSpd } from '../../../src/eval/baselines/linalg';
import { MfAls } from '../../../src/eval/baselines/mf-als';
import { Popularity } from '../../../src/eval/baselines/popularity';

/** Random binary user×item matrix as TrainingData. */
function randomTrain(nUsers: number, nItems: number, density: number, seed: number): { train: TrainingData; x: number[][] } {
  const rng = createRng(seed);
  const x = Array.from({ length: nUsers }, () => Array.from({ length: nItems }, () => (rng.next() < density ? 1 : 0)));
  const ids = Array.from({ length: nItems }, (_, i) => `i${i}`);
  const users = x.map((row, u) => ({
    user: String(u + 1),
    events: row.flatMap((v, i) => (v ? [{ index: i, type: 'view' as const, ts: i }] : [])),
  }));
  const itemCounts = new Int32Array(nItems);
  for (const row of x) row.forEach((v, i) => (itemCounts[i] += v));
  return {
    x,
    train: {
      catalogue: { ids, index: new Map(ids.map((id, i) => [id, i])) },
      users,
      itemCounts,
      nInteractions: itemCounts.reduce((a, b) => a + b, 0),
      items: new Map(),
    },
  };
}

/** Textbook Gauss-Jordan inverse with partial pivoting on number[][]: the naive reference. */
function naiveInverse(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    const piv = a[c][c];
    for (let j = 0; j < 2 * n; j++) a[c][j] /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c];
      for (let j = 0; j < 2 * n; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((row) => row.slice(n));
}

/** EASE scores from the definition: B = I − P·diag(1/diag(P)), zero diagonal, score = Σ_s B[s]. */
function naiveEaseScores(x: number[][], lambda: number, support: number[]): number[] {
  const n = x[0].length;
  const g = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => x.reduce((s, row) => s + row[i] * row[j], 0) + (i === j ? lambda : 0)),
  );
  const p = naiveInverse(g);
  const b = p.map((row, i) => row.map((v, j) => (i === j ? 0 : -v / p[j][j])));
  return Array.from({ length: n }, (_, j) => support.reduce((s, i) => s + b[i][j], 0));
}

const support = (indices: number[]): IndexedEvent[] => indices.map((index, ts) => ({ index, type: 'view', ts }));

describe('linalg', () => {
  it('inverts a symmetric positive definite matrix', () => {
    const { x } = randomTrain(12, 7, 0.4, 3);
    const n = 7;
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j] = x.reduce((s, r) => s + r[i] * r[j], 0) + (i === j ? 2 : 0);
    const orig = g.slice();
    const inv = invertSpd(g, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += orig[i * n + k] * inv[k * n + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
  });

  it('solves with the Cholesky factor', () => {
    const a = Float64Array.from([4, 2, 2, 3]);
    choleskyInPlace(a, 2);
    const b = Float64Array.from([2, 1]);
    choleskySolveInPlace(a, 2, b);
    expect(b[0]).toBeCloseTo(0.5, 12);
    expect(b[1]).toBeCloseTo(0, 12);
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => invertSpd(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/positive definite/);
  });
});

describe('EASE', () => {
  const { train, x } = randomTrain(9, 14, 0.35, 11);
  const sup = [0, 3, 5];
  const reference = naiveEaseScores(x, 3, sup);

  for (const route of ['primal', 'dual'] as const) {
    it(`matches the closed form computed with a naive inverse (${route} route)`, () => {
      const ease = new Ease({ lambda: 3, route });
      ease.fit(train);
      const scores = ease.scoreUser(support(sup));
      for (let j = 0; j < reference.length; j++) {
        if (sup.includes(j)) continue; // support items are excluded from ranking
        expect(scores[j]).toBeCloseTo(reference[j], 5);
      }
    });
  }

  it('chooses the dual route when there are fewer users than items', () => {
    const ease = new Ease({ lambda: 3 });
    ease.fit(train);
    expect(ease.params()).toMatchObject({ route: 'dual' });
  });

  it('restricts the primal route to the most-interacted items and ranks the rest last', () => {
    const ease = new Ease({ lambda: 3, route: 'primal', maxItems: 5 });
    ease.fit(train);
    const p = ease.params();
    expect(Number(p.items)).toBeLessThanOrEqual(5);
    const scores = ease.scoreUser(support(sup));
    for (let j = 0; j < train.itemCounts.length; j++) {
      if (train.itemCounts[j] < Number(p.minCount)) expect(scores[j]).toBe(-Infinity);
      else expect(Number.isFinite(scores[j])).toBe(true);
    }
  });
});

describe('ItemKNN', () => {
  it('scores an item by the summed cosine similarity to the support items', () => {
    const { train, x } = randomTrain(10, 6, 0.5, 5);
    const knn = new ItemKnn();
    knn.setParams({ neighbours: 0 });
    knn.fit(train);
    const scores = knn.scoreUser(support([1, 2]));
    const col = (i: number) => x.map((r) => r[i]);
    const cos = (a: number[], b: number[]) => {
      const dot = a.reduce((s, v, k) => s + v * b[k], 0);
      const na = a.reduce((s, v) => s + v, 0);
      const nb = b.reduce((s, v) => s + v, 0);
      return na && nb ? dot / Math.sqrt(na * nb) : 0;
    };
    for (const j of [0, 3, 4, 5]) expect(scores[j]).toBeCloseTo(cos(col(j), col(1)) + cos(col(j), col(2)), 6);
  });

  it('keeps only the top neighbours of each support item when asked', () => {
    const { train } = randomTrain(30, 20, 0.3, 8);
    const knn = new ItemKnn();
    knn.setParams({ neighbours: 3 });
    knn.fit(train);
    const scores = knn.scoreUser(support([4]));
    expect([...scores].filter((s) => s > 0).length).toBeLessThanOrEqual(3);
  });
});

describe('Popularity and MF', () => {
  it('ranks by training interaction counts', () => {
    const { train } = randomTrain(10, 6, 0.5, 5);
    const pop = new Popularity();
    pop.fit(train);
    expect([...pop.scoreUser([])]).toEqual([...train.itemCounts]);
  });

  it('folds a new user in so that items co-consumed with the support score higher', () => {
    // Two taste groups: users 0-9 take items 0-4, users 10-19 take items 5-9.
    const x = Array.from({ length: 20 }, (_, u) => Array.from({ length: 10 }, (_, i) => (u < 10 === i < 5 ? 1 : 0)));
    const { train } = randomTrain(20, 10, 0, 1);
    train.users = x.map((row, u) => ({ user: String(u), events: row.flatMap((v, i) => (v ? [{ index: i, type: 'view' as const, ts: i }] : [])) }));
    const mf = new MfAls({ factors: 4, lambda: 0.1, alpha: 10, iterations: 10, seed: 2 });
    mf.fit(train);
    const s = mf.scoreUser(support([0, 1]));
    expect(Math.min(s[2], s[3], s[4])).toBeGreaterThan(Math.max(s[5], s[6], s[7], s[8], s[9]));
  });
});
