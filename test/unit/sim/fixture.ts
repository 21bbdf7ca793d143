/** A tiny model and population for the simulator's tests: 30 items, d = 6, 24 clients. */
import { createRng } from '../../../src/data/random';
import type { UserSequence } from '../../../src/data/split';
import { ModelSession } from '../../../src/model/session';
import { DEFAULT_POOLING, type ModelConfig, type ModelWeights, type TowerParams } from '../../../src/model/weights';
import type { SimEnv, SimSettings } from '../../../src/sim/round';

export const N_ITEMS = 30;
export function tinyModel(seed = 3, inner = { steps: 5, lr: 0.05, debias: true }, d = 6, hidden = 10): { weights: ModelWeights; config: ModelConfig } {
  const rng = createRng(seed);
  const arr = (len: number, scale: number) => Float32Array.from({ length: len }, () => rng.normal() * scale);
  const tower: TowerParams = { w1: arr(d * hidden, 0.4), b1: arr(hidden, 0.1), w2: arr(hidden * d, 0.3), b2: arr(d, 0.1) };
  const weights: ModelWeights = { n: N_ITEMS, d, hidden, itemIn: arr(N_ITEMS * d, 0.5), itemOut: arr(N_ITEMS * d, 0.5), itemBias: arr(N_ITEMS, 0.2), tower, contentProj: new Float32Array(0) };
  return { weights, config: { pooling: { ...DEFAULT_POOLING, maxItems: 8 }, inner, content: { buckets: 4 } } };
}

/** Clients whose histories stay within one of three taste groups of 10 items. */
export function tinyClients(count = 24, seed = 9): UserSequence[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, u) => {
    const group = u % 3;
    const len = 3 + rng.int(8);
    return { user: String(u + 1), events: Array.from({ length: len }, (_, j) => ({ index: group * 10 + rng.int(10), type: 'view' as const, ts: j })) };
  });
}

export const SETTINGS: SimSettings = {
  clientsPerRound: 8,
  clip: 0.5,
  localNoise: 0,
  centralNoise: 1,
  aggregator: 'mean',
  trim: 0.1,
  serverLr: 1,
  dtype: 'int8',
  supportSizes: [1, 3, 5],
  clientUpdate: 'reptile',
  queryMax: 5,
  clientLr: 0.05,
};

export function tinyEnv(settings: Partial<SimSettings> = {}, inner?: { steps: number; lr: number; debias: boolean }, dims: [number, number] = [6, 10]): SimEnv {
  const { weights, config } = tinyModel(3, inner, ...dims);
  return { session: new ModelSession(weights, config), clients: tinyClients(), settings: { ...SETTINGS, ...settings } };
}
