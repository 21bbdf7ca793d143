/**
 * The on-disk model format shared by the Node exporter and the browser loader.
 * A model directory holds `manifest.json`, `weights.bin` and `items.json`;
 * every file other than the manifest is listed in `files` with its SHA-256.
 * The manifest's types are inferred from its valibot schema (manifest-schema.ts), the
 * one definition; type-only re-exports keep valibot out of modules that only need types.
 */
export const MODEL_FORMAT = 'localrec-model' as const;
/** The version this SDK writes. */
export const MODEL_FORMAT_VERSION = 2 as const;
/** Versions this SDK reads: 1 (int8 item rows), 2 (4-bit item rows, 8-bit scales and bias, int8 content projection). */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];

export type TensorDtype = TensorEntry['dtype'];

/**
 * Every tensor a model file may hold. Version 1: item tables int8 per row (`.q`) with a
 * float32 scale per row (`.scale`), everything else float32. Version 2: item tables as
 * 4-bit codes (`.q4`, uint8 [n, ceil(d/2)], low nibble first) into a 16-level codebook
 * (`.codebook`), times a per-row scale stored in 8 bits on a log scale (`.scale8`, with
 * `.scaleRange` = [lo, hi] of its logarithm); the item bias in 8 bits (`itemBias.q8`,
 * `itemBias.range`); the content projection int8 per row (`content.q`, `content.scale`);
 * the tower float32.
 */
export const TENSOR_NAMES = [
  'itemIn.q',
  'itemIn.scale',
  'itemOut.q',
  'itemOut.scale',
  'itemBias',
  'tower.w1',
  'tower.b1',
  'tower.w2',
  'tower.b2',
  'content.proj',
  'itemIn.q4',
  'itemIn.codebook',
  'itemIn.scale8',
  'itemIn.scaleRange',
  'itemOut.q4',
  'itemOut.codebook',
  'itemOut.scale8',
  'itemOut.scaleRange',
  'itemBias.q8',
  'itemBias.range',
  'content.q',
  'content.scale',
] as const;
export type TensorName = (typeof TENSOR_NAMES)[number];

import type { TensorEntry } from './manifest-schema';
export type { ContentFeatureConfig, FileEntry, InnerLoopConfig, ModelManifest, PoolingConfig, TensorEntry } from './manifest-schema';
