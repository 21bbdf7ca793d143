/**
 * The Worker runtime with a real aggregation server in the same process (fastify inject
 * behind a fetch): consent and configuration decide whether anything is uploaded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/federated/coordinator';
import { DEFAULT_POLICY } from '../../../src/federated/round';
import { buildServer } from '../../../src/federated/server';
import { FileStore } from '../../../src/federated/store-file';
import { mintToken } from '../../../src/federated/token';
import { fixtureModel, initParams, itemId as id, makeRuntime, ModelServer, T0 } from './helpers';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECRET = 'runtime-secret-0123456789';
const FED = 'https://fed.test/';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup() {
  const model = await fixtureModel();
  const dir = await mkdtemp(join(tmpdir(), 'localrec-fed-rt-'));
  const coordinator = new Coordinator({ store: new FileStore(dir), initial: model, policy: { ...DEFAULT_POLICY, minClients: 1, clip: 10 } });
  await coordinator.start();
  const server = await buildServer({ coordinator, tokenSecrets: [SECRET], origins: [], rateLimit: false, tickMs: 0 });
  cleanups.push(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const models = new ModelServer(model);
  const fedRequests: { method: string; url: string; headers: Record<string, string>; body: Uint8Array | null }[] = [];
  /** While set, federated requests wait for it (or for their abort signal). */
  let gate: Promise<void> | null = null;
  let gated: (url: URL) => boolean = () => true;
  let openGate = () => {};
  /** Federated requests `match` accepts (all by default) wait until release(). */
  const hold = (match: (url: URL) => boolean = () => true) => {
    gated = match;
    gate = new Promise<void>((r) => (openGate = r));
  };
  const fetchBoth = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    if (url.origin !== new URL(FED).origin) return models.fetch(input, init);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    fedRequests.push({ method: init.method ?? 'GET', url: url.href, headers, body: init.body ? new Uint8Array(init.body as Uint8Array) : null });
    if (gate && gated(url)) {
      const signal = init.signal;
      await Promise.race([
        gate,
        new Promise((_, reject) => {
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener('abort', () => reject(signal.reason));
        }),
      ]);
    }
    const res = await server.app.inject({
      method: (init.method ?? 'GET') as 'GET' | 'POST',
      url: url.pathname,
      headers,
      ...(init.body ? { payload: Buffer.from(init.body as Uint8Array) } : {}),
    });
    return new Response(res.rawPayload.length ? new Uint8Array(res.rawPayload) : null, { status: res.statusCode, headers: res.headers as Record<string, string> });
  }) as typeof fetch;
  // The model files as before; requests to the federated origin go to the real server.
  const h = makeRuntime(Object.assign(Object.create(models) as ModelServer, { fetch: fetchBoth }));
  const token = mintToken(SECRET, 'device0001', Date.now() + 60_000);
  return { h, coordinator, models, fedRequests, token, hold, release: () => openGate() };
}

async function trackAndPersonalise(h: Awaited<ReturnType<typeof setup>>['h']) {
  await h.call('track', { events: [1, 4, 7].map((i, k) => ({ item: id(i), type: 'purchase' as const, ts: T0 + k })) });
  await h.call('personalise', {});
}

describe('federated rounds in the Worker runtime', () => {
  it('with consent and an endpoint, uploads one delta after personalising and shows it in status()', async () => {
    const { h, coordinator, fedRequests, token } = await setup();
    await h.call('init', initParams({ federated: { endpoint: FED, token }, consent: 'granted' }));
    await trackAndPersonalise(h);
    await expect.poll(() => h.events.find((e) => e.type === 'federated')).toMatchObject({ outcome: 'uploaded', roundId: 1 });
    expect((await coordinator.refresh()).accepted).toBe(1);
    const st = (await h.call('status', {})).federated!;
    expect(st).toMatchObject({ lastRound: 1, uploads: 1, lastOutcome: 'uploaded', lastError: null });
    expect(st.lastUploadBytes).toBeGreaterThan(24);
    // A second personalisation in the same round sends nothing more.
    await h.call('personalise', {});
    await expect.poll(() => h.events.filter((e) => e.type === 'federated').length).toBe(2);
    expect(fedRequests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect((await coordinator.refresh()).accepted).toBe(1);
  });

  it('a device with a single interaction has nothing later to learn from: it sends nothing and says so', async () => {
    const { h, coordinator, fedRequests, token } = await setup();
    await h.call('init', initParams({ federated: { endpoint: FED, token }, consent: 'granted' }));
    await h.call('track', { events: [{ item: id(2), type: 'purchase', ts: T0 }] });
    expect((await h.call('personalise', {})).personalised).toBe(true);
    await expect.poll(() => h.events.find((e) => e.type === 'federated')).toMatchObject({ outcome: 'too-few-events' });
    expect(fedRequests).toEqual([]);
    expect((await coordinator.refresh()).accepted).toBe(0);
    expect((await h.call('status', {})).federated).toMatchObject({ uploads: 0, lastOutcome: 'too-few-events' });
  });

  it("while consent is 'pending' or 'denied' nothing is tracked, personalised or sent", async () => {
    const { h, coordinator, fedRequests, token } = await setup();
    for (const consent of ['pending', 'denied'] as const) {
      await h.call('init', initParams({ federated: { endpoint: FED, token }, consent }));
      const track = await h.call('track', { events: [{ item: id(1), type: 'purchase', ts: T0 }] }).catch((e: unknown) => e);
      expect(track).toHaveCode('consent-required');
      await expect(h.call('personalise', {})).rejects.toHaveCode('consent-required');
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(fedRequests).toEqual([]);
    expect((await coordinator.refresh()).accepted).toBe(0);
    expect((await h.call('status', {})).federated).toMatchObject({ uploads: 0, lastRound: null });
  });

  it("withdrawing consent ('denied') cancels a running upload and deletes what was stored", async () => {
    const { h, coordinator, fedRequests, token, hold, release } = await setup();
    await h.call('init', initParams({ federated: { endpoint: FED, token }, consent: 'granted' }));
    hold();
    await trackAndPersonalise(h);
    await expect.poll(() => fedRequests.length).toBe(1); // the round description, held
    expect((await h.call('consent', { state: 'denied' })).removedEvents).toBe(3);
    await expect.poll(() => h.events.find((e) => e.type === 'federated')).toMatchObject({ outcome: 'aborted' });
    release();
    await new Promise((r) => setTimeout(r, 50));
    expect(fedRequests.filter((r) => r.method === 'POST')).toEqual([]);
    expect((await coordinator.refresh()).accepted).toBe(0);
    const st = await h.call('status', {});
    expect(st).toMatchObject({ consent: 'denied', storage: { events: 0 }, personal: null, federated: { uploads: 0, lastOutcome: 'aborted' } });
  });

  it("back to 'pending' also stops the upload (the stored interactions stay, unused), and 'granted' again uploads", async () => {
    const { h, coordinator, fedRequests, token, hold, release } = await setup();
    await h.call('init', initParams({ federated: { endpoint: FED, token }, consent: 'granted' }));
    hold();
    await trackAndPersonalise(h);
    await expect.poll(() => fedRequests.length).toBe(1);
    // Not awaited first: the withdrawal takes effect when it arrives, not when its turn in the queue comes.
    const pending = h.call('consent', { state: 'pending' });
    await expect.poll(() => h.events.find((e) => e.type === 'federated')).toMatchObject({ outcome: 'aborted' });
    expect((await pending).removedEvents).toBe(0);
    release();
    expect((await h.call('status', {})).storage).toMatchObject({ events: 3 });
    expect(fedRequests.filter((r) => r.method === 'POST')).toEqual([]);
    await h.call('consent', { state: 'granted' });
    await h.call('personalise', {});
    await expect.poll(() => h.events.filter((e) => e.type === 'federated').at(-1)).toMatchObject({ outcome: 'uploaded', roundId: 1 });
    expect((await coordinator.refresh()).accepted).toBe(1);
  });

  it('without a configured endpoint has no federated state and makes no federated request', async () => {
    const { h, fedRequests } = await setup();
    await h.call('init', initParams({ consent: 'granted' }));
    await trackAndPersonalise(h);
    expect((await h.call('status', {})).federated).toBeNull();
    expect(fedRequests).toEqual([]);
  });

  it('a running page picks up the version the server published next, at its next idle moment, and re-personalises on it', async () => {
    const { h, coordinator, models, fedRequests, token } = await setup();
    await h.call('init', initParams({ federated: { endpoint: FED, token }, consent: 'granted' }));
    await trackAndPersonalise(h);
    await expect.poll(() => h.events.find((e) => e.type === 'federated')).toMatchObject({ outcome: 'uploaded', roundId: 1 });
    expect((await coordinator.aggregateNow())?.toVersion).toBe(2);
    models.model = coordinator.currentModel(); // the page's model URL now serves version 2
    const manifestsBefore = models.requests.filter((p) => p.endsWith('manifest.json')).length;

    // The next interaction's personalisation asks for the round, which trains version 2: the page moves to it.
    await h.call('track', { events: [{ item: id(9), type: 'view', ts: T0 + 10 }] });
    await h.call('personalise', {});
    await expect.poll(() => h.events.filter((e) => e.type === 'federated').map((e) => e.outcome)).toEqual(['uploaded', 'model-version', 'uploaded']);
    const st = await h.call('status', {});
    expect(st.model).toMatchObject({ version: 2, source: 'network' });
    expect(st.personal).toMatchObject({ modelVersion: 2, events: 4 });
    expect(h.events.filter((e) => e.type === 'ready').map((e) => e.modelVersion)).toEqual([1, 2]);
    expect(h.events.filter((e) => e.type === 'personalised').at(-1)).toMatchObject({ reason: 'model-updated', result: { modelVersion: 2, events: 4 } });
    // Its next delta is for version 2's round; the model was fetched once more, not per event.
    expect(h.events.filter((e) => e.type === 'federated').at(-1)).toMatchObject({ roundId: 2, serverModelVersion: 2 });
    expect((await coordinator.refresh()).accepted).toBe(1);
    expect(models.requests.filter((p) => p.endsWith('manifest.json')).length).toBe(manifestsBefore + 1);
    expect(fedRequests.filter((r) => r.method === 'POST' && r.url.endsWith('/v1/updates'))).toHaveLength(2);
  });

  it('a model URL that still serves the older version is fetched once for a newer server version, not after every round answer', async () => {
    const { h, coordinator, models, token } = await setup();
    await h.call('init', initParams({ federated: { endpoint: FED, token }, consent: 'granted' }));
    await trackAndPersonalise(h);
    await expect.poll(() => h.events.find((e) => e.type === 'federated')).toMatchObject({ outcome: 'uploaded' });
    await coordinator.aggregateNow(); // version 2 is out, but the page's model URL (a lagging CDN copy) still serves 1
    const manifests = () => models.requests.filter((p) => p.endsWith('manifest.json')).length;
    const before = manifests();
    for (let k = 0; k < 3; k++) {
      await h.call('personalise', {});
      await expect.poll(() => h.events.filter((e) => e.type === 'federated').length).toBe(2 + k);
      await h.call('status', {}); // after the queued pick-up, if any
    }
    expect(h.events.filter((e) => e.type === 'federated').slice(1).every((e) => e.outcome === 'model-version')).toBe(true);
    expect(manifests()).toBe(before + 1);
    expect((await h.call('status', {})).model).toMatchObject({ version: 1 });
  });

  it('on a version the server trained, reports once how it and its predecessor did: 28 bytes, no item id, counted by the server', async () => {
    const { h, coordinator, models, fedRequests, token } = await setup();
    await h.call('init', initParams({ federated: { endpoint: FED, token }, consent: 'granted' }));
    await trackAndPersonalise(h);
    await expect.poll(() => h.events.find((e) => e.type === 'federated')).toMatchObject({ outcome: 'uploaded' });
    // Version 1 was not trained by the server: its round asks for no report.
    expect(fedRequests.some((r) => r.url.endsWith('/v1/reports'))).toBe(false);
    await coordinator.aggregateNow();
    models.model = coordinator.currentModel();
    await h.call('track', { events: [{ item: id(9), type: 'view', ts: T0 + 10 }, { item: id(12), type: 'cart', ts: T0 + 11 }] });
    await h.call('personalise', {});
    // Picks up version 2, uploads to its round, and reports on version 2 against version 1.
    await expect.poll(async () => (await h.call('status', {})).federated).toMatchObject({ reports: 1, lastReportVersion: 2, uploads: 2 });
    const reports = fedRequests.filter((r) => r.url === `${FED}v1/reports`);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' } });
    expect(reports[0].body!.byteLength).toBe(28);
    expect(reports[0].body!.byteLength).toBeLessThanOrEqual(200);
    // The reference's tower came from the server's copy of version 1 (hash-verified), not the page's model URL.
    expect(fedRequests.map((r) => new URL(r.url).pathname)).toEqual(expect.arrayContaining(['/v1/models/1/manifest.json', '/v1/models/1/weights.bin']));
    expect(await coordinator.hasReport('device0001')).toBe(true);
    // Nothing any request carries names an item, an event type or the device's history.
    const wire = fedRequests.map((r) => `${r.url}\n${JSON.stringify(r.headers)}\n${r.body ? Buffer.from(r.body).toString('latin1') : ''}`).join('\n');
    for (const secret of [1, 4, 7, 9, 12].map(id).concat(['purchase', 'view', 'cart'])) expect(wire).not.toContain(secret);
    // Once per version: another personalisation in the same round sends no second report.
    await h.call('personalise', {});
    await expect.poll(() => h.events.filter((e) => e.type === 'federated').length).toBe(4);
    await new Promise((r) => setTimeout(r, 50));
    expect(fedRequests.filter((r) => r.url === `${FED}v1/reports`)).toHaveLength(1);
    // The server releases the report with the next version.
    await coordinator.aggregateNow();
    expect((coordinator.currentModel().manifest.training!.federated as { quality?: unknown }).quality).toMatchObject({ version: 2, referenceVersion: 1, reports: 1 });
  });

  it('a withdrawal of consent after the upload stops the report', async () => {
    const { h, coordinator, models, fedRequests, token, hold, release } = await setup();
    await h.call('init', initParams({ federated: { endpoint: FED, token }, consent: 'granted' }));
    await trackAndPersonalise(h);
    await expect.poll(() => h.events.find((e) => e.type === 'federated')).toMatchObject({ outcome: 'uploaded' });
    await coordinator.aggregateNow();
    models.model = coordinator.currentModel();
    hold((u) => u.pathname.startsWith('/v1/models/')); // the reference version's files wait
    await h.call('track', { events: [{ item: id(9), type: 'view', ts: T0 + 10 }] });
    await h.call('personalise', {});
    await expect.poll(() => h.events.filter((e) => e.type === 'federated').map((e) => e.outcome)).toEqual(['uploaded', 'model-version', 'uploaded']);
    await expect.poll(() => fedRequests.filter((r) => r.url.includes('/v1/models/')).length).toBeGreaterThan(0);
    await h.call('consent', { state: 'pending' });
    release();
    await new Promise((r) => setTimeout(r, 100));
    expect(fedRequests.filter((r) => r.url === `${FED}v1/reports`)).toEqual([]);
    expect((await h.call('status', {})).federated).toMatchObject({ reports: 0 });
  });
});
