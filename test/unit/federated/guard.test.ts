/**
 * Federated evaluation and the guard: the device's report (28 bytes, values in [0, 1], no
 * item id), hit@10, the server's noised release and decision, the accountant that counts
 * reports with the deltas, and the guard inside a simulated run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { composedEpsilon, sampledGaussianEpsilon } from '../../../src/federated/accountant';
import { addReport, annealStep, DIFFERENCE_CLIP, emptySums, nextStepScale, releaseAndDecide, REPORT_SENSITIVITY, windowRate } from '../../../src/federated/guard';
import { decodeQualityReport, encodeQualityReport, hitAt10, REPORT_BYTES } from '../../../src/federated/quality';
import { flattenTower, type TowerParams } from '../../../src/model/weights';
import type { SimEnv } from '../../../src/sim/round';
import { runSimulation } from '../../../src/sim/run';
import { initNodeTf } from '../../../src/train/tf-node';
import { tinyEnv } from '../sim/fixture';

const report = { candidateVersion: 7, referenceVersion: 5, roundId: 12, candidate: 0.3, reference: 0.5 };

describe('the device quality report', () => {
  it('is 28 bytes (at most 200 per device per version), carries two numbers and three ids, and decodes to what was sent', () => {
    const bytes = encodeQualityReport(report);
    expect(bytes.byteLength).toBe(REPORT_BYTES);
    expect(REPORT_BYTES).toBeLessThanOrEqual(200);
    const back = decodeQualityReport(bytes);
    expect(back).toMatchObject({ candidateVersion: 7, referenceVersion: 5, roundId: 12 });
    expect(back.candidate).toBeCloseTo(0.3, 6);
    expect(back.reference).toBeCloseTo(0.5, 6);
  });

  it('refuses values outside [0, 1], non-finite values and anything that is not a report', () => {
    const tamper = (offset: number, x: number) => {
      const b = encodeQualityReport(report);
      new DataView(b.buffer).setFloat32(offset, x, true);
      return () => decodeQualityReport(b);
    };
    expect(tamper(20, 1.5)).toThrow(expect.objectContaining({ code: 'update-norm-too-large' }));
    expect(tamper(24, -0.1)).toThrow(expect.objectContaining({ code: 'update-norm-too-large' }));
    expect(tamper(20, NaN)).toThrow(expect.objectContaining({ code: 'update-non-finite' }));
    expect(() => decodeQualityReport(new Uint8Array(REPORT_BYTES))).toThrow(expect.objectContaining({ code: 'update-malformed' }));
    expect(() => decodeQualityReport(encodeQualityReport(report).slice(0, 27))).toThrow(expect.objectContaining({ code: 'update-malformed' }));
    expect(() => encodeQualityReport({ ...report, candidate: 2 })).toThrow(expect.objectContaining({ code: 'update-norm-too-large' }));
  });
});

describe('hit@10', () => {
  it('is the share of the next interactions in the top 10, support excluded from the ranking', () => {
    const scores = Float32Array.from({ length: 30 }, (_, j) => 30 - j); // item 0 best, item 29 worst
    expect(hitAt10(scores, [0, 1, 20, 25], new Set())).toBe(0.5); // 2 of 4 in the top 10
    // Excluding items 0-4 pulls items 10-14 into the top 10.
    expect(hitAt10(scores, [10, 11, 29], new Set([0, 1, 2, 3, 4]))).toBeCloseTo(2 / 3, 9);
    // At most 10 next interactions count; none at all gives 0.
    expect(hitAt10(scores, Array.from({ length: 20 }, (_, j) => j), new Set())).toBe(1);
    expect(hitAt10(scores, [], new Set())).toBe(0);
  });
});

describe("the guard's release and decision", () => {
  const sums = (pairs: [number, number][]) => {
    const s = emptySums();
    for (const [c, r] of pairs) addReport(s, c, r);
    return s;
  };
  const noNoise = () => 0;
  const devices = (n: number, c: number, r: number, spread = 0.1) => {
    const rng = createRng(4);
    return Array.from({ length: n }, () => {
      const e = (rng.next() - 0.5) * spread;
      return [Math.min(1, Math.max(0, c + e)), Math.min(1, Math.max(0, r + e))] as [number, number];
    });
  };

  it('rolls back a candidate clearly worse than the reference, promotes one clearly better, keeps one as good', () => {
    const p = { every: 10, noise: 0, margin: 2, anneal: 1, patience: 1 };
    expect(releaseAndDecide(sums(devices(200, 0.2, 0.3)), 200, p, noNoise).decision).toBe('roll-back');
    expect(releaseAndDecide(sums(devices(200, 0.4, 0.3)), 200, p, noNoise).decision).toBe('promote');
    const same = releaseAndDecide(sums(devices(200, 0.3, 0.3)), 200, p, noNoise);
    expect(same.decision).toBe('keep');
    expect(same.difference).toBeCloseTo(0, 9);
    expect(same.candidate).toBeCloseTo(same.reference, 9);
  });

  it('clips each difference to one hit of ten, so one device cannot swing the decision', () => {
    const p = { every: 10, noise: 0, margin: 2, anneal: 1, patience: 1 };
    const s = sums([...devices(99, 0.3, 0.3), [0, 1]]); // one device claims the candidate lost everything
    expect(s.difference).toBeCloseTo(-DIFFERENCE_CLIP, 9);
    expect(releaseAndDecide(s, 100, p, noNoise).decision).toBe('keep');
    expect(REPORT_SENSITIVITY).toBeCloseTo(DIFFERENCE_CLIP * Math.sqrt(3 + DIFFERENCE_CLIP ** 2), 12);
  });

  it('keeps a candidate whose deficit is inside the noise: the margin is in standard errors of sampling and noise', () => {
    // 200 devices: 70 lose one hit of ten under the candidate, 60 gain one, 70 see no change.
    const noisy = Array.from({ length: 200 }, (_, i) => [i < 70 ? 0.2 : i < 130 ? 0.4 : 0.3, 0.3] as [number, number]);
    const p = { every: 10, noise: 0, margin: 2, anneal: 1, patience: 1 };
    const got = releaseAndDecide(sums(noisy), 200, p, noNoise);
    expect(got.difference).toBeLessThan(0);
    expect(got.decision).toBe('keep');
    // Control: with no margin the same reports roll back (the test above can fail).
    expect(releaseAndDecide(sums(noisy), 200, { ...p, margin: 0 }, noNoise).decision).toBe('roll-back');
    // Central noise widens the standard error by the noise's own spread.
    expect(releaseAndDecide(sums(noisy), 200, { ...p, noise: 4 }, noNoise).standardError).toBeGreaterThan(got.standardError);
  });
});

describe("the guard's annealing of the server step", () => {
  it('halves the step when the devices find the candidate no better than the reference, keeps it while they find it better', () => {
    expect(nextStepScale(1, { decision: 'keep', difference: -0.001 }, 0.5)).toBe(0.5);
    expect(nextStepScale(0.5, { decision: 'keep', difference: 0 }, 0.5)).toBe(0.25);
    expect(nextStepScale(0.5, { decision: 'roll-back', difference: -0.02 }, 0.5)).toBe(0.25);
    expect(nextStepScale(0.5, { decision: 'keep', difference: 0.001 }, 0.5)).toBe(0.5);
    expect(nextStepScale(0.5, { decision: 'promote', difference: 0.02 }, 0.5)).toBe(0.5);
    // A factor of 1 is the constant step.
    expect(nextStepScale(1, { decision: 'roll-back', difference: -0.02 }, 1)).toBe(1);
  });

  it('with patience, anneals once that many decisions in a row found no improvement, and at each further one', () => {
    const worse = { decision: 'keep' as const, difference: -0.001 };
    const better = { decision: 'keep' as const, difference: 0.001 };
    const run = (releases: (typeof worse)[], patience: number) =>
      releases.reduce((p, r) => annealStep(p, r, { anneal: 0.5, patience }), { scale: 1, stalled: 0 });
    expect(run([worse], 2)).toEqual({ scale: 1, stalled: 1 });
    expect(run([worse, worse], 2)).toEqual({ scale: 0.5, stalled: 2 });
    expect(run([worse, worse, worse], 2)).toEqual({ scale: 0.25, stalled: 3 });
    // An improvement ends the plateau: the next non-improving decision starts counting again.
    expect(run([worse, better, worse], 2)).toEqual({ scale: 1, stalled: 1 });
    // Patience 1 is nextStepScale.
    let p = { scale: 1, stalled: 0 };
    let s = 1;
    for (const r of [worse, better, worse, worse]) {
      p = annealStep(p, r, { anneal: 0.5, patience: 1 });
      s = nextStepScale(s, r, 0.5);
      expect(p.scale).toBe(s);
    }
  });

  it('in a run, a step annealed to nothing leaves the model where the decision put it', async () => {
    await initNodeTf();
    const env = tinyEnv({ clientUpdate: 'fomaml' });
    try {
      const score = async (t: TowerParams) => ({ ndcg10Full: Math.hypot(...flattenTower(t)), ndcg10Next10: 0 });
      // A margin every difference passes forces a roll-back at round 4 (to the start), which anneals the step; the
      // next decision would be at round 8, so rounds 5-7 run at the annealed step.
      const guard = { every: 2, noise: 0, margin: -1e9 };
      const frozen = await runSimulation(env, env.session.weights.tower, { rounds: 7, evalEvery: 7, seed: 3, score, guard: { ...guard, anneal: 1e-9, patience: 1 } });
      expect(frozen.guard[0]).toMatchObject({ round: 4, decision: 'roll-back', stepScale: 1e-9 });
      const start = flattenTower(env.session.weights.tower);
      const end = flattenTower(frozen.tower);
      expect(Math.max(...end.map((x, i) => Math.abs(x - start[i])))).toBeLessThan(1e-6);
      // Control: with a constant step the model moves on after the roll-back.
      const moving = await runSimulation(env, env.session.weights.tower, { rounds: 7, evalEvery: 7, seed: 3, score, guard: { ...guard, anneal: 1, patience: 1 } });
      expect(moving.guard.every((g) => g.stepScale === 1)).toBe(true);
      const moved = flattenTower(moving.tower);
      expect(Math.max(...moved.map((x, i) => Math.abs(x - start[i])))).toBeGreaterThan(1e-3);
    } finally {
      env.session.dispose();
    }
  });
});

describe('one accountant for deltas and reports', () => {
  it('gives the single mechanism’s ε for one kind of release and more for two', () => {
    const deltas = { samplingRate: 0.13, noiseMultiplier: 1, count: 100 };
    const alone = composedEpsilon([deltas], 1e-5).epsilon;
    expect(alone).toBeCloseTo(sampledGaussianEpsilon(0.13, 1, 100, 1e-5).epsilon, 9);
    const reports = { samplingRate: windowRate(0.13, 10), noiseMultiplier: 2, count: 9 };
    const both = composedEpsilon([deltas, reports], 1e-5).epsilon;
    expect(both).toBeGreaterThan(alone);
    // RDP composition is tighter than adding the two ε.
    expect(both).toBeLessThan(alone + composedEpsilon([reports], 1e-5).epsilon);
    expect(windowRate(0.1, 1)).toBeCloseTo(0.1, 12);
    expect(windowRate(0.1, 10)).toBeCloseTo(1 - 0.9 ** 10, 12);
  });
});

describe('the guard in a simulated run', () => {
  let env: SimEnv;
  beforeAll(async () => {
    await initNodeTf();
    env = tinyEnv({ clientUpdate: 'fomaml' });
  });
  afterAll(() => env.session.dispose());
  const score = async (t: TowerParams) => {
    const s = Math.hypot(...flattenTower(t));
    return { ndcg10Full: s, ndcg10Next10: s };
  };

  it('decides every `every` rounds from the second window on, from reports of devices that took part, each once', async () => {
    const run = await runSimulation(env, env.session.weights.tower, { rounds: 6, evalEvery: 2, seed: 3, score, guard: { every: 2, noise: 1, margin: 2, anneal: 1, patience: 1 } });
    expect(run.guard.map((g) => [g.round, g.candidateRound])).toEqual([
      [4, 2],
      [6, 4],
    ]);
    for (const g of run.guard) {
      expect(g.reports).toBeGreaterThan(0);
      expect(g.reports).toBeLessThanOrEqual(env.clients.length);
    }
    const again = await runSimulation(env, env.session.weights.tower, { rounds: 6, evalEvery: 2, seed: 3, score, guard: { every: 2, noise: 1, margin: 2, anneal: 1, patience: 1 } });
    expect(again.guard).toEqual(run.guard);
  });

  it('serves the reference again after a roll-back', async () => {
    // A margin no difference can pass forces the roll-back path: after round 4 the model is the one of round 2 (the reference then is the start).
    const forced = await runSimulation(env, env.session.weights.tower, { rounds: 4, evalEvery: 4, seed: 3, score, guard: { every: 2, noise: 0, margin: -1e9, anneal: 1, patience: 1 } });
    expect(forced.guard.map((g) => g.decision)).toEqual(['roll-back']);
    expect(flattenTower(forced.tower)).toEqual(flattenTower(env.session.weights.tower));
    const plain = await runSimulation(env, env.session.weights.tower, { rounds: 4, evalEvery: 4, seed: 3, score });
    expect(flattenTower(plain.tower)).not.toEqual(flattenTower(env.session.weights.tower));
  });
});
