import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { attributeScore, poolingShares } from '../../../src/model/explain';
import { poolHistory, type IndexedEvent } from '../../../src/model/pooling';
import { ModelSession } from '../../../src/model/session';
import { DEFAULT_CONTENT, DEFAULT_INNER, DEFAULT_POOLING } from '../../../src/model/weights';
import type { PoolingConfig } from '../../../src/model/manifest';
import { fixtureWeights } from '../../fixtures/make-model';

const { weights } = fixtureWeights({ name: 'x', items: 40, categories: 4, seed: 5, modelVersion: 1, d: 6, hidden: 5 });
const DAY = 86_400_000;
const history: IndexedEvent[] = [
  { index: 1, type: 'view', ts: 0 },
  { index: 5, type: 'purchase', ts: 2 * DAY },
  { index: 9, type: 'cart', ts: 3 * DAY },
  { index: 1, type: 'view', ts: 4 * DAY },
];

describe('score attribution', () => {
  for (const pooling of [DEFAULT_POOLING, { ...DEFAULT_POOLING, maxItems: 3, halfLifeHours: 36 } satisfies PoolingConfig]) {
    it(`uses the same pooling weights as poolHistory (window ${pooling.maxItems}, half-life ${pooling.halfLifeHours} hours)`, () => {
      const shares = poolingShares(history, pooling);
      const mine = new Float32Array(weights.d);
      history.forEach((e, j) => {
        for (let c = 0; c < weights.d; c++) mine[c] += shares[j] * weights.itemIn[e.index * weights.d + c];
      });
      const theirs = new Float32Array(weights.d);
      poolHistory(history, weights.itemIn, weights.d, pooling, theirs);
      for (let c = 0; c < weights.d; c++) expect(mine[c]).toBeCloseTo(theirs[c], 5);
      if (pooling.maxItems === 3) expect(shares[0]).toBe(0);
    });
  }

  it('recomputes the model score exactly and splits the history part of it across events', async () => {
    await tf.setBackend('cpu');
    const session = new ModelSession(weights, { pooling: DEFAULT_POOLING, inner: DEFAULT_INNER, content: DEFAULT_CONTENT });
    const scores = await session.scoreShared(weights.tower, [history]);
    for (const target of [0, 7, 21]) {
      const a = attributeScore(weights, weights.tower, history, DEFAULT_POOLING, target);
      expect(a.score).toBeCloseTo(scores[target], 4);
      // The tower is piecewise linear, so the part no event explains must be exactly the
      // constant term at this ReLU pattern: bias + ((b1 ⊙ m)·w2 + b2) · E_out[target].
      const { d, hidden, tower } = weights;
      const p = new Float32Array(d);
      poolHistory(history, weights.itemIn, d, DEFAULT_POOLING, p);
      let constant = weights.itemBias[target];
      for (let k = 0; k < d; k++) {
        let u0 = tower.b2[k];
        for (let h = 0; h < hidden; h++) {
          let z = tower.b1[h];
          for (let c = 0; c < d; c++) z += p[c] * tower.w1[c * hidden + h];
          if (z > 0) u0 += tower.b1[h] * tower.w2[h * d + k];
        }
        constant += u0 * weights.itemOut[target * d + k];
      }
      expect(a.base).toBeCloseTo(constant, 4);
    }
    session.dispose();
  });

  it('credits an event more when it is a stronger signal for the same item', () => {
    const viewed: IndexedEvent[] = [{ index: 3, type: 'view', ts: 0 }, { index: 20, type: 'view', ts: 1 }];
    const bought: IndexedEvent[] = [{ index: 3, type: 'purchase', ts: 0 }, { index: 20, type: 'view', ts: 1 }];
    const target = 7; // same category as item 3 (index mod 4)
    const a = attributeScore(weights, weights.tower, viewed, DEFAULT_POOLING, target);
    const b = attributeScore(weights, weights.tower, bought, DEFAULT_POOLING, target);
    expect(b.contributions[0] / b.contributions[1]).not.toBeCloseTo(a.contributions[0] / a.contributions[1], 3);
    expect(a.contributions[0]).toBeGreaterThan(a.contributions[1]);
  });
});
