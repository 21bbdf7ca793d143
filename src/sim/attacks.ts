/**
 * What malicious clients send. Every upload must pass the server's norm check
 * (normBound), so the strongest delta a client can get accepted has norm exactly C:
 * - 'flip': its honest delta, sign-flipped and scaled (by `scale`, then cut to C);
 * - 'push': a delta that raises one item's score: the device's inner loop run on the
 *   client's own pooled history with that item as the only target, scaled up to C.
 */
import * as tf from '@tensorflow/tfjs-core';
import { l2Norm, towerDelta } from '../federated/delta';
import { adaptTowers, disposeTower, targetMatrix } from '../model/inner-loop';
import { disposeInnerInputs, innerInputs } from '../model/inner-inputs';
import type { IndexedEvent } from '../model/pooling';
import type { ModelSession } from '../model/session';
import { tileTower, untileTower } from '../model/tower';
import type { TowerParams } from '../model/weights';

export const ATTACKS = ['flip', 'push'] as const;
export type Attack = (typeof ATTACKS)[number];

/** Scales v in place to L2 norm `norm` (a zero vector stays zero). */
export function scaleToNorm(v: Float32Array, norm: number): void {
  const n = l2Norm(v);
  if (n === 0) return;
  for (let i = 0; i < v.length; i++) v[i] *= norm / n;
}

/** −scale·Δ, cut to the bound. */
export function flippedDelta(honest: Float32Array, scale: number, clip: number): Float32Array {
  const out = honest.map((x) => -scale * x);
  if (l2Norm(out) > clip) scaleToNorm(out, clip);
  return out;
}

/** A delta that pushes `item` for users like this one, at the bound. */
export async function pushDelta(session: ModelSession, meta: TowerParams, history: readonly IndexedEvent[], item: number, clip: number): Promise<Float32Array> {
  const { d, hidden, n } = session.weights;
  const inputs = innerInputs([history], session.weights.itemIn, d, n, session.config.pooling);
  const targets = targetMatrix([[{ index: item, weight: 1 }]], n);
  const tiled = tileTower(meta, d, hidden, 1);
  const adapted = adaptTowers(tiled, inputs.pooled, targets, session.items, session.config.inner);
  const [tower] = await untileTower(adapted, d, hidden);
  disposeInnerInputs(inputs);
  tf.dispose(targets);
  disposeTower(tiled);
  disposeTower(adapted);
  const delta = towerDelta(tower, meta);
  scaleToNorm(delta, clip);
  return delta;
}
