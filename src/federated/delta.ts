/**
 * Δ = θ_user − θ_meta over the shared tower only (w1, b1, w2, b2 in the wire order).
 * Item rows, the pooled history and any per-user vector are not parameters of this
 * function, so they cannot end up in an upload.
 */
import { LocalrecError } from '../errors';
import { flattenTower, type TowerParams } from '../model/weights';

export function towerDelta(user: TowerParams, meta: TowerParams): Float32Array {
  const u = flattenTower(user);
  const m = flattenTower(meta);
  if (u.length !== m.length) throw new LocalrecError('invalid-argument', `towers differ in size (${u.length} vs ${m.length})`);
  const out = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = u[i] - m[i];
  return out;
}

export function l2Norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/** θ + β·Δ on the flattened tower (the server's outer step). */
export function addScaled(theta: Float32Array, delta: Float32Array, beta: number): Float32Array {
  if (theta.length !== delta.length) throw new LocalrecError('invalid-argument', `vector sizes differ (${theta.length} vs ${delta.length})`);
  const out = new Float32Array(theta.length);
  for (let i = 0; i < theta.length; i++) out[i] = theta[i] + beta * delta[i];
  return out;
}
