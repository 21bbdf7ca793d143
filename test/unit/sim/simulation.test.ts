import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flattenTower, type TowerParams } from '../../../src/model/weights';
import { runSimulation } from '../../../src/sim/run';
import type { SimEnv } from '../../../src/sim/round';
import { initNodeTf } from '../../../src/train/tf-node';
import { tinyEnv } from './fixture';

/** A stand-in score (the norm of the tower) so the test needs no evaluation split. */
const score = async (t: TowerParams) => {
  const f = flattenTower(t);
  const s = Math.hypot(...f);
  return { ndcg10Full: s, ndcg10Next10: s };
};

describe('the federated simulation', () => {
  let env: SimEnv;
  beforeAll(async () => {
    await initNodeTf();
    env = tinyEnv();
  });
  afterAll(() => env.session.dispose());
  const run = (seed: number, e = env) => runSimulation(e, e.session.weights.tower, { rounds: 4, evalEvery: 2, seed, score });

  it('gives the same model, curve and statistics for the same seed', async () => {
    const a = await run(7);
    const b = await run(7);
    expect(flattenTower(a.tower)).toEqual(flattenTower(b.tower));
    expect(a.curve).toEqual(b.curve);
    expect(a.stats).toEqual(b.stats);
  });

  it('stops taking rounds once the budget would be exceeded, keeps the last model and still scores it', async () => {
    const capped = await runSimulation(env, env.session.weights.tower, { rounds: 4, evalEvery: 2, seed: 7, score, budget: { allows: (r) => r <= 2 } });
    const two = await runSimulation(env, env.session.weights.tower, { rounds: 2, evalEvery: 2, seed: 7, score });
    expect(capped.budgetStoppedAfter).toBe(2);
    expect(flattenTower(capped.tower)).toEqual(flattenTower(two.tower));
    expect(capped.curve.map((p) => p.round)).toEqual([0, 2, 4]);
    expect(capped.curve[2].ndcg10Full).toBe(capped.curve[1].ndcg10Full);
    expect((await run(7)).budgetStoppedAfter).toBeNull();
  });

  it('gives a different model for another seed', async () => {
    const a = await run(7);
    const b = await run(8);
    expect(flattenTower(a.tower)).not.toEqual(flattenTower(b.tower));
  });

  it('moves the model every round and scores it at round 0, every evalEvery rounds and at the end', async () => {
    const a = await run(7);
    expect(a.curve.map((p) => p.round)).toEqual([0, 2, 4]);
    expect(flattenTower(a.tower)).not.toEqual(flattenTower(env.session.weights.tower));
    expect(a.stats.clientsPerRound).toBeGreaterThan(0);
    // 24-byte header + one int8 per tower value.
    expect(a.stats.uploadBytes).toBe(24 + flattenTower(env.session.weights.tower).length);
  });

  it('samples the same clients with and without central noise (noise has its own random stream)', async () => {
    const noDp: SimEnv = { ...env, settings: { ...env.settings, centralNoise: 0 } };
    const a = await run(7);
    const b = await run(7, noDp);
    expect(a.stats.clientsPerRound).toBe(b.stats.clientsPerRound);
    // The first round starts from the same model, so its devices upload the same deltas.
    const one = (e: SimEnv) => runSimulation(e, e.session.weights.tower, { rounds: 1, evalEvery: 1, seed: 7, score });
    expect((await one(env)).stats.meanNorm).toBeCloseTo((await one(noDp)).stats.meanNorm, 6);
  });

  it("runs the 'fomaml' client update deterministically too, and it moves the model", async () => {
    const meta: SimEnv = { ...env, settings: { ...env.settings, clientUpdate: 'fomaml' } };
    const a = await run(7, meta);
    const b = await run(7, meta);
    expect(flattenTower(a.tower)).toEqual(flattenTower(b.tower));
    expect(a.stats.meanNorm).toBeGreaterThan(0);
    expect(flattenTower(a.tower)).not.toEqual(flattenTower((await run(7)).tower));
  });
});
