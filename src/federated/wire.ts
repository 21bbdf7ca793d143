/**
 * The upload body: one tower delta in a compact binary form (never JSON arrays).
 *
 * Layout, little-endian, 24-byte header then the body:
 *   0  u8[4] magic "LRFD"
 *   4  u8    wire format version (WIRE_VERSION)
 *   5  u8    dtype: 0 = float32, 1 = int8 with one float32 scale
 *   6  u16   reserved, 0
 *   8  u32   model version the delta was computed against
 *  12  u32   round id
 *  16  u32   number of values (the tower size)
 *  20  f32   scale (int8: value = q · scale; float32: 1)
 *  24  body: the flattened delta in the fixed order w1, b1, w2, b2 (float32 or int8)
 *
 * The header holds nothing about the device, the shopper or their items: only what the
 * server needs to place the update in a round and check its shape.
 */
import { LocalrecError } from '../errors';

export const WIRE_MAGIC = 'LRFD';
export const WIRE_VERSION = 1;
export const HEADER_BYTES = 24;
export const WIRE_DTYPES = ['float32', 'int8'] as const;
export type WireDtype = (typeof WIRE_DTYPES)[number];

export interface WireUpdate {
  modelVersion: number;
  roundId: number;
  /** The delta, already dequantised for int8 bodies. */
  values: Float32Array;
  dtype: WireDtype;
}

/** What the server expects of a body; a mismatch is a typed rejection. */
export interface WireExpectation {
  length: number;
  dtypes: readonly WireDtype[];
}

export function encodedSize(length: number, dtype: WireDtype): number {
  return HEADER_BYTES + length * (dtype === 'float32' ? 4 : 1);
}

/**
 * Symmetric int8 quantisation with one scale for the whole vector. The scale is then
 * shrunk when needed so that the dequantised vector's L2 norm never exceeds `maxNorm`
 * (rounding could otherwise push a clipped delta just over the server's bound).
 */
export function quantiseDelta(values: Float32Array, maxNorm = Infinity): { q: Int8Array; scale: number } {
  let max = 0;
  for (const x of values) max = Math.max(max, Math.abs(x));
  let scale = max > 0 ? max / 127 : 1;
  const q = new Int8Array(values.length);
  let sq = 0;
  for (let i = 0; i < values.length; i++) {
    q[i] = Math.max(-127, Math.min(127, Math.round(values[i] / scale)));
    sq += q[i] * q[i];
  }
  const norm = Math.sqrt(sq) * scale;
  if (norm > maxNorm && norm > 0) scale = Math.fround((scale * maxNorm) / norm) * (1 - 1e-6);
  return { q, scale: Math.fround(scale) };
}

export function encodeUpdate(u: { modelVersion: number; roundId: number; values: Float32Array; dtype: WireDtype; maxNorm?: number }): Uint8Array {
  for (const [k, x] of [['modelVersion', u.modelVersion], ['roundId', u.roundId]] as const) {
    if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new LocalrecError('invalid-argument', `${k} must be a u32, got ${x}`, { field: k });
  }
  const out = new Uint8Array(encodedSize(u.values.length, u.dtype));
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = WIRE_MAGIC.charCodeAt(i);
  view.setUint8(4, WIRE_VERSION);
  view.setUint8(5, u.dtype === 'float32' ? 0 : 1);
  view.setUint32(8, u.modelVersion, true);
  view.setUint32(12, u.roundId, true);
  view.setUint32(16, u.values.length, true);
  if (u.dtype === 'float32') {
    view.setFloat32(20, 1, true);
    for (let i = 0; i < u.values.length; i++) view.setFloat32(HEADER_BYTES + 4 * i, u.values[i], true);
  } else {
    const { q, scale } = quantiseDelta(u.values, u.maxNorm);
    view.setFloat32(20, scale, true);
    out.set(new Uint8Array(q.buffer), HEADER_BYTES);
  }
  return out;
}

/** Reads only the header: enough to check round and version before looking at values. */
export function decodeHeader(bytes: Uint8Array): { modelVersion: number; roundId: number; length: number; dtype: WireDtype; scale: number } {
  if (bytes.byteLength < HEADER_BYTES) throw new LocalrecError('update-malformed', `body has ${bytes.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== WIRE_MAGIC.charCodeAt(i)) throw new LocalrecError('update-malformed', 'body does not start with the update magic');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(4);
  if (version !== WIRE_VERSION) throw new LocalrecError('update-malformed', `wire format version ${version} is not supported`, { version });
  const code = view.getUint8(5);
  if (code > 1) throw new LocalrecError('update-wrong-dtype', `dtype code ${code} is unknown`, { dtype: code });
  return {
    dtype: code === 0 ? 'float32' : 'int8',
    modelVersion: view.getUint32(8, true),
    roundId: view.getUint32(12, true),
    length: view.getUint32(16, true),
    scale: view.getFloat32(20, true),
  };
}

/** Decodes and checks shape, dtype and finiteness. The norm bound is the round's business (see round.ts). */
export function decodeUpdate(bytes: Uint8Array, expect: WireExpectation): WireUpdate {
  const h = decodeHeader(bytes);
  if (!expect.dtypes.includes(h.dtype)) throw new LocalrecError('update-wrong-dtype', `dtype ${h.dtype} is not accepted in this round`, { dtype: h.dtype });
  if (h.length !== expect.length) throw new LocalrecError('update-wrong-shape', `delta has ${h.length} values, the tower has ${expect.length}`, { expected: expect.length, actual: h.length });
  if (bytes.byteLength !== encodedSize(h.length, h.dtype)) {
    throw new LocalrecError('update-wrong-shape', `body has ${bytes.byteLength} bytes, a ${h.dtype} delta of ${h.length} values has ${encodedSize(h.length, h.dtype)}`, {
      expected: encodedSize(h.length, h.dtype),
      actual: bytes.byteLength,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(h.length);
  if (h.dtype === 'float32') {
    for (let i = 0; i < h.length; i++) values[i] = view.getFloat32(HEADER_BYTES + 4 * i, true);
  } else {
    if (!Number.isFinite(h.scale) || h.scale < 0) throw new LocalrecError('update-non-finite', 'int8 scale is not a finite non-negative number');
    for (let i = 0; i < h.length; i++) values[i] = view.getInt8(HEADER_BYTES + i) * h.scale;
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new LocalrecError('update-non-finite', `value ${i} is not finite`, { index: i });
  }
  return { modelVersion: h.modelVersion, roundId: h.roundId, values, dtype: h.dtype };
}
