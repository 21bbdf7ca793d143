/**
 * From a trained pipeline run to the federated report: builds the simulated population,
 * picks the poisoning target, runs the experiment and formats what it found.
 */
import { userFold, VALIDATION_FOLD, type SupportQuery, type TrainingData } from '../data/split';
import { DEVICE_UPDATE } from '../federated/device-task';
import type { WireDtype } from '../federated/wire';
import type { ModelSession } from '../model/session';
import type { TowerParams } from '../model/weights';
import { dirCache, noCache } from './cache';
import { runExperiment, type ExperimentHooks, type ExperimentOptions } from './experiment';
import { buildReport, roundsSvg, type FederatedReport } from './report';
import type { SimEnv } from './round';

export interface SimulateInput {
  session: ModelSession;
  train: TrainingData;
  cuts: readonly SupportQuery[];
  towers: { start: TowerParams; central: TowerParams };
  sim: {
    rounds: number;
    clientsPerRound: number;
    evalEvery: number;
    k: number;
    clip: number;
    noise: number;
    localNoise: number;
    aggregator: SimEnv['settings']['aggregator'];
    trim: number;
    serverLr: number;
    clientUpdate: SimEnv['settings']['clientUpdate'];
    clientLr: number;
    dpDelta?: number;
    miaTrials: number;
    miaLocalNoise: number;
    poisonRounds: number;
    poisonShare: number;
    poisonScale: number;
    guardEvery: number;
    maxEpsilon: number;
    guardNoise: number;
    guardMargin: number;
    guardAnneal: number;
    guardPatience: number;
  };
  seed: number;
  cacheDir: string | null;
  cacheKey: unknown;
  dataset: string;
  command: string;
  hooks: ExperimentHooks;
  t0: number;
}

/** What the round asks devices to send (the coordinator's default when int8 is accepted). */
const DTYPE: WireDtype = 'int8';

/**
 * The item the poisoners push: a long-tail item (the lower quartile of training
 * popularity among items seen at least once), so a successful push is visible.
 */
export function pushTarget(train: TrainingData): { index: number; id: string; trainCount: number } {
  const seen = [...train.itemCounts.keys()].filter((i) => train.itemCounts[i] > 0).sort((a, b) => train.itemCounts[a] - train.itemCounts[b] || a - b);
  const index = seen[Math.floor(seen.length / 4)];
  return { index, id: train.catalogue.ids[index], trainCount: train.itemCounts[index] };
}

export async function simulate(input: SimulateInput): Promise<{ report: FederatedReport; svg: string; summary: string }> {
  const { sim, session, train } = input;
  const env: SimEnv = {
    session,
    clients: train.users,
    // The guard's reporters: the validation fold, which the starting model was never fitted on.
    reporters: new Set(train.users.flatMap((u, i) => (userFold(u.user) === VALIDATION_FOLD ? [i] : []))),
    settings: {
      clientsPerRound: sim.clientsPerRound,
      clip: sim.clip,
      localNoise: sim.localNoise,
      centralNoise: sim.noise,
      aggregator: sim.aggregator,
      trim: sim.trim,
      serverLr: sim.serverLr,
      dtype: DTYPE,
      supportSizes: DEVICE_UPDATE.supportSizes,
      clientUpdate: sim.clientUpdate,
      clientLr: sim.clientLr,
      queryMax: DEVICE_UPDATE.queryMax,
    },
  };
  const pushed = pushTarget(train);
  const options: ExperimentOptions = {
    rounds: sim.rounds,
    evalEvery: sim.evalEvery,
    seed: input.seed,
    delta: sim.dpDelta ?? 0.1 / train.users.length,
    poison: { rounds: sim.poisonRounds, share: sim.poisonShare, scale: sim.poisonScale, item: pushed.index },
    mia: { trials: sim.miaTrials, localNoise: sim.miaLocalNoise },
    maxEpsilon: sim.maxEpsilon > 0 ? sim.maxEpsilon : Infinity,
    ...(sim.guardEvery > 0 ? { guard: { every: sim.guardEvery, noise: sim.guardNoise, margin: sim.guardMargin, anneal: sim.guardAnneal, patience: sim.guardPatience } } : {}),
    cacheKey: { ...(input.cacheKey as object), k: sim.k },
  };
  const evalCtx = { weights: session.weights, config: session.config, train, cuts: input.cuts, inner: session.config.inner };
  const cache = input.cacheDir ? dirCache(input.cacheDir) : noCache;
  const res = await runExperiment(env, input.towers, evalCtx, options, cache, input.hooks);
  const report = buildReport(env, options, res, {
    dataset: input.dataset,
    command: input.command,
    clients: train.users.length,
    testUsers: input.cuts.length,
    k: sim.k,
    pushedItem: pushed,
    seconds: (performance.now() - input.t0) / 1000,
  });
  return { report, svg: roundsSvg(res, input.dataset), summary: summarise(report) };
}

function summarise(r: FederatedReport): string {
  const t = r.targets;
  const lines = [
    `${r.dataset}: ${r.clients} clients, ${r.testUsers} test users at k=${r.k}, ${r.settings.rounds} rounds of ~${r.settings.clientsPerRound} clients`,
    `start   NDCG@10 full ${r.start.ndcg10Full}  next10 ${r.start.ndcg10Next10}`,
    `central NDCG@10 full ${r.central.ndcg10Full}  next10 ${r.central.ndcg10Next10}`,
    `final (DP, ε=${r.dp.epsilon} at δ=${r.dp.delta.toExponential(2)}): full ${r.rounds[r.rounds.length - 1].ndcg10Full}  next10 ${r.rounds[r.rounds.length - 1].ndcg10Next10}`,
    `final (no DP): full ${r.roundsWithoutDp[r.roundsWithoutDp.length - 1].ndcg10Full}  next10 ${r.roundsWithoutDp[r.roundsWithoutDp.length - 1].ndcg10Next10}`,
    `≥95% of central: no DP ${t.reach95OfCentral.withoutDp ? `round ${t.reach95OfCentral.withoutDp.round}` : 'not reached'}, DP ${t.reach95OfCentral.withDp ? `round ${t.reach95OfCentral.withDp.round}` : 'not reached'}`,
    `stays ≥95% of central from the first round that reaches it: DP ${t.stays95OfCentral.withDp ? `from round ${t.stays95OfCentral.withDp.from}: ${t.stays95OfCentral.withDp.holds ? 'yes' : `no (worst round ${t.stays95OfCentral.withDp.worst.round}: ${t.stays95OfCentral.withDp.worst.full} / ${t.stays95OfCentral.withDp.worst.next10})`}` : 'never reached'}`,
    `privacy budget ε ≤ ${r.dp.budget.maxEpsilon ?? '∞'}: ${r.dp.budget.stoppedAfterRound === null ? 'not reached' : `no round after ${r.dp.budget.stoppedAfterRound}; the last model stays served`}`,
    ...(r.guard ? [`guard: ${r.guard.decisions.length} decisions, roll-backs at rounds [${r.guard.rollBacks.join(', ')}] (DP), [${r.guard.rollBacksWithoutDp.join(', ')}] (no DP); ${r.guard.reportBytesPerDevicePerVersion} bytes per device per version`] : []),
    `≥90% of central with DP: ${t.dpAt90OfCentral ? `round ${t.dpAt90OfCentral.round}, ε=${t.dpAt90OfCentral.epsilon}` : 'not reached'}`,
    `upload ${r.uploadBytesPerClientRound} bytes per client per round`,
    `membership inference AUC: published models ${r.mia.aucWithDp} with DP, ${r.mia.aucWithoutDp} without; one upload ${r.mia.upload.aucWithoutNoise} (no local noise), ${r.mia.upload.aucWithLocalNoise} (σ=${r.mia.upload.localNoise})`,
    ...r.poisoning.results.map(
      (p) => `poisoning ${p.aggregator.padEnd(12)} ${p.attack.padEnd(5)} full ${p.ndcg10Full} (loss ${p.lossFull})  next10 ${p.ndcg10Next10} (loss ${p.lossNext10})  pushed item rank ${p.pushedItemMeanRank}, top-10 share ${p.pushedItemTop10Share}`,
    ),
  ];
  return lines.join('\n');
}
