/**
 * reports/federated/<data>/report.json and ndcg-vs-rounds.svg from one experiment. The
 * field names of `rounds`, `central`, `start`, `uploadBytesPerClientRound`, `dp`, `mia`
 * and `poisoning` are read by other tools: keep them.
 */
import { RDP_ORDERS, sampledGaussianEpsilon } from '../federated/accountant';
import { REPORT_SENSITIVITY, windowRate } from '../federated/guard';
import { lastFittingRound, roundsWithinBudget } from '../federated/privacy';
import { REPORT_BYTES } from '../federated/quality';
import type { TowerScore } from './evaluate';
import { epsilonAt, firstRoundAt, guardReleases, type ExperimentOptions, type ExperimentResult } from './experiment';
import { lineChartSvg, type Series } from './plot-svg';
import { samplingRate, type SimEnv } from './round';
import type { CurvePoint, GuardPoint } from './run';

export interface ReportContext {
  dataset: string;
  command: string;
  clients: number;
  testUsers: number;
  k: number;
  pushedItem: { index: number; id: string; trainCount: number };
  seconds: number;
}

const r4 = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);
const score = (s: TowerScore) => ({ ndcg10Full: r4(s.ndcg10Full), ndcg10Next10: r4(s.ndcg10Next10) });
const ratio = (s: TowerScore, ref: TowerScore) => ({ full: r4(s.ndcg10Full / ref.ndcg10Full), next10: r4(s.ndcg10Next10 / ref.ndcg10Next10) });

/** The target lines, read off the curves: when each share of central is reached, at which ε. */
/** From the first evaluated round at which both views reach `share` of central: whether every later one stays there, and the worst. */
function holdsFrom(curve: readonly CurvePoint[], central: TowerScore, share: number) {
  const first = firstRoundAt(curve, central, share);
  if (!first) return null;
  const after = curve.filter((p) => p.round >= first.round);
  const worse = (p: TowerScore) => Math.min(p.ndcg10Full / central.ndcg10Full, p.ndcg10Next10 / central.ndcg10Next10);
  const worst = after.reduce((a, p) => (worse(p) < worse(a) ? p : a));
  return { from: first.round, through: after[after.length - 1].round, holds: after.every((p) => worse(p) >= share), worst: { round: worst.round, ...ratio(worst, central) } };
}

function targets(env: SimEnv, o: ExperimentOptions, res: ExperimentResult, worstDefaultLoss: number) {
  const eps = (round: number) => r4(epsilonAt(env, round, o.delta, o.guard));
  const reach95 = firstRoundAt(res.withoutDp.curve, res.central, 0.95);
  const reach95Dp = firstRoundAt(res.withDp.curve, res.central, 0.95);
  const reach90Dp = firstRoundAt(res.withDp.curve, res.central, 0.9);
  const lastDp = res.withDp.curve[res.withDp.curve.length - 1];
  // The DP round whose worse view is closest to central (the start may already pass 90%).
  const worse = (p: TowerScore) => Math.min(p.ndcg10Full / res.central.ndcg10Full, p.ndcg10Next10 / res.central.ndcg10Next10);
  const bestDp = res.withDp.curve.reduce((a, p) => (worse(p) > worse(a) ? p : a));
  return {
    reach95OfCentral: {
      withoutDp: reach95 ? { round: reach95.round, ...ratio(reach95, res.central) } : null,
      withDp: reach95Dp ? { round: reach95Dp.round, epsilon: eps(reach95Dp.round), ...ratio(reach95Dp, res.central) } : null,
    },
    // The guard's target: once both views reach 95% of central, they stay there through the last round.
    stays95OfCentral: { withDp: holdsFrom(res.withDp.curve, res.central, 0.95), withoutDp: holdsFrom(res.withoutDp.curve, res.central, 0.95) },
    dpAt90OfCentral: reach90Dp ? { round: reach90Dp.round, epsilon: eps(reach90Dp.round), ...ratio(reach90Dp, res.central) } : null,
    dpBest: { round: bestDp.round, epsilon: eps(bestDp.round), ...ratio(bestDp, res.central) },
    dpFinal: { round: lastDp.round, epsilon: eps(lastDp.round), ...ratio(lastDp, res.central) },
    startOfCentral: ratio(res.start, res.central),
    uploadAtMost50KB: res.withDp.stats.uploadBytes <= 50 * 1024,
    miaAtMost06WithDp: res.mia.aucWithDp <= 0.6,
    poisoningLossUnder2PercentDefault: worstDefaultLoss < 0.02,
  };
}

/** Each poisoning run, rounded, with its quality as a share of central. */
function poisoningResults(res: ExperimentResult) {
  return res.poisoning.map((p) => ({
    ...p,
    ndcg10Full: r4(p.ndcg10Full),
    ndcg10Next10: r4(p.ndcg10Next10),
    lossFull: r4(p.lossFull),
    lossNext10: r4(p.lossNext10),
    pushedItemMeanRank: r4(p.pushedItemMeanRank),
    pushedItemTop10Share: r4(p.pushedItemTop10Share),
    ofCentralFull: r4(p.ndcg10Full / res.central.ndcg10Full),
    ofCentralNext10: r4(p.ndcg10Next10 / res.central.ndcg10Next10),
  }));
}

/** The run's settings, as the simulation used them. */
function settingsOf(env: SimEnv, o: ExperimentOptions, res: ExperimentResult) {
  const s = env.settings;
  return {
    rounds: o.rounds,
    evalEvery: o.evalEvery,
    clientsPerRound: s.clientsPerRound,
    samplingRate: r4(samplingRate(env)),
    sampling: 'poisson',
    clip: s.clip,
    localNoise: s.localNoise,
    centralNoise: s.centralNoise,
    aggregator: s.aggregator,
    trim: s.trim,
    serverLr: s.serverLr,
    dtype: s.dtype,
    supportSizes: s.supportSizes,
    clientUpdate: s.clientUpdate,
    clientLr: s.clientUpdate === 'fomaml' ? s.clientLr : null,
    queryMax: s.clientUpdate === 'fomaml' ? s.queryMax : null,
    inner: env.session.config.inner,
    meanDeltaNormBeforeClip: r4(res.withoutDp.stats.meanNorm),
    clippedShare: r4(res.withoutDp.stats.clippedShare),
    meanClientsPerRound: r4(res.withDp.stats.clientsPerRound),
  };
}

/** The last round whose ε (deltas and the guard's reports) stays within `budget` (bisection: ε grows with the rounds). */
function lastRoundWithin(env: SimEnv, o: ExperimentOptions, budget: number): number {
  return lastFittingRound((r) => epsilonAt(env, r, o.delta, o.guard) <= budget);
}

/** The central DP guarantee of the whole run, from the accountant. */
function dpOf(env: SimEnv, o: ExperimentOptions, res: ExperimentResult) {
  const s = env.settings;
  const q = samplingRate(env);
  const final = sampledGaussianEpsilon(q, s.centralNoise, o.rounds, o.delta);
  const budget = { centralNoise: s.centralNoise, localNoise: 0, delta: o.delta, samplingRate: q, aggregator: s.aggregator };
  return {
    noiseMultiplier: s.centralNoise,
    clip: s.clip,
    delta: o.delta,
    accountant: 'RDP of the Poisson-sampled Gaussian mechanism (Mironov, Talwar & Zhang 2019), integer orders 2-256, composed over rounds, (ε, δ) by the conversion of Balle et al. 2020 / Canonne et al. 2020; user-level, add/remove one client; valid for the mean aggregator',
    samplingRate: r4(q),
    rounds: o.rounds,
    // null: no proven guarantee (the default aggregator is not the mean). With the guard, its reports are in it.
    epsilon: r4(epsilonAt(env, o.rounds, o.delta, o.guard)),
    epsilonDeltasOnly: r4(s.aggregator === 'mean' ? final.epsilon : NaN),
    // The budget the DP run applied (as the server does; null = none) and where it stopped the rounds.
    budget: {
      maxEpsilon: Number.isFinite(o.maxEpsilon) ? o.maxEpsilon : null,
      stoppedAfterRound: res.withDp.budgetStoppedAfter,
      roundsWithinDeltasOnly: roundsWithinBudget({ ...budget, maxEpsilon: o.maxEpsilon }),
      roundsWithin: Number.isFinite(o.maxEpsilon) ? lastRoundWithin(env, o, o.maxEpsilon) : null,
    },
    order: final.order,
    orders: [RDP_ORDERS[0], RDP_ORDERS[RDP_ORDERS.length - 1]],
  };
}

/** The membership-inference attack's AUCs and how it was run. */
function miaOf(res: ExperimentResult) {
  return {
    aucWithDp: r4(res.mia.aucWithDp),
    aucWithoutDp: r4(res.mia.aucWithoutDp),
    upload: { aucWithoutNoise: r4(res.mia.upload.aucWithoutNoise), aucWithLocalNoise: r4(res.mia.upload.aucWithLocalNoise), localNoise: res.mia.upload.localNoise },
    trials: res.mia.trials,
    membersScored: res.mia.members,
    attack: "score shift of item X between the model before and after the release, averaged over probe users ([X] and 32 random 5-item histories), each relative to the probe's mean shift; members = items of the target client's data, non-members = as many items of a client outside the round that the target never touched",
  };
}

/** The devices' reports decided on at `round`, if any: noised mean hit@10 of the candidate and the reference, and the decision. */
function deviceReport(decisions: readonly GuardPoint[], round: number) {
  const g = decisions.find((x) => x.round === round);
  return g ? { deviceHit10: r4(g.candidate), deviceHit10Reference: r4(g.reference), guardDecision: g.decision } : {};
}

/** The guard's settings, what it cost and every decision it took in the DP run (null without a guard). */
function guardOf(env: SimEnv, o: ExperimentOptions, res: ExperimentResult) {
  const g = o.guard;
  if (!g) return null;
  const decisions = res.withDp.guard;
  return {
    every: g.every,
    noise: g.noise,
    margin: g.margin,
    anneal: g.anneal,
    patience: g.patience,
    sensitivity: r4(REPORT_SENSITIVITY),
    windowSamplingRate: r4(windowRate(samplingRate(env), g.every)),
    reporters: env.reporters?.size ?? env.clients.length,
    reportersAre: 'the split’s validation fold (users the starting model was never fitted on); they also train like every client',
    releases: guardReleases(o.rounds, g),
    reportBytesPerDevicePerVersion: REPORT_BYTES,
    rollBacks: decisions.filter((x) => x.decision === 'roll-back').map((x) => x.round),
    rollBacksWithoutDp: res.withoutDp.guard.filter((x) => x.decision === 'roll-back').map((x) => x.round),
    decisions: decisions.map((x) => ({
      round: x.round,
      candidateRound: x.candidateRound,
      referenceRound: x.referenceRound,
      reports: x.reports,
      candidate: r4(x.candidate),
      reference: r4(x.reference),
      difference: r4(x.difference),
      standardError: r4(x.standardError),
      decision: x.decision,
      stepScale: x.stepScale,
    })),
  };
}

export function buildReport(env: SimEnv, o: ExperimentOptions, res: ExperimentResult, ctx: ReportContext) {
  const s = env.settings;
  const eps = (round: number) => r4(epsilonAt(env, round, o.delta, o.guard));
  const meanClean = res.poisoning.filter((p) => p.aggregator === s.aggregator);
  const worstDefaultLoss = Math.max(...meanClean.map((p) => Math.max(p.lossFull, p.lossNext10)));
  return {
    dataset: ctx.dataset,
    createdAt: new Date().toISOString(),
    command: ctx.command,
    seed: o.seed,
    clients: ctx.clients,
    testUsers: ctx.testUsers,
    k: ctx.k,
    settings: settingsOf(env, o, res),
    rounds: res.withDp.curve.map((p) => ({ round: p.round, ...score(p), epsilon: eps(p.round), ...deviceReport(res.withDp.guard, p.round) })),
    roundsWithoutDp: res.withoutDp.curve.map((p) => ({ round: p.round, ...score(p), ...deviceReport(res.withoutDp.guard, p.round) })),
    guard: guardOf(env, o, res),
    central: score(res.central),
    start: score(res.start),
    uploadBytesPerClientRound: res.withDp.stats.uploadBytes,
    dp: dpOf(env, o, res),
    targets: targets(env, o, res, worstDefaultLoss),
    mia: miaOf(res),
    poisoning: {
      rounds: o.poison.rounds,
      maliciousShare: o.poison.share,
      attackScale: o.poison.scale,
      pushedItem: ctx.pushedItem,
      centralNoise: s.centralNoise,
      defaultAggregator: s.aggregator,
      worstLossDefault: r4(worstDefaultLoss),
      results: poisoningResults(res),
    },
    seconds: r4(ctx.seconds),
  };
}

export type FederatedReport = ReturnType<typeof buildReport>;

/** NDCG@10 against rounds, both views, with and without DP, and the two reference levels. */
export function roundsSvg(res: ExperimentResult, dataset: string): string {
  const panel = (key: 'ndcg10Full' | 'ndcg10Next10', title: string) => {
    const xs = res.withDp.curve.map((p) => p.round);
    const level = (y: number) => [{ x: Math.min(...xs), y }, { x: Math.max(...xs), y }];
    const series: Series[] = [
      { name: 'federated, no DP', color: '#1f77b4', points: res.withoutDp.curve.map((p) => ({ x: p.round, y: p[key] })) },
      { name: 'federated, DP', color: '#d62728', points: res.withDp.curve.map((p) => ({ x: p.round, y: p[key] })) },
      { name: 'central meta-training', color: '#2ca02c', dashed: true, points: level(res.central[key]) },
      { name: 'start (pre-trained)', color: '#7f7f7f', dashed: true, points: level(res.start[key]) },
    ];
    return { title: `${dataset}: ${title}`, series };
  };
  const panels = [panel('ndcg10Full', 'NDCG@10, full query, k=5'), panel('ndcg10Next10', 'NDCG@10, next 10, k=5')];
  if (res.withDp.guard.length > 0) {
    // What the server sees instead of the test users: the devices' noised reports at each guard decision.
    const at = (f: (g: GuardPoint) => number) => res.withDp.guard.map((g) => ({ x: g.round, y: f(g) }));
    panels.push({
      title: `${dataset}: devices' hit@10 (DP): candidate solid, reference dashed`,
      series: [
        { name: 'candidate', color: '#d62728', points: at((g) => g.candidate) },
        { name: 'reference', color: '#7f7f7f', dashed: true, points: at((g) => g.reference) },
      ],
    });
  }
  return lineChartSvg(panels, 'round');
}
