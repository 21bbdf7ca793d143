import { fnv1a32 } from '../data/fnv1a';
import type { ItemMeta } from '../data/types';

/** Tokens that describe an item without any interaction: categories, brand, title words. */
export function contentTokens(item: Pick<ItemMeta, 'title' | 'categories' | 'brand'>): string[] {
  const tokens = item.categories.map((c) => `cat:${c.toLowerCase()}`);
  if (item.brand) tokens.push(`brand:${item.brand.toLowerCase()}`);
  for (const w of item.title.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    // Years and single characters carry little meaning and would crowd the buckets.
    if (w.length > 1 && !/^\d+$/.test(w)) tokens.push(`w:${w}`);
  }
  return tokens;
}

/** Sparse hashed feature vector: bucket ids with weights normalised to unit L2 norm. */
export interface SparseFeatures {
  buckets: number[];
  weights: number[];
}

export function hashFeatures(tokens: string[], buckets: number): SparseFeatures {
  const counts = new Map<number, number>();
  for (const t of tokens) {
    const b = fnv1a32(t) % buckets;
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  let norm = 0;
  for (const c of counts.values()) norm += c * c;
  norm = Math.sqrt(norm) || 1;
  return { buckets: [...counts.keys()], weights: [...counts.values()].map((c) => c / norm) };
}

/**
 * Embedding of an item the model never trained on: hashed features times the content
 * projection, giving [itemIn (d) | itemOut (d) | bias (1)].
 */
export function contentEmbedding(features: SparseFeatures, proj: Float32Array, d: number): Float32Array {
  const width = 2 * d + 1;
  const out = new Float32Array(width);
  features.buckets.forEach((b, j) => {
    const w = features.weights[j];
    const base = b * width;
    for (let c = 0; c < width; c++) out[c] += w * proj[base + c];
  });
  return out;
}
