/**
 * The on-disk model format shared by the Node exporter and the browser loader.
 * A model directory holds `manifest.json`, `weights.bin` and `items.json`;
 * every file other than the manifest is listed in `files` with its SHA-256.
 * The manifest's types are inferred from its valibot schema below, the one definition
 * (type-only importers get no valibot: type imports are erased).
 */
import * as v from 'valibot';

export const MODEL_FORMAT = 'localrec-model' as const;
/** The version this SDK writes. */
export const MODEL_FORMAT_VERSION = 2 as const;
/** Versions this SDK reads: 1 (int8 item rows), 2 (4-bit item rows, 8-bit scales and bias, int8 content projection). */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];

export type TensorDtype = TensorEntry['dtype'];

/** Every tensor a model file may hold; format-v1.ts and format-v2.ts say which each version writes and how. */
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

const nonNegInt = v.pipe(v.number(), v.integer(), v.minValue(0));
const posInt = v.pipe(v.number(), v.integer(), v.minValue(1));

/** One tensor stored in `weights.bin`. Offsets are in bytes and 4-byte aligned. */
const TensorEntrySchema = v.object({
  name: v.picklist(TENSOR_NAMES),
  dtype: v.picklist(['float32', 'int8', 'uint8']),
  shape: v.array(posInt),
  byteOffset: nonNegInt,
  byteLength: nonNegInt,
});

const FileEntrySchema = v.object({
  path: v.pipe(v.string(), v.regex(/^[\w.-]+$/)),
  bytes: nonNegInt,
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
});

const halfLife = v.nullable(v.number());

/**
 * How the user tower pools recent interactions; identical in Node and the browser. Each
 * half-life names its unit: `halfLifeHours` (time before the newest interaction) and
 * `halfLifePositions` (interactions before the newest), `null` for none. Manifests written
 * before those names carry `halfLifeDays` (hours ÷ 24) and an optional `recencyHalfLife`
 * (positions); they read as the same half-lives, so models already published and cached
 * keep loading with the same meaning. The format version stays: it names the tensor
 * layout (format-v1.ts, format-v2.ts), and fields have always been added to the manifest
 * without a new version.
 */
const PoolingSchema = v.pipe(
  v.object({
    /** Only the most recent `maxItems` interactions are pooled. */
    maxItems: posInt,
    /** Weight of each event type in the pooled mean. */
    eventWeights: v.object({ view: v.number(), cart: v.number(), purchase: v.number(), rating: v.number() }),
    halfLifeHours: v.optional(halfLife),
    halfLifePositions: v.optional(halfLife),
    /** Before the rename: the time half-life in days. */
    halfLifeDays: v.optional(v.nullable(v.pipe(v.number(), v.minValue(0)))),
    /** Before the rename: the half-life in positions, absent for none. */
    recencyHalfLife: v.optional(v.pipe(v.number(), v.gtValue(0))),
  }),
  v.check(
    (p) => ('halfLifeDays' in p || 'recencyHalfLife' in p ? 'halfLifeDays' in p && !('halfLifeHours' in p) && !('halfLifePositions' in p) : 'halfLifeHours' in p && 'halfLifePositions' in p),
    'expected halfLifeHours and halfLifePositions (or, in a manifest written before them, halfLifeDays and an optional recencyHalfLife), not a mix',
  ),
  v.transform(({ halfLifeHours, halfLifePositions, halfLifeDays, recencyHalfLife, ...rest }) => ({
    ...rest,
    // Days × 24 gives back exactly the hours the trainer wrote as hours / 24 (every value on its hours axis); checked by half-life-names.test.ts.
    halfLifeHours: halfLifeHours !== undefined ? halfLifeHours : halfLifeDays == null ? null : halfLifeDays * 24,
    halfLifePositions: halfLifePositions !== undefined ? halfLifePositions : (recencyHalfLife ?? null),
  })),
);

/** The on-device inner loop: `steps` plain SGD steps at rate `lr` on the user tower. */
const InnerLoopSchema = v.object({
  steps: nonNegInt,
  lr: v.pipe(v.number(), v.minValue(0)),
  /** Leave the item bias (≈ log-popularity) out of the inner loss: a logQ-corrected loss. */
  debias: v.optional(v.boolean()),
});

/** How content features are hashed for items the model never saw in training. */
const ContentSchema = v.object({
  /** Number of hash buckets (rows of `content.proj`). */
  buckets: posInt,
});

/**
 * Runtime schema of manifest.json, and (through v.InferOutput) the manifest's types; the
 * format version is checked separately to give its own error.
 */
export const ManifestSchema = v.object({
  format: v.literal(MODEL_FORMAT),
  formatVersion: v.number(),
  name: v.pipe(v.string(), v.minLength(1)),
  /** Monotone model version; personal weights are tagged with it. */
  modelVersion: nonNegInt,
  createdAt: v.string(),
  /** items; d = item embedding size; hidden = width of the user-tower MLP. */
  dims: v.object({ items: posInt, d: posInt, hidden: posInt }),
  pooling: PoolingSchema,
  inner: InnerLoopSchema,
  content: ContentSchema,
  /** Item ids in table order: row i of every item tensor belongs to itemIds[i]. */
  itemIds: v.array(v.string()),
  tensors: v.array(TensorEntrySchema),
  files: v.array(FileEntrySchema),
  /** Free-form training facts (data set, seeds, metrics) for people; not read by the runtime. */
  training: v.optional(v.record(v.string(), v.unknown())),
});

export type ModelManifest = v.InferOutput<typeof ManifestSchema>;
export type TensorEntry = v.InferOutput<typeof TensorEntrySchema>;
export type FileEntry = v.InferOutput<typeof FileEntrySchema>;
export type PoolingConfig = v.InferOutput<typeof PoolingSchema>;
export type InnerLoopConfig = v.InferOutput<typeof InnerLoopSchema>;
export type ContentFeatureConfig = v.InferOutput<typeof ContentSchema>;
