/**
 * One simulated training run: `rounds` rounds from a starting tower, scored on the test
 * users every `evalEvery` rounds (and at round 0 and the last round).
 */
import { createRng } from '../data/random';
import { flattenTower, unflattenTower, type TowerParams } from '../model/weights';
import type { ItemRank, TowerScore } from './evaluate';
import { simulateRound, type Adversary, type RoundStats, type SimEnv } from './round';

export interface RunOptions {
  rounds: number;
  evalEvery: number;
  seed: number;
  adversary?: Adversary;
  /** Scores a tower (and where the adversary's item lands, when there is one). */
  score: (tower: TowerParams) => Promise<TowerScore & { pushed?: ItemRank }>;
  onRound?: (round: number, scored?: TowerScore) => void;
}

export interface CurvePoint extends TowerScore {
  round: number;
  pushed?: ItemRank;
}

export interface RunResult {
  curve: CurvePoint[];
  tower: TowerParams;
  /** Statistics averaged over rounds. */
  stats: { clientsPerRound: number; maliciousPerRound: number; uploadBytes: number; meanNorm: number; clippedShare: number };
  seconds: number;
}

export async function runSimulation(env: SimEnv, start: TowerParams, o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const { d, hidden } = env.session.weights;
  // Separate streams, so a setting that draws more noise (DP on) samples the same clients as one that draws none.
  const sample = createRng(o.seed);
  const noise = createRng(o.seed + 0x5eed);
  const rngs = { sample, normal: () => noise.normal() };
  let theta = flattenTower(start);
  const curve: CurvePoint[] = [];
  const all: RoundStats[] = [];
  const evaluate = async (round: number) => {
    const s = await o.score(unflattenTower(theta, d, hidden));
    curve.push({ round, ...s });
    return s;
  };
  if (o.evalEvery <= o.rounds) await evaluate(0);
  for (let r = 1; r <= o.rounds; r++) {
    const res = await simulateRound(env, theta, r, rngs, o.adversary);
    theta = res.theta;
    all.push(res.stats);
    const scored = r % o.evalEvery === 0 || r === o.rounds ? await evaluate(r) : undefined;
    o.onRound?.(r, scored);
  }
  const mean = (f: (s: RoundStats) => number) => (all.length ? all.reduce((a, s) => a + f(s), 0) / all.length : 0);
  return {
    curve,
    tower: unflattenTower(theta, d, hidden),
    stats: {
      clientsPerRound: mean((s) => s.sampled),
      maliciousPerRound: mean((s) => s.malicious),
      uploadBytes: Math.max(0, ...all.map((s) => s.uploadBytes)),
      meanNorm: mean((s) => s.meanNorm),
      clippedShare: mean((s) => s.clippedShare),
    },
    seconds: (performance.now() - t0) / 1000,
  };
}
