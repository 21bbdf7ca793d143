/**
 * Membership inference: did item X occur in the target client's data? The attacker
 * knows the model before the round and sees the model after a release (the published
 * aggregate, or one upload). Its score for X is how much the release raised X's score
 * for probe users (scoreShift); the AUC of that score between members and non-members
 * (memberSplit) measures what leaks: 0.5 is chance.
 */
import type { Rng } from '../data/random';
import type { ModelSession } from '../model/session';
import type { TowerParams } from '../model/weights';
import { unflattenTower } from '../model/weights';

/** Probe users scored per batch (scores are items × catalogue floats). */
const PROBE_BATCH = 128;

/** Area under the ROC curve of scores for positives vs negatives (Mann–Whitney U; ties count half). */
export function auc(pos: readonly number[], neg: readonly number[]): number {
  if (pos.length === 0 || neg.length === 0) return NaN;
  const all = [...pos.map((s) => ({ s, p: 1 })), ...neg.map((s) => ({ s, p: 0 }))].sort((a, b) => a.s - b.s);
  let rankSumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const midRank = (i + 1 + j) / 2; // 1-based average rank of the tie group
    for (let t = i; t < j; t++) if (all[t].p) rankSumPos += midRank;
    i = j;
  }
  const u = rankSumPos - (pos.length * (pos.length + 1)) / 2;
  return u / (pos.length * neg.length);
}

/**
 * For each item X: how much the release raised X's score, averaged over probe users
 * (single-item histories [X] and `extra` fixed random histories), each shift taken
 * relative to that probe's mean shift over the catalogue (a release that lifts every
 * score alike says nothing about X).
 */
export async function scoreShift(session: ModelSession, before: TowerParams, after: TowerParams, items: readonly number[], extra: readonly (readonly { index: number; type: 'view'; ts: number }[])[] = []): Promise<number[]> {
  const n = session.weights.n;
  const centred = async (probes: readonly (readonly { index: number; type: 'view'; ts: number }[])[]) => {
    const [a, b] = await Promise.all([session.scoreShared(after, probes), session.scoreShared(before, probes)]);
    const out = new Float64Array(a.length);
    for (let r = 0; r < probes.length; r++) {
      let mean = 0;
      for (let j = 0; j < n; j++) mean += a[r * n + j] - b[r * n + j];
      for (let j = 0; j < n; j++) out[r * n + j] = a[r * n + j] - b[r * n + j] - mean / n;
    }
    return out;
  };
  const shared = new Float64Array(n);
  for (let i = 0; i < extra.length; i += PROBE_BATCH) {
    const batch = extra.slice(i, i + PROBE_BATCH);
    const c = await centred(batch);
    for (let r = 0; r < batch.length; r++) for (let j = 0; j < n; j++) shared[j] += c[r * n + j] / extra.length;
  }
  const out: number[] = [];
  for (let i = 0; i < items.length; i += PROBE_BATCH) {
    const batch = items.slice(i, i + PROBE_BATCH);
    const c = await centred(batch.map((x) => [{ index: x, type: 'view' as const, ts: 0 }]));
    batch.forEach((x, r) => out.push((c[r * n + x] + extra.length * shared[x]) / (1 + extra.length)));
  }
  return out;
}

/** `count` random histories of `length` catalogue items: the attacker's stand-ins for typical users. */
export function randomProbes(rng: Rng, count: number, length: number, catalogue: number): { index: number; type: 'view'; ts: number }[][] {
  return Array.from({ length: count }, () => Array.from({ length }, (_, t) => ({ index: rng.int(catalogue), type: 'view' as const, ts: t })));
}

/**
 * Members: the distinct items of the target's data. Non-members: as many distinct items
 * of another client's data that the target never touched. Drawing non-members from a
 * real client (not uniformly from the catalogue) matches their popularity to the
 * members', so the attack measures membership, not how popular members tend to be.
 */
export function memberSplit(rng: Rng, data: readonly { index: number }[], everTouched: ReadonlySet<number>, other: readonly { index: number }[]): { members: number[]; nonMembers: number[] } {
  const members = [...new Set(data.map((e) => e.index))];
  const candidates = rng.shuffle([...new Set(other.map((e) => e.index))].filter((x) => !everTouched.has(x)));
  const nonMembers = candidates.slice(0, members.length);
  return { members: members.slice(0, nonMembers.length), nonMembers };
}

/** Shift scores of members and non-members between two flattened towers. */
export async function attackScores(
  session: ModelSession,
  before: Float32Array,
  after: Float32Array,
  split: { members: number[]; nonMembers: number[] },
  probes: Parameters<typeof scoreShift>[4] = [],
): Promise<{ pos: number[]; neg: number[] }> {
  const { d, hidden } = session.weights;
  const s = await scoreShift(session, unflattenTower(before, d, hidden), unflattenTower(after, d, hidden), [...split.members, ...split.nonMembers], probes);
  return { pos: s.slice(0, split.members.length), neg: s.slice(split.members.length) };
}
