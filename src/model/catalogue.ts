/**
 * The catalogue a model scores: its trained items plus, when the model has content
 * features, items it never saw (embedded from category/brand/title tokens), so a new
 * item a shopper interacts with counts on day one.
 */
import type { ItemMeta } from '../data/types';
import { contentEmbedding, contentTokens, hashFeatures } from './features';
import type { LoadedModel } from './format';
import type { ModelWeights } from './weights';

export interface Catalogue {
  weights: ModelWeights;
  items: ItemMeta[];
  index: Map<string, number>;
  /** How many rows come from the model file; the rest are content-embedded. */
  trained: number;
}

/** A model has content features when its projection is not all zeros. */
export function hasContentFeatures(weights: ModelWeights): boolean {
  return weights.contentProj.some((x) => x !== 0);
}

/**
 * The model's catalogue extended by `extra` items (ids it already knows are ignored).
 * Extra rows come from the content projection: [itemIn | itemOut | bias].
 */
export function buildCatalogue(model: LoadedModel, extra: readonly ItemMeta[] = []): Catalogue {
  const base = model.weights;
  const index = new Map(model.items.map((it, i) => [it.id, i]));
  const fresh: ItemMeta[] = [];
  for (const it of extra) {
    if (!index.has(it.id)) {
      index.set(it.id, base.n + fresh.length);
      fresh.push(it);
    }
  }
  if (fresh.length === 0) return { weights: base, items: model.items, index, trained: base.n };
  const { d } = base;
  const n = base.n + fresh.length;
  const itemIn = new Float32Array(n * d);
  const itemOut = new Float32Array(n * d);
  const itemBias = new Float32Array(n);
  itemIn.set(base.itemIn);
  itemOut.set(base.itemOut);
  itemBias.set(base.itemBias);
  fresh.forEach((it, k) => {
    const row = base.n + k;
    const emb = contentEmbedding(hashFeatures(contentTokens(it), model.config.content.buckets), base.contentProj, d);
    itemIn.set(emb.subarray(0, d), row * d);
    itemOut.set(emb.subarray(d, 2 * d), row * d);
    itemBias[row] = emb[2 * d];
  });
  return { weights: { ...base, n, itemIn, itemOut, itemBias }, items: [...model.items, ...fresh], index, trained: base.n };
}
