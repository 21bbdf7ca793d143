import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sampledGaussianEpsilon } from '../../../src/federated/accountant';
import { parseRound } from '../../../src/federated/round';
import { FileStore } from '../../../src/federated/store-file';
import { mintToken } from '../../../src/federated/token';
import { decodeModel } from '../../../src/model/format';
import { flattenTower } from '../../../src/model/weights';
import { body, delta, EXACT_POLICY, fixtureEncoded, LENGTH, ORIGIN, SECRET, startTestServer, tempDir, token, type TestServer } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let s: TestServer;

beforeEach(async () => {
  tmp = await tempDir();
  s = await startTestServer({ dir: tmp.dir });
});
afterEach(async () => {
  await s.server.stop();
  await tmp.cleanup();
});

describe('federated server: the round description and CORS', () => {
  it('describes the open round so a client can parse it', async () => {
    const res = await s.server.app.inject({ method: 'GET', url: '/v1/round' });
    expect(res.statusCode).toBe(200);
    const round = parseRound(res.json());
    expect(round).toMatchObject({ roundId: 1, modelVersion: 1, length: LENGTH, clip: 1, state: 'collecting' });
    expect(res.headers['cache-control']).toBe('no-store');
    // No noise configured: the description says there is no DP guarantee rather than inventing one.
    expect(res.json()).toMatchObject({ privacy: { central: { noise: 0, epsilon: null }, local: { epsilonPerUpload: null } } });
  });

  it('reports the central ε of its noise setting in the round description and in /metrics', async () => {
    await s.server.stop();
    s = await startTestServer({ dir: tmp.dir, policy: { centralNoise: 2, dpDelta: 1e-5 } });
    const d = (await s.server.app.inject({ method: 'GET', url: '/v1/round' })).json() as { privacy: { central: { epsilon: number; rounds: number } } };
    // One round at z = 2, no population configured (q = 1): the RDP accountant gives ε = 2.168 at δ = 1e-5.
    expect(d.privacy.central).toMatchObject({ rounds: 1, samplingRate: 1 });
    expect(d.privacy.central.epsilon).toBeCloseTo(sampledGaussianEpsilon(1, 2, 1, 1e-5).epsilon, 4);
    const m = await s.server.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.body).toMatch(new RegExp(`localrec_fed_dp_epsilon ${d.privacy.central.epsilon}`));
  });

  it('with a configured population reports the sampled ε at q = expected clients / population', async () => {
    await s.server.stop();
    s = await startTestServer({ dir: tmp.dir, policy: { centralNoise: 1, dpDelta: 1e-5, population: 10_000, expectedClients: 100 } });
    const d = (await s.server.app.inject({ method: 'GET', url: '/v1/round' })).json() as { privacy: { central: { epsilon: number; samplingRate: number } } };
    expect(d.privacy.central.samplingRate).toBe(0.01);
    expect(d.privacy.central.epsilon).toBeCloseTo(sampledGaussianEpsilon(0.01, 1, 1, 1e-5).epsilon, 4);
  });

  it('sends CORS headers to a configured shop origin and none to any other origin', async () => {
    const ok = await s.server.app.inject({ method: 'GET', url: '/v1/round', headers: { origin: ORIGIN } });
    expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);
    const other = await s.server.app.inject({ method: 'GET', url: '/v1/round', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await s.server.app.inject({
      method: 'OPTIONS',
      url: '/v1/updates',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(pre.statusCode).toBe(204);
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/authorization/);
  });
});

describe('federated server: every refused upload gets a 4xx with a code', () => {
  it('accepts a valid update with 200', async () => {
    const r = await s.upload(token('alice'), body(1, delta(1)));
    expect(r).toMatchObject({ status: 200, json: { accepted: true, roundId: 1 } });
  });

  it('refuses an upload without a token (401 update-token-missing)', async () => {
    expect(await s.upload(null, body(1, delta(1)))).toMatchObject({ status: 401, code: 'update-token-missing' });
  });

  it('refuses a token with a wrong signature or past its expiry (401 update-token-invalid)', async () => {
    const forged = mintToken('another-secret-xxxxxxx', 'mallory00', Date.now() + 60_000);
    expect(await s.upload(forged, body(1, delta(1)))).toMatchObject({ status: 401, code: 'update-token-invalid' });
    expect(await s.upload(token('expired0', -60_000), body(1, delta(1)))).toMatchObject({ status: 401, code: 'update-token-invalid' });
    expect(await s.upload('not-a-token', body(1, delta(1)))).toMatchObject({ status: 401, code: 'update-token-invalid' });
  });

  it('refuses a body over the limit (413 update-too-large)', async () => {
    const big = new Uint8Array(s.coordinator.maxBytes + 1);
    expect(await s.upload(token('alice'), big)).toMatchObject({ status: 413, code: 'update-too-large' });
  });

  it('refuses a body that is not an update or not octet-stream (400/415 update-malformed)', async () => {
    expect(await s.upload(token('alice'), new TextEncoder().encode('{"delta":[1,2,3]}'))).toMatchObject({ status: 400, code: 'update-malformed' });
    expect(await s.upload(token('alice'), body(1, delta(1)), 'text/plain')).toMatchObject({ status: 415, code: 'update-malformed' });
  });

  it('refuses a delta of the wrong length (422 update-wrong-shape)', async () => {
    expect(await s.upload(token('alice'), body(1, delta(1, 0.5, LENGTH - 1)))).toMatchObject({ status: 422, code: 'update-wrong-shape' });
  });

  it('refuses an unknown dtype (422 update-wrong-dtype)', async () => {
    const b = body(1, delta(1));
    b[5] = 3;
    expect(await s.upload(token('alice'), b)).toMatchObject({ status: 422, code: 'update-wrong-dtype' });
  });

  it('refuses NaN or infinite values (422 update-non-finite)', async () => {
    const d = delta(1);
    d[3] = Number.NaN;
    expect(await s.upload(token('alice'), body(1, d))).toMatchObject({ status: 422, code: 'update-non-finite' });
  });

  it('refuses a delta longer than the clip bound (422 update-norm-too-large)', async () => {
    expect(await s.upload(token('alice'), body(1, delta(1, 1.5)))).toMatchObject({ status: 422, code: 'update-norm-too-large' });
  });

  it('tells a device with a valid token whether the round already holds its update, and nobody else', async () => {
    const ask = async (auth?: string) => (await s.server.app.inject({ method: 'GET', url: '/v1/round', headers: auth ? { authorization: auth } : {} })).json() as { sent?: boolean };
    expect((await ask(`Bearer ${token('alice')}`)).sent).toBe(false);
    await s.upload(token('alice'), body(1, delta(1)));
    expect((await ask(`Bearer ${token('alice')}`)).sent).toBe(true);
    expect((await ask(`Bearer ${token('bob00000')}`)).sent).toBe(false);
    expect((await ask()).sent).toBeUndefined();
    expect((await ask('Bearer forged.token')).sent).toBeUndefined();
  });

  it('refuses a second upload from the same client in a round (409 update-duplicate), keeping the first', async () => {
    expect((await s.upload(token('alice'), body(1, delta(1)))).status).toBe(200);
    expect(await s.upload(token('alice'), body(1, delta(2)))).toMatchObject({ status: 409, code: 'update-duplicate' });
    expect((await s.coordinator.refresh()).accepted).toBe(1);
  });

  it('refuses a round that has not opened (409 update-unknown-round) and a model version other than the round\'s (409 update-stale-model)', async () => {
    expect(await s.upload(token('alice'), body(2, delta(1)))).toMatchObject({ status: 409, code: 'update-unknown-round' });
    expect(await s.upload(token('alice'), body(1, delta(1), { modelVersion: 0 }))).toMatchObject({ status: 409, code: 'update-stale-model' });
  });

  it('refuses an upload to a round that is over (409 update-stale-round)', async () => {
    await s.upload(token('alice'), body(1, delta(1)));
    await s.coordinator.aggregateNow();
    expect(await s.upload(token('bob00000'), body(1, delta(2)))).toMatchObject({ status: 409, code: 'update-stale-round' });
  });

  it('refuses uploads beyond the per-round cap (409 update-round-closed) and aggregates the full round', async () => {
    await s.server.stop();
    s = await startTestServer({ dir: tmp.dir, policy: { minClients: 1, maxClients: 2 } });
    let published = 0;
    s.coordinator.onPublished = () => void published++;
    const [a, b] = await Promise.all([s.upload(token('alice'), body(1, delta(1))), s.upload(token('bob00000'), body(1, delta(2)))]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await s.upload(token('carol000'), body(1, delta(3)));
    // Either the round is still closing (closed) or already published (stale): never accepted.
    expect(['update-round-closed', 'update-stale-round']).toContain(c.code);
    expect(c.status).toBe(409);
    await s.coordinator.tick();
    await expect.poll(() => published).toBe(1);
  });

  it('refuses uploads beyond the rate limit (429 update-rate-limited)', async () => {
    await s.server.stop();
    s = await startTestServer({ dir: tmp.dir, server: { rateLimit: { max: 2, windowMs: 60_000 } } });
    const codes: (string | undefined)[] = [];
    for (const who of ['alice000', 'bob00000', 'carol000']) codes.push((await s.upload(token(who), body(1, delta(1)))).code);
    expect(codes).toEqual([undefined, undefined, 'update-rate-limited']);
    const metrics = await s.server.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/localrec_fed_updates_rejected_total\{code="update-rate-limited"\} 1/);
  });
});

describe('federated server: the round lifecycle', () => {
  it('aggregates the mean delta into θ_meta, publishes version 2 with the same item tables, and opens round 2', async () => {
    const before = await decodeModel((await fixtureEncoded()).manifest, (await fixtureEncoded()).files);
    const d1 = delta(1);
    const d2 = delta(2);
    await s.upload(token('alice'), body(1, d1));
    await s.upload(token('bob00000'), body(1, d2, { dtype: 'int8' }));
    expect(await s.coordinator.tick()).toBeNull(); // 2 ≥ minClients, but the deadline has not passed
    const summary = await s.coordinator.aggregateNow();
    expect(summary).toMatchObject({ roundId: 1, clients: 2, fromVersion: 1, toVersion: 2 });

    const round = parseRound((await s.server.app.inject({ method: 'GET', url: '/v1/round' })).json());
    expect(round).toMatchObject({ roundId: 2, modelVersion: 2, manifest: 'v1/models/2/manifest.json' });
    const get = async (url: string) => new Uint8Array((await s.server.app.inject({ method: 'GET', url })).rawPayload);
    const manifest: unknown = JSON.parse(new TextDecoder().decode(await get('/v1/models/2/manifest.json')));
    const after = await decodeModel(manifest, { 'weights.bin': await get('/v1/models/2/weights.bin'), 'items.json': await get('/v1/models/2/items.json') });
    expect(after.manifest.modelVersion).toBe(2);
    const t0 = flattenTower(before.weights.tower);
    const t1 = flattenTower(after.weights.tower);
    for (let i = 0; i < t0.length; i += 17) expect(t1[i] - t0[i]).toBeCloseTo((d1[i] + d2[i]) / 2, 2);
    expect(Array.from(after.weights.itemOut)).toEqual(Array.from(before.weights.itemOut));
    expect(Array.from(after.weights.itemIn)).toEqual(Array.from(before.weights.itemIn));
    // The latest-version URL serves the same version.
    expect(JSON.parse(new TextDecoder().decode(await get('/v1/model/manifest.json'))).modelVersion).toBe(2);
    // The old version stays downloadable for clients still on it.
    expect((await s.server.app.inject({ method: 'GET', url: '/v1/models/1/manifest.json' })).statusCode).toBe(200);
    expect((await s.server.app.inject({ method: 'GET', url: '/v1/models/9/manifest.json' })).statusCode).toBe(404);
  });

  it('with a configured sampling rate divides the sum by the expected count and does not publish the count', async () => {
    await s.server.stop();
    s = await startTestServer({ dir: tmp.dir, policy: { population: 1000, expectedClients: 4, dpDelta: 1e-4 } });
    const before = await decodeModel((await fixtureEncoded()).manifest, (await fixtureEncoded()).files);
    const d1 = delta(1);
    const d2 = delta(2);
    await s.upload(token('alice'), body(1, d1));
    await s.upload(token('bob00000'), body(1, d2));
    expect(await s.coordinator.aggregateNow()).toMatchObject({ clients: 2, toVersion: 2 });
    const get = async (url: string) => new Uint8Array((await s.server.app.inject({ method: 'GET', url })).rawPayload);
    const manifest = JSON.parse(new TextDecoder().decode(await get('/v1/models/2/manifest.json'))) as { training: { federated: Record<string, unknown> } };
    expect(manifest.training.federated).not.toHaveProperty('clients');
    const after = await decodeModel(manifest, { 'weights.bin': await get('/v1/models/2/weights.bin'), 'items.json': await get('/v1/models/2/items.json') });
    const t0 = flattenTower(before.weights.tower);
    const t1 = flattenTower(after.weights.tower);
    for (let i = 0; i < t0.length; i += 17) expect(t1[i] - t0[i]).toBeCloseTo((d1[i] + d2[i]) / 4, 2);
  });

  it('closes a round at its deadline only once it has the minimum number of clients', async () => {
    await s.server.stop();
    let now = 1_000_000;
    const dir = join(tmp.dir, 'clock');
    const { Coordinator } = await import('../../../src/federated/coordinator');
    const c = new Coordinator({ store: new FileStore(dir), initial: await fixtureEncoded(), policy: { ...EXACT_POLICY, minClients: 2, durationMs: 1000 }, now: () => now });
    await c.start();
    await c.submit('alice000', body(1, delta(1)));
    now += 5000;
    expect(await c.tick()).toBeNull(); // past the deadline but below minClients: keeps collecting
    await c.submit('bob00000', body(1, delta(2)));
    expect(await c.tick()).toMatchObject({ roundId: 1, clients: 2 });
    await c.close();
    s = await startTestServer({ dir });
  });

  it('keeps accepted updates and refuses their duplicates after a restart, and cuts a torn record from the log', async () => {
    await s.upload(token('alice'), body(1, delta(1)));
    await s.upload(token('bob00000'), body(1, delta(2)));
    await s.server.stop();
    // A write that was cut off mid-record (the server died before it could acknowledge it).
    await appendFile(join(tmp.dir, 'rounds', 'r1.log'), Buffer.from([0x4c, 0x52, 0x55, 0x52, 200, 0, 0, 0, 1, 2]));
    s = await startTestServer({ dir: tmp.dir });
    expect((await s.coordinator.refresh()).accepted).toBe(2);
    expect(await s.upload(token('alice'), body(1, delta(3)))).toMatchObject({ status: 409, code: 'update-duplicate' });
    expect((await s.upload(token('carol000'), body(1, delta(3)))).status).toBe(200);
    expect(await s.coordinator.aggregateNow()).toMatchObject({ clients: 3 });
  });

  it('after a crash between writing version 2 and switching to it, still serves version 1 and aggregates round 1 again', async () => {
    await s.upload(token('alice'), body(1, delta(1)));
    await s.server.stop();
    // What a publish that died before its switch leaves: a complete v2 directory and a half-written temp directory.
    const { writeModelDir } = await import('../../../src/model/files-node');
    const { mkdir, writeFile, readdir } = await import('node:fs/promises');
    await writeModelDir(join(tmp.dir, 'models', 'v2'), await fixtureEncoded(2));
    await mkdir(join(tmp.dir, 'models', '.v2.tmp'));
    await writeFile(join(tmp.dir, 'models', '.v2.tmp', 'weights.bin'), 'half');
    s = await startTestServer({ dir: tmp.dir });
    expect(await s.coordinator.refresh()).toMatchObject({ roundId: 1, modelVersion: 1, accepted: 1 });
    expect(JSON.parse((await s.server.app.inject({ method: 'GET', url: '/v1/model/manifest.json' })).body).modelVersion).toBe(1);
    expect((await readdir(join(tmp.dir, 'models'))).sort()).toEqual(['v1']);
    expect(await s.coordinator.aggregateNow()).toMatchObject({ clients: 1, toVersion: 2 });
  });

  it('refuses to open a store directory another live process has open', async () => {
    const second = new FileStore(tmp.dir);
    await expect(second.open(await fixtureEncoded(), Date.now())).rejects.toHaveCode('federated-config');
  });
});
