/**
 * What a model may say about itself, beyond its format: the ranges the SDK accepts for
 * the inner loop, pooling, dims and weight values. The browser loader refuses a model
 * outside them (`model-format`, the last good cached model stays) and the trainer checks
 * the same function before writing, so it never writes a model the SDK would refuse.
 * Plain functions over the manifest and typed arrays; no tfjs, no valibot.
 */
import { LocalrecError } from '../errors';
import type { ModelManifest } from './manifest';

/** The files a model directory holds besides its manifest; a manifest may list no others (no extra downloads, no `..`). */
const MODEL_FILES = ['weights.bin', 'items.json'];

/** The shared limits, one table (docs/reliability.md lists them). */
export const MODEL_BOUNDS = {
  /** Inner-loop SGD steps the device runs; personalise({ steps }) has the same cap. */
  maxInnerSteps: 100,
  /** Inner-loop learning rate: 0 < lr ≤ this. */
  maxInnerLr: 10,
  /** Events pooled into the user context. */
  maxPoolItems: 1000,
  /** Each event type's weight in the pooled mean: 0 ≤ w ≤ this. */
  maxEventWeight: 100,
  /** Recency half-life in positions. */
  maxHalfLifePositions: 1e6,
  /** Recency half-life in hours: a million days, the bound when the manifest held days. */
  maxHalfLifeHours: 24e6,
  /** Items, embedding size, hidden width, content buckets. */
  maxItems: 5_000_000,
  maxDim: 1024,
  maxContentBuckets: 1 << 20,
  /** Model versions travel as uint32 in federated rounds and uploads. */
  maxModelVersion: 0xffff_ffff,
  /** |itemBias| and every float32 weight (the item tables' scales included). */
  maxAbsBias: 1e3,
  maxAbsWeight: 1e4,
} as const;

/** One violated bound: where (a manifest path) and what. */
export interface BoundViolation {
  path: string;
  message: string;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * Every semantic problem of a manifest that already passed the schema: inner-loop
 * settings, pooling, dims and tensor byte ranges (in range of the weights file's listed
 * size and not overlapping). Returns [] for a model the SDK accepts.
 */
export function modelSemanticsProblems(m: ModelManifest): BoundViolation[] {
  const B = MODEL_BOUNDS;
  const out: BoundViolation[] = [];
  const bad = (path: string, message: string) => out.push({ path, message });
  if (m.modelVersion > B.maxModelVersion) bad('modelVersion', `must be ≤ ${B.maxModelVersion}, got ${m.modelVersion}`);
  const { steps, lr } = m.inner;
  if (!Number.isInteger(steps) || steps < 0 || steps > B.maxInnerSteps) bad('inner.steps', `must be an integer from 0 to ${B.maxInnerSteps}, got ${steps}`);
  if (!finite(lr) || lr <= 0 || lr > B.maxInnerLr) bad('inner.lr', `must be > 0 and ≤ ${B.maxInnerLr}, got ${lr}`);
  const p = m.pooling;
  if (!Number.isInteger(p.maxItems) || p.maxItems < 1 || p.maxItems > B.maxPoolItems) bad('pooling.maxItems', `must be an integer from 1 to ${B.maxPoolItems}, got ${p.maxItems}`);
  for (const [type, w] of Object.entries(p.eventWeights)) {
    if (!finite(w) || w < 0 || w > B.maxEventWeight) bad(`pooling.eventWeights.${type}`, `must be from 0 to ${B.maxEventWeight}, got ${w}`);
  }
  if (Object.values(p.eventWeights).every((w) => w === 0)) bad('pooling.eventWeights', 'are all 0, so no event would count');
  if (p.halfLifeHours !== null && (!finite(p.halfLifeHours) || p.halfLifeHours <= 0 || p.halfLifeHours > B.maxHalfLifeHours)) bad('pooling.halfLifeHours', `must be null or > 0 and ≤ ${B.maxHalfLifeHours}, got ${p.halfLifeHours}`);
  if (p.halfLifePositions !== null && (!finite(p.halfLifePositions) || p.halfLifePositions <= 0 || p.halfLifePositions > B.maxHalfLifePositions)) bad('pooling.halfLifePositions', `must be null or > 0 and ≤ ${B.maxHalfLifePositions}, got ${p.halfLifePositions}`);
  const { items, d, hidden } = m.dims;
  if (items > B.maxItems) bad('dims.items', `must be ≤ ${B.maxItems}, got ${items}`);
  if (d > B.maxDim) bad('dims.d', `must be ≤ ${B.maxDim}, got ${d}`);
  if (hidden > B.maxDim) bad('dims.hidden', `must be ≤ ${B.maxDim}, got ${hidden}`);
  if (m.content.buckets > B.maxContentBuckets) bad('content.buckets', `must be ≤ ${B.maxContentBuckets}, got ${m.content.buckets}`);

  const paths = new Set<string>();
  for (const f of m.files) {
    if (!MODEL_FILES.includes(f.path)) bad(`files.${f.path}`, `is not a model file (expected only ${MODEL_FILES.join(' and ')})`);
    else if (paths.has(f.path)) bad(`files.${f.path}`, 'is listed twice');
    paths.add(f.path);
  }
  const names = new Set<string>();
  for (const t of m.tensors) {
    if (names.has(t.name)) bad(`tensors.${t.name}`, 'is listed twice');
    names.add(t.name);
  }
  const bin = m.files.find((f) => f.path === 'weights.bin');
  const ranges = [...m.tensors].sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  for (let i = 0; i < ranges.length; i++) {
    const t = ranges[i];
    if (bin && t.byteOffset + t.byteLength > bin.bytes) bad(`tensors.${t.name}`, `byte range ${t.byteOffset}+${t.byteLength} ends past weights.bin (${bin.bytes} bytes)`);
    const next = ranges[i + 1];
    if (next && t.byteLength > 0 && next.byteOffset < t.byteOffset + t.byteLength) bad(`tensors.${next.name}`, `byte range overlaps tensor ${t.name}`);
  }
  return out;
}

/** Throws `model-format` (details: path, problems) unless the manifest is within MODEL_BOUNDS. */
export function checkModelSemantics(manifest: ModelManifest): void {
  const problems = modelSemanticsProblems(manifest);
  if (problems.length === 0) return;
  const first = problems[0];
  throw new LocalrecError('model-format', `model is outside the SDK's bounds: ${first.path} ${first.message}`, {
    path: first.path,
    problems: problems.length,
  });
}

/** The largest |value| of a float array, or Infinity when any value is not finite. */
function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const x of a) {
    if (!Number.isFinite(x)) return Infinity;
    const ax = Math.abs(x);
    if (ax > m) m = ax;
  }
  return m;
}

/** Throws `model-format` when the item bias or any float tensor is outside the value bounds. */
export function checkWeightValues(tensors: Record<string, Float32Array>): void {
  for (const [name, values] of Object.entries(tensors)) {
    const limit = name === 'itemBias' ? MODEL_BOUNDS.maxAbsBias : MODEL_BOUNDS.maxAbsWeight;
    const m = maxAbs(values);
    if (m > limit) {
      throw new LocalrecError('model-format', `tensor ${name} holds ${Number.isFinite(m) ? `|value| ${m} > ${limit}` : 'non-finite values'}`, { tensor: name, path: `tensors.${name}` });
    }
  }
}
