import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { FederatedClient, type FederatedClientDeps } from '../../../src/federated/client';
import { l2Norm, towerDelta } from '../../../src/federated/delta';
import { normBound } from '../../../src/federated/clip';
import { ROUND_PROTOCOL, type RoundDescription } from '../../../src/federated/round';
import { decodeUpdate, WIRE_VERSION } from '../../../src/federated/wire';
import { initTower, towerSize } from '../../../src/model/weights';

const D = 4;
const H = 3;
const N = towerSize(D, H);
const rng = createRng(9);
const meta = initTower(D, H, () => rng.normal());
const user = initTower(D, H, () => rng.normal()); // far from meta: its delta needs clipping

function round(over: Partial<RoundDescription> = {}): RoundDescription {
  return {
    protocol: ROUND_PROTOCOL,
    wireVersion: WIRE_VERSION,
    roundId: 4,
    modelVersion: 2,
    modelName: 'm',
    manifest: 'v1/models/2/manifest.json',
    state: 'collecting',
    deadline: 0,
    length: N,
    dtypes: ['float32', 'int8'],
    dtype: 'float32',
    clip: 0.5,
    localNoise: 0,
    maxBytes: 10_000,
    ...over,
  };
}

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  credentials: string | undefined;
}

/** A fake server: answers GET round with `desc`, and POSTs with the next scripted status (or throws for 'network'). */
function fakeServer(desc: RoundDescription, posts: (number | 'network')[]) {
  const calls: Call[] = [];
  const fakeFetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = init.body instanceof Uint8Array ? init.body : null;
    calls.push({ method: init.method ?? 'GET', url: String(input), headers, body, credentials: init.credentials });
    if ((init.method ?? 'GET') === 'GET') return new Response(JSON.stringify(desc), { status: 200 });
    const next = posts.shift() ?? 200;
    if (next === 'network') throw new TypeError('network down');
    if (next === 200) return new Response(JSON.stringify({ accepted: true, roundId: desc.roundId }), { status: 200 });
    const code = next === 409 ? 'update-duplicate' : next === 422 ? 'update-norm-too-large' : 'x';
    return new Response(JSON.stringify({ code, message: 'no', details: {} }), { status: next });
  }) as typeof fetch;
  return { calls, fetch: fakeFetch };
}

function client(fetchFn: typeof fetch, over: Partial<FederatedClientDeps> = {}) {
  const sleeps: number[] = [];
  const c = new FederatedClient(
    { endpoint: 'https://fed.test/base', token: 'tok-123' },
    { fetch: fetchFn, random: () => 1, sleep: async (ms) => void sleeps.push(ms), maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 350, ...over },
  );
  return { c, sleeps };
}

describe('the federated client in the Worker', () => {
  it('uploads the clipped tower delta once per round, as a binary body with only the token as a credential', async () => {
    const srv = fakeServer(round(), []);
    const { c } = client(srv.fetch);
    expect(await c.contribute(2, user, meta)).toBe('uploaded');
    const post = srv.calls.find((x) => x.method === 'POST')!;
    expect(post.url).toBe('https://fed.test/base/v1/updates');
    expect(post.headers).toEqual({ authorization: 'Bearer tok-123', 'content-type': 'application/octet-stream' });
    expect(post.credentials).toBe('omit');
    const u = decodeUpdate(post.body!, { length: N, dtypes: ['float32'] });
    expect(u).toMatchObject({ roundId: 4, modelVersion: 2 });
    const raw = towerDelta(user, meta);
    expect(l2Norm(raw)).toBeGreaterThan(0.5);
    expect(l2Norm(u.values)).toBeCloseTo(0.5, 5);
    const scale = 0.5 / l2Norm(raw);
    for (let i = 0; i < N; i++) expect(u.values[i]).toBeCloseTo(raw[i] * scale, 5);
    expect(c.status()).toMatchObject({ lastRound: 4, uploads: 1, lastUploadBytes: post.body!.byteLength, bytesSent: post.body!.byteLength, lastError: null });

    expect(await c.contribute(2, user, meta)).toBe('already-sent');
    expect(srv.calls.filter((x) => x.method === 'POST')).toHaveLength(1);
  });

  it('adds the round\'s local noise, staying under the server\'s norm bound', async () => {
    const srv = fakeServer(round({ localNoise: 0.2, dtype: 'int8' }), []);
    const { c } = client(srv.fetch);
    expect(await c.contribute(2, user, meta)).toBe('uploaded');
    const u = decodeUpdate(srv.calls.find((x) => x.method === 'POST')!.body!, { length: N, dtypes: ['int8'] });
    expect(Math.abs(l2Norm(u.values) - 0.5)).toBeGreaterThan(1e-3); // noise moved it off the clip sphere
    expect(l2Norm(u.values)).toBeLessThanOrEqual(normBound(0.5, 0.2, N));
  });

  it('retries network failures and 5xx with capped exponential backoff and jitter, then succeeds', async () => {
    const srv = fakeServer(round(), ['network', 503, 'network', 200]);
    const { c, sleeps } = client(srv.fetch);
    expect(await c.contribute(2, user, meta)).toBe('uploaded');
    expect(sleeps).toEqual([100, 200, 350]); // random() = 1: 100·2^k, capped at 350
    const jittered = client(fakeServer(round(), ['network', 200]).fetch, { random: () => 0.25 });
    await jittered.c.contribute(2, user, meta);
    expect(jittered.sleeps).toEqual([25]);
  });

  it('stops at the first 4xx and reports the server\'s code', async () => {
    const srv = fakeServer(round(), [422]);
    const { c, sleeps } = client(srv.fetch);
    expect(await c.contribute(2, user, meta)).toBe('rejected');
    expect(srv.calls.filter((x) => x.method === 'POST')).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(c.status().lastError).toHaveCode('update-norm-too-large');
  });

  it('treats a duplicate as already sent, so it does not try that round again', async () => {
    const srv = fakeServer(round(), [409]);
    const { c } = client(srv.fetch);
    expect(await c.contribute(2, user, meta)).toBe('already-sent');
    expect(c.status().lastRound).toBe(4);
  });

  it('sends nothing when the server says this device already sent in the round (after a reload it does not remember)', async () => {
    const srv = fakeServer(round({ sent: true }), []);
    const { c } = client(srv.fetch);
    expect(await c.contribute(2, user, meta)).toBe('already-sent');
    expect(srv.calls.map((x) => x.method)).toEqual(['GET']);
    expect(srv.calls[0].headers.authorization).toBe('Bearer tok-123');
    expect(c.status().lastRound).toBe(4);
  });

  it('gives up after the last attempt and says why', async () => {
    const srv = fakeServer(round(), [503, 503, 503, 503, 503]);
    const { c } = client(srv.fetch);
    expect(await c.contribute(2, user, meta)).toBe('failed');
    expect(srv.calls.filter((x) => x.method === 'POST')).toHaveLength(5);
    expect(c.status()).toMatchObject({ uploads: 0, lastOutcome: 'failed', lastError: { code: 'federated-unavailable' } });
  });

  it('sends nothing when the round trains another model version or is aggregating', async () => {
    const other = fakeServer(round({ modelVersion: 3 }), []);
    expect(await client(other.fetch).c.contribute(2, user, meta)).toBe('model-version');
    const closed = fakeServer(round({ state: 'aggregating' }), []);
    expect(await client(closed.fetch).c.contribute(2, user, meta)).toBe('round-closed');
    expect([...other.calls, ...closed.calls].every((x) => x.method === 'GET')).toBe(true);
  });

  it('stops sending when cancelled while waiting to retry', async () => {
    const srv = fakeServer(round(), ['network', 200]);
    let c!: FederatedClient;
    ({ c } = client(srv.fetch, {
      sleep: async () => {
        c.cancel();
        throw new Error('aborted');
      },
    }));
    expect(await c.contribute(2, user, meta)).toBe('aborted');
    expect(srv.calls.filter((x) => x.method === 'POST')).toHaveLength(1);
  });

  it('refuses an endpoint that is not https, except plain http on this machine', () => {
    expect(() => new FederatedClient({ endpoint: 'javascript:alert(1)', token: 't' }, { fetch })).toHaveCode('federated-config');
    expect(() => new FederatedClient({ endpoint: 'http://fed.example/', token: 't' }, { fetch })).toHaveCode('federated-config');
    expect(() => new FederatedClient({ endpoint: 'https://fed.example/', token: 't' }, { fetch })).not.toThrow();
    expect(() => new FederatedClient({ endpoint: 'http://127.0.0.1:8787/', token: 't' }, { fetch })).not.toThrow();
  });
});
