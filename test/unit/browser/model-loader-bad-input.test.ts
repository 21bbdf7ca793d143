/**
 * The model loader under bad input (issue 16), one row per kind in test/fixtures/bad-models.ts:
 * a returning shopper (a cached model v1, stored events, personal weights) starts while the
 * server offers a broken v2. Each row asserts the error code, and that the last good model,
 * the stored events and the personal weights survive and recommend() still works.
 */
import { describe, expect, it } from 'vitest';
import { LocalrecError } from '../../../src/errors';
import { checkModelSemantics } from '../../../src/model/bounds';
import { decodeModel } from '../../../src/model/format';
import { BAD_MODELS, serve, type Served } from '../../fixtures/bad-models';
import { fixtureModel, initParams, makeRuntime, MODEL_URL, ModelServer, returningShopper } from './helpers';

/** A ModelServer stand-in that answers with `served` (bytes, or an HTTP status). */
function servedBy(served: Served): ModelServer {
  const fetch = (async (input: RequestInfo | URL) => {
    const name = new URL(String(input)).pathname.replace('/m/', '') as keyof Served;
    const body = served[name];
    if (body === undefined) return new Response('not found', { status: 404 });
    return typeof body === 'number' ? new Response('error', { status: body }) : new Response(body as Uint8Array<ArrayBuffer>);
  }) as typeof globalThis.fetch;
  return { fetch } as ModelServer;
}

describe('the model loader under bad model files', () => {
  it('accepts the good update the bad ones are made from', async () => {
    const good = await fixtureModel({ modelVersion: 2 });
    expect(() => checkModelSemantics(good.manifest)).not.toThrow();
    const { idb, cache } = await returningShopper([1, 4]);
    const s = await makeRuntime(servedBy(serve(good)), { idb, cache }).call('init', initParams());
    expect(s.model).toMatchObject({ version: 2, source: 'network', lastError: null });
  });

  it.each(BAD_MODELS)('refuses $kind with $code, keeping the last good model, the stored events and the personal weights', async (b) => {
    const { idb, cache, before } = await returningShopper([1, 4]);
    const served = await b.make(await fixtureModel({ modelVersion: 2 }));

    const h = makeRuntime(servedBy(served), { idb, cache });
    const s = await h.call('init', initParams());
    expect(s.model).toMatchObject({ version: 1, source: 'cache', lastError: { code: b.code } });
    expect(h.events.find((e) => e.type === 'model-error')).toMatchObject({ error: { code: b.code }, usingCachedVersion: 1 });
    expect(s.personal).toMatchObject({ modelVersion: 1, steps: 2 });
    expect(s.warnings).toEqual([]);
    const after = await h.call('exportData', {});
    expect(after.events).toEqual(before.events);
    expect(after.personalWeights?.params).toEqual(before.personalWeights?.params);
    expect(((await cache.get(MODEL_URL))?.manifestJson as { modelVersion: number }).modelVersion).toBe(1);
    const rec = await h.call('recommend', { n: 5 });
    expect(rec).toMatchObject({ modelVersion: 1, personalised: true });
    expect(rec.items).toHaveLength(5);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names the URL when the model URL answers with an HTML page (a mistyped path under a dev server)', async () => {
    const page = new TextEncoder().encode('<!doctype html><html><body><div id="app"></div></body></html>');
    const err = await makeRuntime(servedBy({ 'manifest.json': page } as Served)).call('init', initParams()).catch((e: unknown) => e);
    expect(err).toHaveCode('model-format', { url: MODEL_URL, html: true });
    expect((err as Error).message).toContain(MODEL_URL);
    expect((err as Error).message).toContain('HTML');
  });

  it.each(BAD_MODELS)('rejects $kind with $code on a first visit, when no model is cached', async (b) => {
    const served = await b.make(await fixtureModel({ modelVersion: 2 }));
    const err = await makeRuntime(servedBy(served)).call('init', initParams()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalrecError);
    expect(err).toHaveCode(b.code);
  });

  it('stops reading a weights.bin that never ends once it is longer than its manifest entry', async () => {
    const { idb, cache, before } = await returningShopper([1, 4]);
    const good = serve(await fixtureModel({ modelVersion: 2 }));
    const endless = new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024)) });
    const fetch = (async (input: RequestInfo | URL) => {
      const name = new URL(String(input)).pathname.replace('/m/', '') as keyof Served;
      return new Response(name === 'weights.bin' ? endless : (good[name] as Uint8Array<ArrayBuffer>));
    }) as typeof globalThis.fetch;
    const h = makeRuntime({ fetch } as ModelServer, { idb, cache });
    const s = await h.call('init', initParams());
    expect(s.model).toMatchObject({ version: 1, source: 'cache', lastError: { code: 'model-hash-mismatch', details: { path: 'weights.bin' } } });
    expect((await h.call('exportData', {})).events).toEqual(before.events);
  });

  it('decodes the same refusals in Node (what the trainer and the federated server read with)', async () => {
    for (const b of BAD_MODELS) {
      const served = await b.make(await fixtureModel({ modelVersion: 2 }));
      if (Object.values(served).some((x) => typeof x === 'number')) continue;
      const text = new TextDecoder().decode(served['manifest.json'] as Uint8Array);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        continue; // not JSON: the loader's own message, covered above
      }
      const err = await decodeModel(json, { 'weights.bin': served['weights.bin'] as Uint8Array, 'items.json': served['items.json'] as Uint8Array }).catch((e: unknown) => e);
      expect(err, b.kind).toHaveCode(b.code);
    }
  });
});
