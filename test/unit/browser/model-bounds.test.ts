import { describe, expect, it } from 'vitest';
import { LocalrecError } from '../../../src/errors';
import { checkModelSemantics, MODEL_BOUNDS } from '../../../src/model/bounds';
import { decodeModel, encodeModel, ITEMS_FILE, type EncodedModel } from '../../../src/model/format';
import { sha256Hex } from '../../../src/model/sha256';
import { DEFAULT_CONTENT, DEFAULT_INNER, DEFAULT_POOLING } from '../../../src/model/weights';
import { fixtureWeights } from '../../fixtures/make-model';
import { fixtureModel, initParams, makeRuntime, ModelServer, returningShopper } from './helpers';

type Json = Record<string, unknown> & { inner: Record<string, unknown>; pooling: Record<string, unknown> & { eventWeights: Record<string, unknown> }; dims: Record<string, unknown>; tensors: Record<string, unknown>[] };

/** A bad model: either the manifest edited (no hash covers it) or the model re-encoded from edited weights or items. */
interface BadKind {
  kind: string;
  manifest?: (m: Json) => void;
  encoded?: () => Promise<EncodedModel>;
}

async function encodeWith(edit: (w: ReturnType<typeof fixtureWeights>) => void, inner = DEFAULT_INNER): Promise<EncodedModel> {
  const f = fixtureWeights({ name: 'bad', items: 60, categories: 3, seed: 1, modelVersion: 2, d: 8, hidden: 8 });
  edit(f);
  return encodeModel({ name: 'small', modelVersion: 2, weights: f.weights, items: f.items, config: { pooling: DEFAULT_POOLING, inner, content: DEFAULT_CONTENT } });
}

/** Re-hashes items.json after replacing it, so only the content check can refuse it. */
async function withItems(items: unknown): Promise<EncodedModel> {
  const m = await fixtureModel({ modelVersion: 2 });
  const bytes = new TextEncoder().encode(JSON.stringify(items));
  const files = { ...m.files, [ITEMS_FILE]: bytes };
  const manifest = { ...m.manifest, files: await Promise.all(m.manifest.files.map(async (f) => (f.path === ITEMS_FILE ? { ...f, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) } : f))) };
  return { manifest, files };
}

const BAD: BadKind[] = [
  { kind: 'inner.steps above the cap (the trainer once wrote 150)', manifest: (m) => void (m.inner.steps = MODEL_BOUNDS.maxInnerSteps + 50) },
  { kind: 'inner.steps of a million', manifest: (m) => void (m.inner.steps = 1e6) },
  { kind: 'inner.lr of 1e9', manifest: (m) => void (m.inner.lr = 1e9) },
  { kind: 'inner.lr of 0', manifest: (m) => void (m.inner.lr = 0) },
  { kind: 'a negative event weight', manifest: (m) => void (m.pooling.eventWeights.view = -1) },
  { kind: 'every event weight 0', manifest: (m) => void (m.pooling.eventWeights = { view: 0, cart: 0, purchase: 0, rating: 0 }) },
  { kind: 'an event weight of 1e30', manifest: (m) => void (m.pooling.eventWeights.cart = 1e30) },
  { kind: 'pooling.maxItems of ten million', manifest: (m) => void (m.pooling.maxItems = 1e7) },
  { kind: 'a zero recency half-life in days', manifest: (m) => void (m.pooling.halfLifeDays = 0) },
  { kind: 'dims.d above the bound', manifest: (m) => void (m.dims.d = 4096) },
  { kind: 'two tensors sharing bytes', manifest: (m) => void (m.tensors[1].byteOffset = m.tensors[0].byteOffset) },
  { kind: 'a tensor listed twice', manifest: (m) => void m.tensors.push({ ...m.tensors[0] }) },
  { kind: 'an item bias of 3e38', encoded: () => encodeWith((f) => void (f.weights.itemBias[0] = 3e38)) },
  { kind: 'a tower weight of 1e9', encoded: () => encodeWith((f) => void (f.weights.tower.w1[3] = 1e9)) },
  { kind: 'items.json entries without a title', encoded: async () => withItems((await fixtureModel()).manifest.itemIds.map((id) => ({ id, categories: [] }))) },
  { kind: 'items.json entries whose categories are not strings', encoded: async () => withItems((await fixtureModel()).manifest.itemIds.map((id) => ({ id, title: id, categories: [1] }))) },
  { kind: 'items.json entries that are null', encoded: async () => withItems((await fixtureModel()).manifest.itemIds.map(() => null)) },
];

async function badModel(b: BadKind): Promise<EncodedModel> {
  if (b.encoded) return b.encoded();
  const m = await fixtureModel({ modelVersion: 2 });
  const json = JSON.parse(JSON.stringify(m.manifest)) as Json;
  b.manifest!(json);
  return { manifest: json as unknown as EncodedModel['manifest'], files: m.files };
}


describe('model semantics checked on load', () => {
  it('accepts the fixture model and the shipped defaults', async () => {
    const m = await fixtureModel();
    expect(() => checkModelSemantics(m.manifest)).not.toThrow();
    await expect(decodeModel(JSON.parse(JSON.stringify(m.manifest)), m.files)).resolves.toBeDefined();
  });

  it.each(BAD)('refuses a model with $kind as model-format', async (b) => {
    const m = await badModel(b);
    const err = await decodeModel(JSON.parse(JSON.stringify(m.manifest)), m.files).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalrecError);
    expect((err as LocalrecError).code).toBe('model-format');
  });

  it.each(BAD)('keeps the last good model, the stored events and the personal weights when the new one has $kind', async (b) => {
    const { server, idb, cache, before } = await returningShopper([1, 4]);

    server.model = await badModel(b);
    const h = makeRuntime(server, { idb, cache });
    const s = await h.call('init', initParams());
    expect(s.model).toMatchObject({ version: 1, source: 'cache', lastError: { code: 'model-format' } });
    expect(s.personal).toMatchObject({ modelVersion: 1, steps: 2 });
    const after = await h.call('exportData', {});
    expect(after.events).toEqual(before.events);
    expect(after.personalWeights?.params).toEqual(before.personalWeights?.params);
  });

  it('refuses a model with a bad bound on first load, when there is no cached model, as model-format', async () => {
    const h = makeRuntime(new ModelServer(await badModel(BAD[0])));
    const err = await h.call('init', initParams()).catch((e: unknown) => e);
    expect((err as LocalrecError).code).toBe('model-format');
  });
});
