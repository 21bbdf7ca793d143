/**
 * What a format version is: how a model's float weights become tensors of `weights.bin`
 * (encode) and back (decode). Each version lives in its own module (format-v1.ts,
 * format-v2.ts) holding both directions, so a new version is one new module; format.ts
 * picks the module by the manifest's `formatVersion`.
 */
import type { TensorName } from './manifest';
import type { ModelWeights, TowerParams } from './weights';

export type TensorData = Float32Array | Int8Array | Uint8Array;
/** One tensor to write: name, values, shape. */
export type TensorPart = [TensorName, TensorData, number[]];

/** Reads one tensor of `weights.bin` checked against the manifest: name, shape and dtype. */
export interface TensorReader {
  f32(name: TensorName, shape: number[]): Float32Array;
  i8(name: TensorName, shape: number[]): Int8Array;
  u8(name: TensorName, shape: number[]): Uint8Array;
}

export interface ModelDims {
  n: number;
  d: number;
  hidden: number;
  /** Rows of the content projection. */
  buckets: number;
}

/**
 * The tensors in file order (the order is part of the format: it fixes the bytes). Encode
 * and decode are separate exports so a reader (the Worker) bundles no quantiser.
 */
export type EncodeLayout = (w: ModelWeights, buckets: number) => TensorPart[];
export type DecodeLayout = (read: TensorReader, dims: ModelDims) => ModelWeights;

/** The tower is float32 in every version. */
export function towerParts(w: ModelWeights): TensorPart[] {
  return [
    ['tower.w1', w.tower.w1, [w.d, w.hidden]],
    ['tower.b1', w.tower.b1, [w.hidden]],
    ['tower.w2', w.tower.w2, [w.hidden, w.d]],
    ['tower.b2', w.tower.b2, [w.d]],
  ];
}

export function readTower(read: TensorReader, { d, hidden }: ModelDims): TowerParams {
  return { w1: read.f32('tower.w1', [d, hidden]), b1: read.f32('tower.b1', [hidden]), w2: read.f32('tower.w2', [hidden, d]), b2: read.f32('tower.b2', [d]) };
}
