import { beforeAll, describe, expect, it } from 'vitest';
import type { UserSequence } from '../../../src/data/split';
import { ValidationCriterion } from '../../../src/eval/validation';
import { historyTargets } from '../../../src/model/inner-inputs';
import { DEFAULT_CONTENT, DEFAULT_POOLING, initTower, type ModelConfig, type ModelWeights } from '../../../src/model/weights';
import { chooseRecency, withRecency } from '../../../src/train/recency-choice';
import { initNodeTf } from '../../../src/train/tf-node';

beforeAll(() => initNodeTf());

// Two clusters of 30 items; item rows are the cluster's one-hot, so the user vector (the
// tower starts at the identity: u = pooled) scores each cluster by its pooled share.
const clusterSize = 30;
const n = 2 * clusterSize;
const d = 2;
const oneHot = Float32Array.from({ length: n * d }, (_, j) => (Math.floor(j / d) < clusterSize ? +(j % d === 0) : +(j % d === 1)));
const weights: ModelWeights = {
  n,
  d,
  hidden: 2,
  itemIn: oneHot,
  itemOut: oneHot,
  itemBias: new Float32Array(n),
  tower: initTower(d, 2, () => 0),
  contentProj: new Float32Array(0),
};
const config: ModelConfig = { pooling: DEFAULT_POOLING, inner: { steps: 0, lr: 0.05, debias: true }, content: DEFAULT_CONTENT };

/** Users who start with 3 items of one cluster, then 2 of the other, then stay in `later`'s cluster. */
function users(later: 'newest' | 'majority'): UserSequence[] {
  return Array.from({ length: 40 }, (_, u) => {
    const [a, b] = u % 2 ? [0, clusterSize] : [clusterSize, 0];
    const first = [0, 1, 2].map((j) => a + ((u + j) % clusterSize));
    const second = [0, 1].map((j) => b + ((u + 5 + j) % clusterSize));
    const rest = Array.from({ length: 10 }, (_, j) => (later === 'newest' ? b : a) + ((u + 10 + j) % clusterSize));
    return { user: `u${u}`, events: [...first, ...second, ...rest].map((index, ts) => ({ index, type: 'view' as const, ts })) };
  });
}
const criterion = (later: 'newest' | 'majority') => new ValidationCriterion(users(later), new Int32Array(n).fill(1), [5], 'full');

const MINUTE = 60_000;
const DAYS_10 = 10 * 24 * 60 * MINUTE;
/**
 * Users with two sessions ten days apart: two items of one cluster, then a session of two
 * items of the other cluster and one stray item of the first, then they stay in the second
 * cluster. By position the first cluster always weighs more (the stray item is the newest);
 * by time the old session fades and the current session's majority wins.
 */
function sessionUsers(): UserSequence[] {
  return Array.from({ length: 40 }, (_, u) => {
    const [a, b] = u % 2 ? [0, clusterSize] : [clusterSize, 0];
    const at = (index: number, ts: number) => ({ index, type: 'view' as const, ts });
    const events = [at(a + (u % clusterSize), 0), at(a + ((u + 1) % clusterSize), MINUTE)];
    events.push(at(b + (u % clusterSize), DAYS_10), at(b + ((u + 1) % clusterSize), DAYS_10 + MINUTE), at(a + ((u + 2) % clusterSize), DAYS_10 + 2 * MINUTE));
    for (let j = 0; j < 10; j++) events.push(at(b + ((u + 2 + j) % clusterSize), DAYS_10 + (3 + j) * MINUTE));
    return { user: `u${u}`, events };
  });
}
const POSITIONS = { positions: true, hours: false };
const BOTH = { positions: true, hours: true };

describe('the recency half-life chosen after pre-training', () => {
  it('favours the newest interactions when validation users continue from them', async () => {
    const choice = await chooseRecency(POSITIONS, criterion('newest'), weights, config, weights.tower, config.inner);
    expect(choice.chosen).toBe('validation');
    expect(choice.halfLife).not.toBeNull();
    expect(choice.validation!).toBeGreaterThan(choice.validationOff!);
  });

  it('keeps the plain mean when the older majority predicts what comes next', async () => {
    const choice = await chooseRecency(BOTH, criterion('majority'), weights, config, weights.tower, config.inner);
    expect(choice).toMatchObject({ halfLife: null, halfLifeHours: null, chosen: 'validation' });
    expect(choice.validation).toBe(choice.validationOff);
  });

  it('adds a half-life in hours when the current session, not the newest positions, predicts what comes next', async () => {
    const sessions = new ValidationCriterion(sessionUsers(), new Int32Array(n).fill(1), [5], 'full');
    const choice = await chooseRecency(BOTH, sessions, weights, config, weights.tower, config.inner);
    expect(choice.halfLifeHours).not.toBeNull();
    expect(choice.halfLifeHours!).toBeLessThan(240);
    expect(choice.validation!).toBeGreaterThan(choice.hours!.validationWithout);
    expect((await chooseRecency(POSITIONS, sessions, weights, config, weights.tower, config.inner)).halfLifeHours).toBeNull();
  });

  it('keeps a half-life fixed for pre-training, and chooses nothing when told not to or without validation users', async () => {
    const fixed = { ...config, pooling: withRecency(config.pooling, 3) };
    expect(await chooseRecency(BOTH, criterion('newest'), weights, fixed, weights.tower, config.inner)).toEqual({ halfLife: 3, halfLifeHours: null, chosen: 'fixed' });
    expect(await chooseRecency({ positions: false, hours: true }, criterion('newest'), weights, config, weights.tower, config.inner)).toEqual({ halfLife: null, halfLifeHours: null, chosen: 'fixed' });
    expect(await chooseRecency(BOTH, null, weights, config, weights.tower, config.inner)).toEqual({ halfLife: null, halfLifeHours: null, chosen: 'fixed' });
  });

  it('weighs the on-device targets as the pooling weighs the window', () => {
    const history = [0, 1, 2].map((index, ts) => ({ index, type: 'view' as const, ts }));
    expect(historyTargets(history, withRecency(DEFAULT_POOLING, 1)).map((t) => t.weight)).toEqual([0.25, 0.5, 1]);
    expect(historyTargets(history, DEFAULT_POOLING).map((t) => t.weight)).toEqual([1, 1, 1]);
    expect(withRecency(withRecency(DEFAULT_POOLING, 1), null)).toEqual(DEFAULT_POOLING);
    expect(withRecency(DEFAULT_POOLING, 2, 12)).toEqual({ ...DEFAULT_POOLING, halfLifePositions: 2, halfLifeHours: 12 });
  });
});
