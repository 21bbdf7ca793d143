import * as v from 'valibot';
import { itemMetaProblem } from '../data/item-meta';
import type { ItemMeta } from '../data/types';
import { LocalrecError } from '../errors';
import {
  ManifestSchema,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  READABLE_FORMAT_VERSIONS,
  type FileEntry,
  type ModelManifest,
  type TensorEntry,
  type TensorName,
} from './manifest';
import { checkModelSemantics, checkWeightValues } from './bounds';
import type { DecodeLayout, EncodeLayout, TensorData, TensorReader } from './format-layout';
import { decodeV1, encodeV1 } from './format-v1';
import { decodeV2, encodeV2 } from './format-v2';
import { sha256Hex } from './sha256';
import type { ModelConfig, ModelWeights } from './weights';

export const WEIGHTS_FILE = 'weights.bin';
export const ITEMS_FILE = 'items.json';

/** A model as the runtime uses it: the manifest, float weights and the catalogue for display. */
export interface LoadedModel {
  manifest: ModelManifest;
  weights: ModelWeights;
  config: ModelConfig;
  items: ItemMeta[];
}

export interface ModelToEncode {
  name: string;
  modelVersion: number;
  weights: ModelWeights;
  config: ModelConfig;
  /** Catalogue in table order (items[i] is row i). */
  items: ItemMeta[];
  training?: Record<string, unknown>;
}

export interface EncodedModel {
  manifest: ModelManifest;
  files: Record<string, Uint8Array>;
}

/** Each format version's tensor layout, both directions in one module per version. */
const ENCODERS: Record<1 | 2, EncodeLayout> = { 1: encodeV1, 2: encodeV2 };
const DECODERS: Record<1 | 2, DecodeLayout> = { 1: decodeV1, 2: decodeV2 };

const DTYPE = (data: TensorData) => (data instanceof Int8Array ? 'int8' : data instanceof Uint8Array ? 'uint8' : 'float32');

/**
 * Serialises a model, every file hashed. Writes format version 2 (4-bit item rows, see
 * format-v2.ts) unless `formatVersion: 1` asks for the int8 layout older SDKs read.
 */
export async function encodeModel(m: ModelToEncode, { formatVersion = MODEL_FORMAT_VERSION }: { formatVersion?: 1 | 2 } = {}): Promise<EncodedModel> {
  const { weights: w } = m;
  if (m.items.length !== w.n) throw new LocalrecError('invalid-argument', `items has ${m.items.length} entries, weights have ${w.n} rows`, { items: m.items.length, rows: w.n });
  m.items.forEach((it, index) => {
    const problem = itemMetaProblem(it);
    if (problem) throw new LocalrecError('invalid-argument', `item ${index} (${it.id}) ${problem}`, { index });
  });
  const parts = ENCODERS[formatVersion](w, m.config.content.buckets);
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const [name, data, shape] of parts) {
    tensors.push({ name, dtype: DTYPE(data), shape, byteOffset: offset, byteLength: data.byteLength });
    offset += Math.ceil(data.byteLength / 4) * 4;
  }
  const bin = new Uint8Array(offset);
  parts.forEach(([, data], i) => bin.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), tensors[i].byteOffset));
  const itemsJson = new TextEncoder().encode(JSON.stringify(m.items));
  const files: Record<string, Uint8Array> = { [WEIGHTS_FILE]: bin, [ITEMS_FILE]: itemsJson };
  const entries: FileEntry[] = [];
  for (const [path, bytes] of Object.entries(files)) entries.push({ path, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    formatVersion,
    name: m.name,
    modelVersion: m.modelVersion,
    createdAt: new Date().toISOString(),
    dims: { items: w.n, d: w.d, hidden: w.hidden },
    pooling: m.config.pooling,
    inner: m.config.inner,
    content: m.config.content,
    itemIds: m.items.map((i) => i.id),
    tensors,
    files: entries,
    ...(m.training ? { training: m.training } : {}),
  };
  return { manifest, files };
}

/**
 * A new version of an encoded model that differs only in its tower: every other tensor
 * keeps its bytes (quantised item tables are not quantised again, which for 4-bit rows
 * would drift round after round), items.json is reused, hashes and facts are renewed.
 */
export async function withTower(
  prev: EncodedModel,
  tower: ModelWeights['tower'],
  facts: { modelVersion: number; training?: Record<string, unknown> },
): Promise<EncodedModel> {
  const bin = prev.files[WEIGHTS_FILE].slice();
  for (const key of ['w1', 'b1', 'w2', 'b2'] as const) {
    const t = prev.manifest.tensors.find((e) => e.name === `tower.${key}`);
    const values = tower[key];
    if (!t || t.dtype !== 'float32' || t.byteLength !== values.byteLength) throw new LocalrecError('invalid-argument', `tower.${key} does not fit the model's tensor`, { tensor: `tower.${key}` });
    bin.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), t.byteOffset);
  }
  const files: Record<string, Uint8Array> = { ...prev.files, [WEIGHTS_FILE]: bin };
  const entries: FileEntry[] = [];
  for (const f of prev.manifest.files) entries.push({ path: f.path, bytes: files[f.path].byteLength, sha256: await sha256Hex(files[f.path]) });
  const { training: _previous, ...rest } = prev.manifest;
  const manifest: ModelManifest = { ...rest, modelVersion: facts.modelVersion, createdAt: new Date().toISOString(), files: entries, ...(facts.training ? { training: facts.training } : {}) };
  return { manifest, files };
}

/** Checks a parsed manifest.json: schema, format version, internal consistency. */
export function parseManifest(json: unknown): ModelManifest {
  const r = v.safeParse(ManifestSchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new LocalrecError('model-format', `manifest.json is invalid at "${path}": ${issue.message}`, { path });
  }
  const m = r.output;
  if (!READABLE_FORMAT_VERSIONS.includes(m.formatVersion)) {
    throw new LocalrecError(
      'model-version-unsupported',
      `model format version ${m.formatVersion} is not supported (this SDK reads versions ${READABLE_FORMAT_VERSIONS.join(' and ')})`,
      { formatVersion: m.formatVersion },
    );
  }
  if (m.itemIds.length !== m.dims.items) {
    throw new LocalrecError('model-format', `manifest lists ${m.itemIds.length} item ids but dims.items is ${m.dims.items}`);
  }
  if (new Set(m.itemIds).size !== m.itemIds.length) throw new LocalrecError('model-format', 'manifest item ids are not unique');
  for (const path of [WEIGHTS_FILE, ITEMS_FILE]) {
    if (!m.files.some((f) => f.path === path)) throw new LocalrecError('model-format', `manifest does not list ${path}`, { path });
  }
  // Format is not enough: settings and byte ranges must be within the shared bounds (bounds.ts).
  checkModelSemantics(m);
  return m as ModelManifest;
}

/** Throws `model-hash-mismatch` unless `bytes` are exactly the file the manifest describes. */
export async function verifyFile(manifest: ModelManifest, path: string, bytes: Uint8Array): Promise<void> {
  const entry = manifest.files.find((f) => f.path === path);
  if (!entry) throw new LocalrecError('model-format', `manifest does not list ${path}`, { path });
  if (bytes.byteLength !== entry.bytes) {
    throw new LocalrecError('model-hash-mismatch', `${path} has ${bytes.byteLength} bytes, manifest says ${entry.bytes} (truncated or wrong file?)`, {
      path,
      expected: entry.bytes,
      actual: bytes.byteLength,
    });
  }
  const hash = await sha256Hex(bytes);
  if (hash !== entry.sha256) {
    throw new LocalrecError('model-hash-mismatch', `${path} SHA-256 is ${hash}, manifest says ${entry.sha256}`, { path, expected: entry.sha256, actual: hash });
  }
}

function tensorView(manifest: ModelManifest, bin: Uint8Array, name: TensorName, shape: number[]): TensorData {
  const t = manifest.tensors.find((e) => e.name === name);
  if (!t) throw new LocalrecError('model-format', `weights are missing tensor ${name}`, { tensor: name });
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new LocalrecError('model-format', `tensor ${name} has shape [${t.shape}], expected [${shape}]`, { tensor: name });
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const bytesPer = t.dtype === 'float32' ? 4 : 1;
  if (t.byteLength !== count * bytesPer || t.byteOffset % 4 !== 0 || t.byteOffset + t.byteLength > bin.byteLength) {
    throw new LocalrecError('model-format', `tensor ${name} does not fit its byte range in ${WEIGHTS_FILE}`, { tensor: name });
  }
  // Copy so the result is aligned and independent of the download buffer.
  const slice = bin.slice(t.byteOffset, t.byteOffset + t.byteLength);
  return t.dtype === 'int8' ? new Int8Array(slice.buffer) : t.dtype === 'uint8' ? slice : new Float32Array(slice.buffer);
}

/**
 * JSON.parse gives every occurrence of a string its own copy: at 100k items that is
 * megabytes of duplicate ids, category and brand names held for the life of the Worker.
 * Ids become the manifest's (equal, checked above); categories and brands one copy each.
 */
function shareStrings(items: ItemMeta[], ids: readonly string[]): void {
  const seen = new Map<string, string>();
  const one = (s: string) => {
    const prev = seen.get(s);
    if (prev !== undefined) return prev;
    seen.set(s, s);
    return s;
  };
  items.forEach((it, i) => {
    it.id = ids[i];
    it.categories = it.categories.map(one);
    if (typeof it.brand === 'string') it.brand = one(it.brand);
  });
}

/** Verifies every file against the manifest and rebuilds float weights. Never returns a partial model. */
export async function decodeModel(manifestJson: unknown, files: Record<string, Uint8Array>): Promise<LoadedModel> {
  const manifest = parseManifest(manifestJson);
  for (const f of manifest.files) {
    const bytes = files[f.path];
    if (!bytes) throw new LocalrecError('model-format', `file ${f.path} is missing`, { path: f.path });
    await verifyFile(manifest, f.path, bytes);
  }
  const weights = decodeWeights(manifest, files[WEIGHTS_FILE]);
  const items = decodeItems(manifest, files[ITEMS_FILE]);
  return { manifest, weights, config: { pooling: manifest.pooling, inner: manifest.inner, content: manifest.content }, items };
}

/**
 * Only a model's tower, from its manifest and weights.bin (verified against the manifest like
 * any model file): what a device needs of an older version to report how it did (quality.ts).
 */
export async function decodeTower(manifestJson: unknown, bin: Uint8Array): Promise<{ manifest: ModelManifest; tower: ModelWeights['tower'] }> {
  const manifest = parseManifest(manifestJson);
  await verifyFile(manifest, WEIGHTS_FILE, bin);
  return { manifest, tower: decodeWeights(manifest, bin).tower };
}

/** weights.bin as float tables (either format version), every value within the model bounds. */
function decodeWeights(manifest: ModelManifest, bin: Uint8Array): ModelWeights {
  const { items: n, d, hidden } = manifest.dims;
  const typed = <T extends Float32Array | Int8Array | Uint8Array>(type: new (...args: never[]) => T, dtype: string) => (name: TensorName, shape: number[]): T => {
    const t = tensorView(manifest, bin, name, shape);
    if (!(t instanceof type)) throw new LocalrecError('model-format', `tensor ${name} must be ${dtype}`, { tensor: name });
    return t;
  };
  const f32 = typed(Float32Array, 'float32');
  const read: TensorReader = { f32, i8: typed(Int8Array, 'int8'), u8: typed(Uint8Array, 'uint8') };
  // parseManifest admitted only readable versions.
  const weights = DECODERS[manifest.formatVersion as 1 | 2](read, { n, d, hidden, buckets: manifest.content.buckets });
  const floats: Record<string, Float32Array> = {};
  for (const t of manifest.tensors) if (t.dtype === 'float32') floats[t.name] = f32(t.name, t.shape);
  checkWeightValues(floats);
  // Decoded values too: a stored log-scale range or codebook in bounds can still decode out of them.
  checkWeightValues({ itemIn: weights.itemIn, itemOut: weights.itemOut, itemBias: weights.itemBias, 'content.proj': weights.contentProj });
  return weights;
}

/** items.json: one complete entry per manifest item id, in its order. */
function decodeItems(manifest: ModelManifest, bytes: Uint8Array): ItemMeta[] {
  let items: ItemMeta[];
  try {
    items = JSON.parse(new TextDecoder().decode(bytes)) as ItemMeta[];
  } catch {
    throw new LocalrecError('model-format', `${ITEMS_FILE} is not valid JSON`);
  }
  if (!Array.isArray(items) || items.length !== manifest.dims.items || items.some((it, i) => it?.id !== manifest.itemIds[i])) {
    throw new LocalrecError('model-format', `${ITEMS_FILE} does not match the manifest's item ids`);
  }
  items.forEach((it, index) => {
    const problem = itemMetaProblem(it);
    if (problem) throw new LocalrecError('model-format', `${ITEMS_FILE} entry ${index} ${problem}`, { index, path: ITEMS_FILE });
  });
  shareStrings(items, manifest.itemIds);
  return items;
}
