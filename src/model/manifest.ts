/**
 * The on-disk model format shared by the Node exporter and the browser loader.
 * A model directory holds `manifest.json`, `weights.bin` and `items.json`;
 * every file other than the manifest is listed in `files` with its SHA-256.
 */
export const MODEL_FORMAT = 'localrec-model' as const;
export const MODEL_FORMAT_VERSION = 1 as const;

export type TensorDtype = 'float32' | 'int8';

/** One tensor stored in `weights.bin`. Offsets are in bytes and 4-byte aligned. */
export interface TensorEntry {
  name: TensorName;
  dtype: TensorDtype;
  shape: number[];
  byteOffset: number;
  byteLength: number;
}

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

export interface FileEntry {
  path: string;
  bytes: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** How the user tower pools recent interactions; identical in Node and the browser. */
export interface PoolingConfig {
  /** Only the most recent `maxItems` interactions are pooled. */
  maxItems: number;
  /** Weight of each event type in the pooled mean. */
  eventWeights: { view: number; cart: number; purchase: number; rating: number };
  /** Recency half-life in days; `null` means a plain (event-weighted) mean. */
  halfLifeDays: number | null;
}

/** The on-device inner loop: `steps` plain SGD steps at rate `lr` on the user tower. */
export interface InnerLoopConfig {
  steps: number;
  lr: number;
  /** Leave the item bias (≈ log-popularity) out of the inner loss: a logQ-corrected loss. */
  debias?: boolean;
}

/** How content features are hashed for items the model never saw in training. */
export interface ContentFeatureConfig {
  /** Number of hash buckets (rows of `content.proj`). */
  buckets: number;
}

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  formatVersion: typeof MODEL_FORMAT_VERSION;
  name: string;
  /** Monotone model version; personal weights are tagged with it. */
  modelVersion: number;
  createdAt: string;
  dims: {
    items: number;
    /** Item embedding size. */
    d: number;
    /** Hidden width of the user-tower MLP. */
    hidden: number;
  };
  pooling: PoolingConfig;
  inner: InnerLoopConfig;
  content: ContentFeatureConfig;
  /** Item ids in table order: row i of every item tensor belongs to itemIds[i]. */
  itemIds: string[];
  tensors: TensorEntry[];
  files: FileEntry[];
  /** Free-form training facts (data set, seeds, metrics) for people; not read by the runtime. */
  training?: Record<string, unknown>;
}
