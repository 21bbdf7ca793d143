/**
 * The whole federated experiment of one data set: federated meta-learning (by default the
 * Worker's FOMAML client update) with and without central DP, poisoning under each aggregator, membership inference; and the report that
 * compares them with the starting point and the centrally meta-trained model.
 */
import { composedEpsilon } from '../federated/accountant';
import { windowRate, type GuardPolicy } from '../federated/guard';
import { AGGREGATORS, type Aggregator } from '../federated/aggregate';
import { flattenTower, type TowerParams } from '../model/weights';
import { ATTACKS, type Attack } from './attacks';
import type { ScenarioCache } from './cache';
import { scoreTower, type EvaluationContext, type ItemRank, type TowerScore } from './evaluate';
import { membershipInference, type MiaResult } from './mia-run';
import { samplingRate, type SimEnv } from './round';
import { runSimulation, type CurvePoint, type RunResult } from './run';

export interface ExperimentOptions {
  rounds: number;
  evalEvery: number;
  seed: number;
  /** δ of the reported (ε, δ). */
  delta: number;
  poison: { rounds: number; share: number; scale: number; item: number };
  mia: { trials: number; localNoise: number };
  /** Federated evaluation and the guard on the two quality curves (not the poisoning runs); off when absent. */
  guard?: GuardPolicy;
  /** The server's privacy budget on the DP curve (central ε at `delta`, reports included); Infinity = none. */
  maxEpsilon: number;
  /** Part of every cache key: what else the results depend on (data, pipeline stages). */
  cacheKey: unknown;
}

export interface ExperimentHooks {
  onStart?: (phase: string, total: number) => void;
  onStep?: (phase: string, done: number, ndcg?: number) => void;
  onEnd?: (phase: string) => void;
}

type Scored = TowerScore & { pushed?: ItemRank };
type SavedRun = Omit<RunResult, 'tower'>;

export interface PoisoningRow {
  aggregator: Aggregator;
  attack: 'none' | Attack;
  ndcg10Full: number;
  ndcg10Next10: number;
  /** (clean − attacked) / clean under the same aggregator; 0 for the clean run. */
  lossFull: number;
  lossNext10: number;
  pushedItemMeanRank: number;
  pushedItemTop10Share: number;
}

export interface ExperimentResult {
  start: TowerScore;
  central: TowerScore;
  withDp: SavedRun;
  withoutDp: SavedRun;
  poisoning: PoisoningRow[];
  mia: MiaResult;
}

async function cached<T>(cache: ScenarioCache, name: string, key: unknown, run: () => Promise<T>): Promise<T> {
  const hit = await cache.get<T>(name, key);
  if (hit) return hit;
  const value = await run();
  await cache.set(name, key, value);
  return value;
}

export async function runExperiment(
  env: SimEnv,
  towers: { start: TowerParams; central: TowerParams },
  evalCtx: EvaluationContext,
  o: ExperimentOptions,
  cache: ScenarioCache,
  hooks: ExperimentHooks = {},
): Promise<ExperimentResult> {
  const settings = env.settings;
  const baseKey = { cache: o.cacheKey, settings, seed: o.seed };
  const score = (probe?: number) => (t: TowerParams) => scoreTower(evalCtx, t, probe);

  const start = await cached(cache, 'start', baseKey, () => scoreTower(evalCtx, towers.start));
  const central = await cached(cache, 'central', baseKey, () => scoreTower(evalCtx, towers.central));

  // The run without noise has no guarantee, so no budget; the DP run stops as the server would.
  const budgeted = (centralNoise: number) => centralNoise > 0 && Number.isFinite(o.maxEpsilon) && settings.aggregator === 'mean';
  const curve = async (phase: string, centralNoise: number): Promise<SavedRun> =>
    // Without central noise the reports are released without noise too (that run has no DP at all).
    cached(cache, phase, { ...baseKey, centralNoise, rounds: o.rounds, evalEvery: o.evalEvery, ...(o.guard ? { guard: o.guard, reporters: env.reporters ? [...env.reporters] : 'all' } : {}), ...(budgeted(centralNoise) ? { maxEpsilon: o.maxEpsilon } : {}) }, async () => {
      hooks.onStart?.(phase, o.rounds);
      const { tower: _t, ...run } = await runSimulation({ ...env, settings: { ...settings, centralNoise } }, towers.start, {
        rounds: o.rounds,
        evalEvery: o.evalEvery,
        seed: o.seed,
        guard: o.guard && (centralNoise > 0 ? o.guard : { ...o.guard, noise: 0 }),
        budget: budgeted(centralNoise) ? { allows: (r) => epsilonAt(env, r, o.delta, o.guard) <= o.maxEpsilon } : undefined,
        score: score(),
        onRound: (r, s) => hooks.onStep?.(phase, r, s?.ndcg10Full),
      });
      hooks.onEnd?.(phase);
      return run;
    });
  const withDp = await curve('with-dp', settings.centralNoise);
  const withoutDp = await curve('without-dp', 0);

  const poisoning = await poisoningRuns(env, towers.start, o, score(o.poison.item), cache, baseKey, hooks);

  const mia = await cached(cache, 'mia', { ...baseKey, mia: o.mia }, async () => {
    hooks.onStart?.('mia', o.mia.trials);
    const r = await membershipInference(env, flattenTower(towers.start), { ...o.mia, seed: o.seed + 101, onTrial: (t) => hooks.onStep?.('mia', t) });
    hooks.onEnd?.('mia');
    return r;
  });
  return { start, central, withDp, withoutDp, poisoning, mia };
}

/** Every aggregator clean and under each attack, with the same seed (same clients, same noise draws). */
async function poisoningRuns(
  env: SimEnv,
  start: TowerParams,
  o: ExperimentOptions,
  score: (t: TowerParams) => Promise<Scored>,
  cache: ScenarioCache,
  baseKey: object,
  hooks: ExperimentHooks,
): Promise<PoisoningRow[]> {
  const p = o.poison;
  // A fixed share of the population is malicious; whoever of them is sampled attacks.
  const malicious = new Set<number>();
  const stride = 1 / p.share;
  for (let x = 0; x < env.clients.length; x += stride) malicious.add(Math.floor(x));
  const rows: PoisoningRow[] = [];
  for (const aggregator of AGGREGATORS) {
    let clean: Scored | null = null;
    for (const attack of ['none', ...ATTACKS] as const) {
      const phase = `poison ${aggregator} ${attack}`;
      const final = await cached(cache, `poison-${aggregator}-${attack}`, { ...baseKey, poison: p }, async () => {
        hooks.onStart?.(phase, p.rounds);
        const run = await runSimulation({ ...env, settings: { ...env.settings, aggregator } }, start, {
          rounds: p.rounds,
          evalEvery: p.rounds,
          seed: o.seed,
          adversary: attack === 'none' ? undefined : { clients: malicious, attack, item: p.item, scale: p.scale },
          score,
          onRound: (r, s) => hooks.onStep?.(phase, r, s?.ndcg10Full),
        });
        hooks.onEnd?.(phase);
        return run.curve[run.curve.length - 1];
      });
      clean ??= final;
      const loss = (c: number, a: number) => (c > 0 ? (c - a) / c : 0);
      rows.push({
        aggregator,
        attack,
        ndcg10Full: final.ndcg10Full,
        ndcg10Next10: final.ndcg10Next10,
        lossFull: loss(clean.ndcg10Full, final.ndcg10Full),
        lossNext10: loss(clean.ndcg10Next10, final.ndcg10Next10),
        pushedItemMeanRank: final.pushed?.meanRank ?? NaN,
        pushedItemTop10Share: final.pushed?.top10Share ?? NaN,
      });
    }
  }
  return rows;
}

/** The first evaluated round at which both views reach `share` of the reference. */
export function firstRoundAt(curve: readonly CurvePoint[], ref: TowerScore, share: number): CurvePoint | null {
  return curve.find((p) => p.ndcg10Full >= share * ref.ndcg10Full && p.ndcg10Next10 >= share * ref.ndcg10Next10) ?? null;
}

/** Guard releases up to `rounds`: a decision every `every` rounds from the second window on (a bound: a window after a roll-back has none). */
export function guardReleases(rounds: number, guard: GuardPolicy | undefined): number {
  return guard ? Math.max(0, Math.floor(rounds / guard.every) - 1) : 0;
}

/**
 * ε after `rounds` rounds: the deltas of every round and, with the guard, the quality reports
 * of every decision, in one accountant. NaN (no guarantee) for an aggregator other than the
 * mean: the noise is calibrated to the mean's sensitivity only.
 */
export function epsilonAt(env: SimEnv, rounds: number, delta: number, guard?: GuardPolicy): number {
  if (env.settings.aggregator !== 'mean') return NaN;
  const q = samplingRate(env);
  const releases = [{ samplingRate: q, noiseMultiplier: env.settings.centralNoise, count: rounds }];
  if (guard) releases.push({ samplingRate: windowRate(q, guard.every), noiseMultiplier: guard.noise, count: guardReleases(rounds, guard) });
  return composedEpsilon(releases, delta).epsilon;
}
