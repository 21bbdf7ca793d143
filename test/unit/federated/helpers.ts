/** Shared set-up for the federated server tests: a small fixture model, tokens, valid deltas. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../../../src/data/random';
import { clipL2 } from '../../../src/federated/clip';
import { Coordinator } from '../../../src/federated/coordinator';
import { DEFAULT_POLICY, NO_DP, type RoundPolicy } from '../../../src/federated/round';
import { buildServer, UPLOAD_PATH, type ServerOptions } from '../../../src/federated/server';
import type { FederatedStore } from '../../../src/federated/store';
import { FileStore } from '../../../src/federated/store-file';
import { mintToken } from '../../../src/federated/token';
import { encodeUpdate, type WireDtype } from '../../../src/federated/wire';
import { encodeModel, type EncodedModel } from '../../../src/model/format';
import { DEFAULT_CONTENT, DEFAULT_INNER, DEFAULT_POOLING, towerSize } from '../../../src/model/weights';
import { fixtureWeights } from '../../fixtures/make-model';

export const SECRET = 'test-secret-0123456789';
export const ORIGIN = 'https://shop.example';
export const D = 8;
export const HIDDEN = 8;
export const LENGTH = towerSize(D, HIDDEN);

export async function fixtureEncoded(version = 1): Promise<EncodedModel> {
  const { weights, items } = fixtureWeights({ name: 'fed', items: 40, categories: 4, seed: 5, modelVersion: version, d: D, hidden: HIDDEN });
  return encodeModel({ name: 'fed', modelVersion: version, weights, items, config: { pooling: DEFAULT_POOLING, inner: DEFAULT_INNER, content: DEFAULT_CONTENT } });
}

export function token(subject: string, ttlMs = 3_600_000): string {
  return mintToken(SECRET, subject.padEnd(8, '0'), Date.now() + ttlMs);
}

/** A delta with L2 norm `norm` (below the default clip of 1 unless asked otherwise). */
export function delta(seed: number, norm = 0.5, length = LENGTH): Float32Array {
  const rng = createRng(seed);
  const v = Float32Array.from({ length }, () => rng.normal());
  clipL2(v, 1);
  for (let i = 0; i < v.length; i++) v[i] *= norm;
  return v;
}

export function body(roundId: number, values: Float32Array, opts: { modelVersion?: number; dtype?: WireDtype } = {}): Uint8Array {
  return encodeUpdate({ modelVersion: opts.modelVersion ?? 1, roundId, values, dtype: opts.dtype ?? 'float32' });
}

export async function tempDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'localrec-fed-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The policy most server tests run under: no DP and clip 1, so a published step can be
 * checked against the mean of exactly the accepted deltas. The private defaults have
 * their own tests (server.test.ts, "private by default").
 */
export const EXACT_POLICY: RoundPolicy = { ...DEFAULT_POLICY, ...NO_DP, clip: 1 };

export interface TestServer {
  coordinator: Coordinator;
  server: Awaited<ReturnType<typeof buildServer>>;
  upload(tokenValue: string | null, bytes: Uint8Array, contentType?: string): Promise<{ status: number; code?: string; json: Record<string, unknown> }>;
}

export async function startTestServer(opts: {
  store?: FederatedStore;
  dir?: string;
  policy?: Partial<RoundPolicy>;
  server?: Partial<ServerOptions>;
  initial?: EncodedModel;
}): Promise<TestServer> {
  const store = opts.store ?? new FileStore(opts.dir!);
  const coordinator = new Coordinator({ store, initial: opts.initial ?? (await fixtureEncoded()), policy: { ...EXACT_POLICY, minClients: 2, maxClients: 5, ...opts.policy } });
  await coordinator.start();
  const server = await buildServer({ coordinator, tokenSecrets: [SECRET], origins: [ORIGIN], rateLimit: false, tickMs: 0, ...opts.server });
  return {
    coordinator,
    server,
    async upload(tokenValue, bytes, contentType = 'application/octet-stream') {
      const headers: Record<string, string> = { 'content-type': contentType };
      if (tokenValue) headers.authorization = `Bearer ${tokenValue}`;
      const res = await server.app.inject({ method: 'POST', url: UPLOAD_PATH, headers, payload: Buffer.from(bytes) });
      const json = res.json() as Record<string, unknown>;
      return { status: res.statusCode, code: typeof json.code === 'string' ? json.code : undefined, json };
    },
  };
}
