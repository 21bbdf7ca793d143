import * as v from 'valibot';
import { MODEL_FORMAT, TENSOR_NAMES } from './manifest';

const nonNegInt = v.pipe(v.number(), v.integer(), v.minValue(0));
const posInt = v.pipe(v.number(), v.integer(), v.minValue(1));

/** Runtime schema of manifest.json; the format version is checked separately to give its own error. */
export const ManifestSchema = v.object({
  format: v.literal(MODEL_FORMAT),
  formatVersion: v.number(),
  name: v.pipe(v.string(), v.minLength(1)),
  modelVersion: nonNegInt,
  createdAt: v.string(),
  dims: v.object({ items: posInt, d: posInt, hidden: posInt }),
  pooling: v.object({
    maxItems: posInt,
    eventWeights: v.object({ view: v.number(), cart: v.number(), purchase: v.number(), rating: v.number() }),
    halfLifeDays: v.nullable(v.pipe(v.number(), v.minValue(0))),
  }),
  inner: v.object({ steps: nonNegInt, lr: v.pipe(v.number(), v.minValue(0)), debias: v.optional(v.boolean()) }),
  content: v.object({ buckets: posInt }),
  itemIds: v.array(v.string()),
  tensors: v.array(
    v.object({
      name: v.picklist(TENSOR_NAMES),
      dtype: v.picklist(['float32', 'int8']),
      shape: v.array(posInt),
      byteOffset: nonNegInt,
      byteLength: nonNegInt,
    }),
  ),
  files: v.array(
    v.object({
      path: v.pipe(v.string(), v.regex(/^[\w.-]+$/)),
      bytes: nonNegInt,
      sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
    }),
  ),
  training: v.optional(v.record(v.string(), v.unknown())),
});
