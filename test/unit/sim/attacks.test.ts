import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addScaled, l2Norm } from '../../../src/federated/delta';
import { flattenTower, unflattenTower } from '../../../src/model/weights';
import { pushDelta, scaledDelta } from '../../../src/sim/attacks';
import { auc, scoreShift } from '../../../src/sim/mia';
import { membershipInference } from '../../../src/sim/mia-run';
import type { SimEnv } from '../../../src/sim/round';
import { initNodeTf } from '../../../src/train/tf-node';
import { tinyEnv } from './fixture';

describe('auc', () => {
  it('is 1 for separated scores, 0 for reversed ones and 0.5 for ties', () => {
    expect(auc([3, 4], [1, 2])).toBe(1);
    expect(auc([1, 2], [3, 4])).toBe(0);
    expect(auc([1, 1], [1, 1])).toBe(0.5);
    expect(auc([1, 3], [2, 4])).toBe(0.25);
  });
});

describe('membership inference on an overfit toy', () => {
  let overfit: SimEnv;
  beforeAll(async () => {
    await initNodeTf();
    // Many large inner steps and about two clients a round: each upload carries its items loudly.
    // A tower wide enough to memorise (d = 16, hidden = 48) for 30 items.
    overfit = tinyEnv({ clientsPerRound: 1, clip: 100, centralNoise: 50 }, { steps: 30, lr: 0.5, debias: true }, [16, 48]);
  });
  afterAll(() => overfit.session.dispose());

  it('finds the client’s items nearly always without DP, and is near chance with heavy noise', async () => {
    const theta = flattenTower(overfit.session.weights.tower);
    const r = await membershipInference(overfit, theta, { trials: 40, seed: 4, localNoise: 50 });
    // One upload names its items almost surely; the published mean of ~2 clients a little less.
    expect(r.upload.aucWithoutNoise).toBeGreaterThan(0.95);
    expect(r.aucWithoutDp).toBeGreaterThan(0.85);
    // ~56 member/non-member pairs: chance is 0.5 ± ~0.08.
    expect(Math.abs(r.aucWithDp - 0.5)).toBeLessThan(0.15);
    expect(Math.abs(r.upload.aucWithLocalNoise - 0.5)).toBeLessThan(0.15);
  });
});

describe('poisoning deltas', () => {
  let env: SimEnv;
  beforeAll(async () => {
    await initNodeTf();
    env = tinyEnv();
  });
  afterAll(() => env.session.dispose());

  it('scales (or flips and scales) an honest delta, cut to the bound', () => {
    const honest = Float32Array.of(0.3, -0.4);
    expect([...scaledDelta(honest, 10, 1)].map((x) => Number(x.toFixed(5)))).toEqual([0.6, -0.8]);
    expect([...scaledDelta(honest, -10, 1)].map((x) => Number(x.toFixed(5)))).toEqual([-0.6, 0.8]);
    expect([...scaledDelta(honest, -1, 10)].map((x) => Number(x.toFixed(5)))).toEqual([-0.3, 0.4]);
  });

  it('pushes the target item up for the client and sends exactly the bound', async () => {
    const meta = env.session.weights.tower;
    const history = env.clients[0].events;
    const item = 25; // outside client 0's taste group (items 0-9)
    const delta = await pushDelta(env.session, meta, history, item, 0.8);
    expect(l2Norm(delta)).toBeCloseTo(0.8, 4);
    const { d, hidden } = env.session.weights;
    const after = unflattenTower(addScaled(flattenTower(meta), delta, 1), d, hidden);
    const [shift] = await scoreShift(env.session, meta, after, [item]);
    expect(shift).toBeGreaterThan(0);
    const scores = await env.session.scoreShared(after, [history]);
    const before = await env.session.scoreShared(meta, [history]);
    const rank = (s: Float32Array) => [...s].filter((x) => x > s[item]).length;
    expect(rank(scores)).toBeLessThan(rank(before));
  });
});
