/**
 * The simulated devices of one round: each runs the on-device inner loop
 * (ModelSession.adaptAndScore, what the Worker's personalise runs) from the round's model
 * on its own history, turns the result into the clipped, noised delta the Worker uploads
 * (clientUpdate, the federated client's own function), and encodes it on the wire as
 * the Worker does; the server side decodes it as the coordinator does.
 */
import type { NormalSource } from '../federated/clip';
import { clientUpdate, type UploadPrivacy } from '../federated/update';
import { decodeUpdate, encodeUpdate, type WireDtype } from '../federated/wire';
import type { IndexedEvent } from '../model/pooling';
import type { ModelSession } from '../model/session';
import type { TowerParams } from '../model/weights';
import type { ClientUpdate, DeviceData } from './sampling';

/** Devices adapted per batch (the towers are tiled per device, so memory grows with it). */
const BATCH = 64;

export interface Upload {
  /** The values the server decodes from the body. */
  values: Float32Array;
  bytes: number;
  /** ‖Δ‖₂ before clipping. */
  norm: number;
}

/** Each history's personalised tower, adapted from `meta` by the device's inner loop. */
export async function personalise(session: ModelSession, meta: TowerParams, histories: readonly (readonly IndexedEvent[])[]): Promise<TowerParams[]> {
  const out: TowerParams[] = [];
  for (let i = 0; i < histories.length; i += BATCH) {
    const { towers } = await session.adaptAndScore(meta, histories.slice(i, i + BATCH));
    out.push(...towers);
  }
  return out;
}

/** Each device's tower after its local update ('reptile': the inner loop on its support; 'fomaml': one meta step). */
export async function deviceTowers(session: ModelSession, meta: TowerParams, data: readonly DeviceData[], update: ClientUpdate, lr: number): Promise<TowerParams[]> {
  if (update === 'reptile') return personalise(session, meta, data.map((x) => x.support));
  const out: TowerParams[] = [];
  for (let i = 0; i < data.length; i += BATCH) out.push(...(await session.metaStepTowers(meta, data.slice(i, i + BATCH), lr)));
  return out;
}

/** What one device uploads and the server reads back. */
export function upload(user: TowerParams, meta: TowerParams, p: UploadPrivacy, normal: NormalSource, wire: { dtype: WireDtype; modelVersion: number; roundId: number }): Upload {
  const { delta, norm } = clientUpdate(user, meta, p, normal);
  const body = encodeUpdate({ ...wire, values: delta, maxNorm: p.localNoise > 0 ? undefined : p.clip });
  const values = decodeUpdate(body, { length: delta.length, dtypes: [wire.dtype] }).values;
  return { values, bytes: body.byteLength, norm };
}
