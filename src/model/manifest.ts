/**
 * The on-disk model format shared by the Node exporter and the browser loader.
 * A model directory holds `manifest.json`, `weights.bin` and `items.json`;
 * every file other than the manifest is listed in `files` with its SHA-256.
 * The manifest's types are inferred from its valibot schema (manifest-schema.ts), the
 * one definition; type-only re-exports keep valibot out of modules that only need types.
 */
export const MODEL_FORMAT = 'localrec-model' as const;
export const MODEL_FORMAT_VERSION = 1 as const;

export type TensorDtype = TensorEntry['dtype'];

/**
 * Every tensor a model file holds. Item tables are int8 per row (`.q`) with a float32
 * scale per row (`.scale`); everything else is float32.
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
] as const;
export type TensorName = (typeof TENSOR_NAMES)[number];

import type { TensorEntry } from './manifest-schema';
export type { ContentFeatureConfig, FileEntry, InnerLoopConfig, ModelManifest, PoolingConfig, TensorEntry } from './manifest-schema';
