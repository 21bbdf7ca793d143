/**
 * One simulated training run: `rounds` rounds from a starting tower, scored on the test
 * users every `evalEvery` rounds (and at round 0 and the last round).
 */
import { createRng } from '../data/random';
import { annealStep, emptySums, releaseAndDecide, windowRate, type GuardPolicy, type GuardRelease, type Plateau } from '../federated/guard';
import { flattenTower, unflattenTower, type TowerParams } from '../model/weights';
import type { ItemRank, TowerScore } from './evaluate';
import { samplingRate, simulateRound, type Adversary, type ReportWindow, type RoundStats, type SimEnv } from './round';

export interface RunOptions {
  rounds: number;
  evalEvery: number;
  seed: number;
  adversary?: Adversary;
  /** Federated evaluation and the guard (guard.ts); off when absent. */
  guard?: GuardPolicy;
  /**
   * The privacy budget as the server applies it: round r runs only while `allows(r)` (ε after
   * it within the budget); after that the model stays as it is and is still scored.
   */
  budget?: { allows: (round: number) => boolean };
  /** Scores a tower (and where the adversary's item lands, when there is one). */
  score: (tower: TowerParams) => Promise<TowerScore & { pushed?: ItemRank }>;
  onRound?: (round: number, scored?: TowerScore) => void;
}

export interface CurvePoint extends TowerScore {
  round: number;
  pushed?: ItemRank;
}

/** One guard decision: the candidate (the model after `candidateRound`) against the reference, from the devices' reports. */
export interface GuardPoint extends GuardRelease {
  round: number;
  candidateRound: number;
  referenceRound: number;
  reports: number;
  /** The server step's scale from this decision on (1 = the policy's β). */
  stepScale: number;
}

export interface RunResult {
  curve: CurvePoint[];
  /** The guard's decisions, in order (empty without a guard). */
  guard: GuardPoint[];
  /** The last round the budget allowed (null: it never stopped the run). */
  budgetStoppedAfter: number | null;
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
  const guard = guardState(env, start, o.guard, rngs.normal);
  if (o.evalEvery <= o.rounds) await evaluate(0);
  let stopped: number | null = null;
  for (let r = 1; r <= o.rounds; r++) {
    if (stopped !== null || (o.budget && !o.budget.allows(r))) {
      // No round is published once the next would exceed the budget: the last model stays served.
      stopped ??= r - 1;
      const scored = r % o.evalEvery === 0 || r === o.rounds ? await evaluate(r) : undefined;
      o.onRound?.(r, scored);
      continue;
    }
    const res = await simulateRound(env, theta, r, rngs, o.adversary, guard?.window ?? undefined, guard?.stepScale ?? 1);
    theta = res.theta;
    all.push(res.stats);
    if (guard && r % guard.policy.every === 0) theta = guard.decide(theta, r);
    const scored = r % o.evalEvery === 0 || r === o.rounds ? await evaluate(r) : undefined;
    o.onRound?.(r, scored);
  }
  const mean = (f: (s: RoundStats) => number) => (all.length ? all.reduce((a, s) => a + f(s), 0) / all.length : 0);
  return {
    curve,
    guard: guard?.decisions ?? [],
    budgetStoppedAfter: stopped,
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

/**
 * The guard as the server runs it: every `every` rounds, decide on the candidate from the
 * window's reports (roll back to the reference, promote the candidate, or keep it served
 * against the same reference), then make the current model the next candidate. Returns the
 * model to serve and train from.
 */
function guardState(env: SimEnv, start: TowerParams, policy: GuardPolicy | undefined, normal: () => number) {
  if (!policy) return null;
  const { d, hidden } = env.session.weights;
  // The fixed denominator: the expected number of devices that take part in a window's rounds.
  const expected = (env.reporters?.size ?? env.clients.length) * windowRate(samplingRate(env), policy.every);
  let reference = { theta: flattenTower(start), round: 0 };
  let candidate: { theta: Float32Array; round: number } | null = null;
  let plateau: Plateau = { scale: 1, stalled: 0 };
  const state = {
    policy,
    window: null as ReportWindow | null,
    decisions: [] as GuardPoint[],
    stepScale: 1,
    decide(theta: Float32Array, round: number): Float32Array {
      let next = theta;
      if (candidate && state.window) {
        const release = releaseAndDecide(state.window.sums, expected, policy, normal);
        plateau = annealStep(plateau, release, policy);
        state.stepScale = plateau.scale;
        state.decisions.push({ round, candidateRound: candidate.round, referenceRound: reference.round, reports: state.window.sums.count, ...release, stepScale: state.stepScale });
        if (release.decision === 'roll-back') next = reference.theta.slice();
        else if (release.decision === 'promote') reference = candidate;
      }
      candidate = next === theta ? { theta: theta.slice(), round } : null;
      state.window = candidate
        ? { candidate: unflattenTower(candidate.theta, d, hidden), reference: unflattenTower(reference.theta, d, hidden), reported: new Set(), sums: emptySums() }
        : null;
      return next;
    },
  };
  return state;
}
