/**
 * What one device uploads, as a pure function: Δ = θ_user − θ_meta over the shared tower,
 * clipped to the round's L2 bound, plus the round's local noise. The Worker's federated
 * client and the simulator (src/sim/device.ts) both call it, so the simulation
 * measures the upload the product sends.
 */
import type { TowerParams } from '../model/weights';
import { addGaussianNoise, clipL2, type NormalSource } from './clip';
import { towerDelta } from './delta';

export interface UploadPrivacy {
  /** L2 bound the delta is clipped to. */
  clip: number;
  /** Local Gaussian noise: std = localNoise · clip per value (0 = none). */
  localNoise: number;
}

/** Clips `delta` in place to the bound and adds the local noise; returns the norm before clipping. */
export function privatiseDelta(delta: Float32Array, p: UploadPrivacy, normal: NormalSource): number {
  const norm = clipL2(delta, p.clip);
  addGaussianNoise(delta, p.localNoise * p.clip, normal);
  return norm;
}

/** The clipped, locally noised tower delta of one personalisation. */
export function clientUpdate(user: TowerParams, meta: TowerParams, p: UploadPrivacy, normal: NormalSource): { delta: Float32Array; norm: number } {
  const delta = towerDelta(user, meta);
  const norm = privatiseDelta(delta, p, normal);
  return { delta, norm };
}
