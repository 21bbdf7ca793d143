/**
 * One simulated federated round, on the product's code from end to end: Poisson-sample
 * the clients, let each personalise on its own history and upload (device.ts), refuse
 * what the coordinator would refuse (normBound), and apply the server's own step
 * (serverStep) with the central noise and β.
 */
import type { Rng } from '../data/random';
import type { UserSequence } from '../data/split';
import { normBound, type NormalSource } from '../federated/clip';
import { l2Norm } from '../federated/delta';
import type { RoundPolicy } from '../federated/round';
import { serverStep } from '../federated/server-step';
import { addReport, type ReportSums } from '../federated/guard';
import { decodeQualityReport, encodeQualityReport, hitsUnder } from '../federated/quality';
import type { WireDtype } from '../federated/wire';
import type { IndexedEvent } from '../model/pooling';
import type { ModelSession } from '../model/session';
import { unflattenTower, type TowerParams } from '../model/weights';
import { pushDelta, scaledDelta, type Attack } from './attacks';
import { deviceTowers, upload } from './device';
import { dataAtCutoff, poissonSample, type ClientUpdate } from './sampling';

/** The server's settings are the product's round policy's; the rest is how clients are simulated. */
export interface SimSettings extends Pick<RoundPolicy, 'clip' | 'localNoise' | 'centralNoise' | 'aggregator' | 'trim' | 'serverLr'> {
  /** Expected clients per round (Poisson sampling at q = clientsPerRound / clients). */
  clientsPerRound: number;
  dtype: WireDtype;
  /** Prefix lengths a client's history is cut at (drawn per client and round). */
  supportSizes: readonly number[];
  clientUpdate: ClientUpdate;
  /** 'fomaml': at most this many later interactions form the device's query; the step size of its meta step. */
  queryMax: number;
  clientLr: number;
}

export interface Adversary {
  /** Client indices that are malicious (a fixed share of the population). */
  clients: ReadonlySet<number>;
  attack: Attack;
  /** The item 'push' pushes. */
  item: number;
  /** How much 'scale' and 'flip' scale the honest delta before the bound cuts it. */
  scale: number;
}

export interface SimEnv {
  session: ModelSession;
  clients: readonly UserSequence[];
  settings: SimSettings;
  /**
   * Clients whose quality reports the guard uses (all when absent). The simulation passes the
   * split's validation fold: users the starting model was never fitted on, as a deployed
   * device's new interactions were never in the log the model was pre-trained from.
   */
  reporters?: ReadonlySet<number>;
}

export interface RoundStats {
  sampled: number;
  accepted: number;
  malicious: number;
  /** Bytes of one upload on the wire. */
  uploadBytes: number;
  /** Mean ‖Δ‖₂ before clipping, and the share of deltas the bound cut. */
  meanNorm: number;
  clippedShare: number;
}

export interface RoundRngs {
  /** Sampling and cut-offs. */
  sample: Rng;
  /** Local and central noise (the product draws it from crypto; a seed makes runs repeatable). */
  normal: NormalSource;
}

/** The guard's open window: the candidate under evaluation, the reference, and the reports so far. */
export interface ReportWindow {
  candidate: TowerParams;
  reference: TowerParams;
  /** Clients that already reported on this candidate (each reports once per version). */
  reported: Set<number>;
  sums: ReportSums;
}

export function samplingRate(env: SimEnv): number {
  return Math.min(1, env.settings.clientsPerRound / env.clients.length);
}

/**
 * The round's devices that have not reported on the window's candidate report hit@10 of the
 * candidate and of the reference on their own next interactions (the same replay as their
 * update: support = their first k interactions, then the next ones).
 */
async function report(env: SimEnv, window: ReportWindow, devices: readonly { client: number; data: { support: IndexedEvent[]; query: IndexedEvent[] } }[]): Promise<void> {
  const fresh = devices.filter((x) => (env.reporters?.has(x.client) ?? true) && !window.reported.has(x.client) && x.data.query.length > 0);
  const tasks = fresh.map((x) => ({ support: x.data.support, next: x.data.query }));
  const [candidate, reference] = await Promise.all([hitsUnder(env.session, window.candidate, tasks), hitsUnder(env.session, window.reference, tasks)]);
  fresh.forEach((x, i) => {
    window.reported.add(x.client);
    // On the wire as the device would send it, read back as the server would.
    const sent = decodeQualityReport(encodeQualityReport({ candidateVersion: 0, referenceVersion: 0, roundId: 0, candidate: candidate[i], reference: reference[i] }));
    addReport(window.sums, sent.candidate, sent.reference);
  });
}

export async function simulateRound(
  env: SimEnv,
  theta: Float32Array,
  round: number,
  rngs: RoundRngs,
  adversary?: Adversary,
  window?: ReportWindow,
  /** Multiplies the server step β (the guard's annealing; 1 = the policy's β). */
  stepScale = 1,
): Promise<{ theta: Float32Array; stats: RoundStats }> {
  const s = env.settings;
  const { d, hidden } = env.session.weights;
  const drawn = poissonSample(rngs.sample, env.clients.length, samplingRate(env));
  // A drawn device with too few interactions for its update sends nothing (as the Worker does).
  const devices = drawn.flatMap((i) => {
    const x = dataAtCutoff(rngs.sample, env.clients[i].events, s.supportSizes, s.clientUpdate, s.queryMax);
    return x ? [{ client: i, data: x }] : [];
  });
  const sampled = devices.map((x) => x.client);
  const data = devices.map((x) => x.data);
  if (window) await report(env, window, devices);
  const meta: TowerParams = unflattenTower(theta, d, hidden);
  const towers = await deviceTowers(env.session, meta, data, s.clientUpdate, s.clientLr);
  const wire = { dtype: s.dtype, modelVersion: round, roundId: round };
  const bound = normBound(s.clip, s.localNoise, theta.length);
  const deltas: Float32Array[] = [];
  let norms = 0;
  let clipped = 0;
  let bytes = 0;
  let malicious = 0;
  for (let j = 0; j < sampled.length; j++) {
    const up = upload(towers[j], meta, s, rngs.normal, wire);
    bytes = up.bytes;
    norms += up.norm;
    if (up.norm > s.clip) clipped++;
    let values = up.values;
    if (adversary?.clients.has(sampled[j])) {
      malicious++;
      values =
        adversary.attack === 'push'
          ? await pushDelta(env.session, meta, data[j].support, adversary.item, s.clip)
          : scaledDelta(up.values, adversary.attack === 'flip' ? -adversary.scale : adversary.scale, s.clip);
    }
    // The coordinator refuses an upload above the bound; an attacker that wants to count stays under it.
    if (l2Norm(values) <= bound) deltas.push(values);
  }
  const stats: RoundStats = {
    sampled: sampled.length,
    accepted: deltas.length,
    malicious,
    uploadBytes: bytes,
    meanNorm: sampled.length ? norms / sampled.length : 0,
    clippedShare: sampled.length ? clipped / sampled.length : 0,
  };
  if (deltas.length === 0) return { theta, stats };
  // DP-FedAvg's fixed denominator (the expected count) for the mean; robust aggregators divide by what they keep.
  const denominator = s.aggregator === 'mean' ? samplingRate(env) * env.clients.length : undefined;
  const next = serverStep(theta, deltas, { ...s, serverLr: s.serverLr * stepScale, denominator }, rngs.normal);
  return { theta: next.theta, stats };
}
