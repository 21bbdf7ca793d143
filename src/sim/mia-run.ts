/**
 * The membership-inference experiment: `trials` rounds from the same model, each with one
 * target client forced in and the others Poisson-sampled as usual. Every trial runs the
 * devices once and then reads four releases of that same round: the published model with
 * and without the central noise, and the target's upload with and without local noise.
 */
import { createRng } from '../data/random';
import { addScaled } from '../federated/delta';
import { serverStep } from '../federated/server-step';
import { unflattenTower } from '../model/weights';
import { deviceTowers, upload } from './device';
import { attackScores, auc, memberSplit, randomProbes } from './mia';
import { samplingRate, type SimEnv } from './round';
import { dataAtCutoff, poissonSample } from './sampling';

export interface MiaOptions {
  trials: number;
  seed: number;
  /** Local noise multiplier of the 'upload' setting's protected variant. */
  localNoise: number;
  /** Random probe histories the attacker averages over, besides [X] itself (default 32). */
  probes?: number;
  onTrial?: (done: number) => void;
}

export interface MiaResult {
  /** Published models, with the default central noise. */
  aucWithDp: number;
  /** Published models, no noise. */
  aucWithoutDp: number;
  /** One client's upload as the server sees it, without and with local noise. */
  upload: { aucWithoutNoise: number; aucWithLocalNoise: number; localNoise: number };
  trials: number;
  members: number;
}

type Scores = { pos: number[]; neg: number[] };
const push = (acc: Scores, s: Scores) => {
  acc.pos.push(...s.pos);
  acc.neg.push(...s.neg);
};

export async function membershipInference(env: SimEnv, theta: Float32Array, o: MiaOptions): Promise<MiaResult> {
  const rng = createRng(o.seed);
  const noise = createRng(o.seed + 1);
  const normal = () => noise.normal();
  const s = env.settings;
  const { d, hidden, n } = env.session.weights;
  const meta = unflattenTower(theta, d, hidden);
  const q = samplingRate(env);
  const acc = { dp: { pos: [], neg: [] } as Scores, noDp: { pos: [], neg: [] } as Scores, up: { pos: [], neg: [] } as Scores, upNoisy: { pos: [], neg: [] } as Scores };
  const probes = randomProbes(rng, o.probes ?? 32, 5, n);
  const eligible = env.clients.map((c, i) => (c.events.length >= 2 ? i : -1)).filter((i) => i >= 0);
  for (let t = 0; t < o.trials; t++) {
    const target = eligible[rng.int(eligible.length)];
    const others = poissonSample(rng, env.clients.length, q).filter((i) => i !== target);
    const clients = [target, ...others];
    // The target has ≥ 2 interactions, so it always has data; others without enough send nothing.
    const data = clients.map((i) => dataAtCutoff(rng, env.clients[i].events, s.supportSizes, s.clientUpdate, s.queryMax)).filter((x) => x !== null);
    const towers = await deviceTowers(env.session, meta, data, s.clientUpdate, s.clientLr);
    const wire = { dtype: s.dtype, modelVersion: t, roundId: t };
    const plain = { clip: s.clip, localNoise: 0 };
    const deltas = towers.map((tw) => upload(tw, meta, plain, normal, wire).values);
    const noisyUpload = upload(towers[0], meta, { clip: s.clip, localNoise: o.localNoise }, normal, wire).values;
    const denominator = q * env.clients.length;
    // The non-members' owner sits this round out, so nothing published was trained on them.
    const chosen = new Set(clients);
    let owner = eligible[rng.int(eligible.length)];
    while (chosen.has(owner)) owner = eligible[rng.int(eligible.length)];
    const own = (x: { support: { index: number }[]; query: { index: number }[] }) => [...x.support, ...x.query];
    const other = dataAtCutoff(rng, env.clients[owner].events, s.supportSizes, s.clientUpdate, s.queryMax)!;
    const split = memberSplit(rng, own(data[0]), new Set(env.clients[target].events.map((e) => e.index)), own(other));
    const published = (centralNoise: number) => serverStep(theta, deltas, { ...s, aggregator: 'mean', centralNoise, denominator }, normal).theta;
    push(acc.noDp, await attackScores(env.session, theta, published(0), split, probes));
    push(acc.dp, await attackScores(env.session, theta, published(s.centralNoise), split, probes));
    push(acc.up, await attackScores(env.session, theta, addScaled(theta, deltas[0], 1), split, probes));
    push(acc.upNoisy, await attackScores(env.session, theta, addScaled(theta, noisyUpload, 1), split, probes));
    o.onTrial?.(t + 1);
  }
  return {
    aucWithDp: auc(acc.dp.pos, acc.dp.neg),
    aucWithoutDp: auc(acc.noDp.pos, acc.noDp.neg),
    upload: { aucWithoutNoise: auc(acc.up.pos, acc.up.neg), aucWithLocalNoise: auc(acc.upNoisy.pos, acc.upNoisy.neg), localNoise: o.localNoise },
    trials: o.trials,
    members: acc.dp.pos.length,
  };
}
