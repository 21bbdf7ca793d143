/**
 * What malicious clients send. Every upload must pass the server's norm check
 * (normBound), so the strongest delta a client can get accepted has norm exactly C:
 * - 'scale': its honest delta scaled up (by `scale`, then cut to C): a boosted update;
 * - 'flip': its honest delta, sign-flipped and scaled (by `scale`, then cut to C);
 * - 'push': a delta that raises one item's score: the device's inner loop run on the
 *   client's own pooled history with that item as the only target, scaled up to C.
 */
import { l2Norm, towerDelta } from '../federated/delta';
import { innerInputs } from '../model/inner-inputs';
import { adaptTower } from '../model/plain-tower';
import type { IndexedEvent } from '../model/pooling';
import type { ModelSession } from '../model/session';
import type { TowerParams } from '../model/weights';

export const ATTACKS = ['scale', 'flip', 'push'] as const;
export type Attack = (typeof ATTACKS)[number];

/** Scales v in place to L2 norm `norm` (a zero vector stays zero). */
export function scaleToNorm(v: Float32Array, norm: number): void {
  const n = l2Norm(v);
  if (n === 0) return;
  for (let i = 0; i < v.length; i++) v[i] *= norm / n;
}

/** factor·Δ, cut to the bound ('scale': factor = scale; 'flip': factor = −scale). */
export function scaledDelta(honest: Float32Array, factor: number, clip: number): Float32Array {
  const out = honest.map((x) => factor * x);
  if (l2Norm(out) > clip) scaleToNorm(out, clip);
  return out;
}

/** A delta that pushes `item` for users like this one, at the bound. */
export async function pushDelta(session: ModelSession, meta: TowerParams, history: readonly IndexedEvent[], item: number, clip: number): Promise<Float32Array> {
  const { pooled } = innerInputs([history], session.weights.itemIn, session.weights.d, session.config.pooling);
  const tower = adaptTower(meta, pooled, [{ index: item, weight: 1 }], session.items, session.config.inner);
  const delta = towerDelta(tower, meta);
  scaleToNorm(delta, clip);
  return delta;
}
