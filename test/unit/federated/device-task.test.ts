import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { DEVICE_UPDATE, drawSupportSize, splitForUpdate } from '../../../src/federated/device-task';
import { towerDelta } from '../../../src/federated/delta';
import { innerInputs } from '../../../src/model/inner-inputs';
import { adaptTower, normaliseTargets, towerLossAndGrads } from '../../../src/model/plain-tower';
import type { IndexedEvent } from '../../../src/model/pooling';
import { ModelSession } from '../../../src/model/session';
import { flattenTower } from '../../../src/model/weights';
import { tinyModel } from '../sim/fixture';

const ev = (index: number, ts: number): IndexedEvent => ({ index, type: 'view', ts });

describe("the device's FOMAML task split", () => {
  it('puts the oldest k interactions in the support and the next ones in the query, whatever the stored order', () => {
    const events = [ev(5, 50), ev(1, 10), ev(3, 30), ev(2, 20), ev(4, 40)];
    const t = splitForUpdate(events, 3, 50)!;
    expect(t.support.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(t.query.map((e) => e.index)).toEqual([4, 5]);
  });

  it('keeps at least one later interaction for the query when the support size is as long as the history', () => {
    const t = splitForUpdate([ev(1, 1), ev(2, 2), ev(3, 3)], 20, 50)!;
    expect(t.support.map((e) => e.index)).toEqual([1, 2]);
    expect(t.query.map((e) => e.index)).toEqual([3]);
  });

  it('caps the query at queryMax later interactions', () => {
    const events = Array.from({ length: 100 }, (_, i) => ev(i, i));
    const t = splitForUpdate(events, 10)!;
    expect(t.support).toHaveLength(10);
    expect(t.query.map((e) => e.index)).toEqual(Array.from({ length: DEVICE_UPDATE.queryMax }, (_, i) => 10 + i));
  });

  it('gives no task to a device with fewer than two interactions', () => {
    expect(splitForUpdate([], 5)).toBeNull();
    expect(splitForUpdate([ev(1, 1)], 5)).toBeNull();
  });

  it('draws every support size meta-training draws, and only those', () => {
    const rng = createRng(4);
    const seen = new Set(Array.from({ length: 500 }, () => drawSupportSize(() => rng.next())));
    expect([...seen].sort((a, b) => a - b)).toEqual([...DEVICE_UPDATE.supportSizes]);
    expect(drawSupportSize(() => 0.999999999)).toBe(DEVICE_UPDATE.supportSizes.at(-1));
  });
});

describe("the device's FOMAML update", () => {
  const { weights, config } = tinyModel();
  const session = new ModelSession(weights, config);
  const meta = weights.tower;
  const task = splitForUpdate([ev(1, 1), ev(4, 2), ev(7, 3), ev(2, 4), ev(8, 5)], 3)!;

  /** −lr × the query loss's gradient at the tower adapted on the support, computed here step by step. */
  async function expectedDelta(lr: number): Promise<Float32Array> {
    const { pooled, targets } = innerInputs([task.support], weights.itemIn, weights.d, config.pooling);
    const adapted = adaptTower(meta, pooled, targets[0], session.items, config.inner);
    const query = normaliseTargets(task.query.map((e) => ({ index: e.index, weight: 1 })));
    const { grads } = towerLossAndGrads(adapted, pooled, query, session.items);
    return flattenTower(grads).map((g) => -lr * g);
  }

  it('is −lr times the query-loss gradient at the tower the inner loop adapted on the support', async () => {
    const [tower] = await session.metaStepTowers(meta, [task], DEVICE_UPDATE.lr);
    const got = towerDelta(tower, meta);
    const want = await expectedDelta(DEVICE_UPDATE.lr);
    expect(got.length).toBe(want.length);
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
    expect(Math.hypot(...got)).toBeGreaterThan(0);
  });

  it('scales with the step size', async () => {
    const [a] = await session.metaStepTowers(meta, [task], 0.1);
    const [b] = await session.metaStepTowers(meta, [task], 0.2);
    const da = towerDelta(a, meta);
    const db = towerDelta(b, meta);
    da.forEach((x, i) => expect(db[i]).toBeCloseTo(2 * x, 5));
  });
});
