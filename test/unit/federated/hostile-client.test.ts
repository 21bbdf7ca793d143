/**
 * The federated server's HTTP face probed as a hostile client would (issue 16): one row
 * per kind of bad request, each asserting its 4xx status and typed `{ code }` body, and
 * afterwards that the round still holds exactly the one good update sent before the rows,
 * the served model files are unchanged, and a well-formed upload is still accepted.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../src/federated/token';
import { UPLOAD_PATH } from '../../../src/federated/server';
import { body, delta, LENGTH, SECRET, startTestServer, tempDir, token, type TestServer } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let s: TestServer;
let files: Record<string, string> = {};

const MODEL_FILES = ['/v1/model/manifest.json', '/v1/model/weights.bin', '/v1/model/items.json', '/v1/models/1/manifest.json', '/v1/models/1/weights.bin'];

async function servedFiles(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const url of MODEL_FILES) out[url] = (await s.server.app.inject({ method: 'GET', url })).body;
  return out;
}

beforeAll(async () => {
  tmp = await tempDir();
  s = await startTestServer({ dir: tmp.dir, policy: { minClients: 50, maxClients: 100 } });
  expect((await s.upload(token('alice'), body(1, delta(1)))).status).toBe(200);
  files = await servedFiles();
});

afterAll(async () => {
  await s.server.stop();
  await tmp.cleanup();
});

const bin = 'application/octet-stream';
const upload = (payload: Uint8Array | string, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'POST',
  url: UPLOAD_PATH,
  headers: { 'content-type': bin, authorization: `Bearer ${token('mallory')}`, ...headers },
  payload: typeof payload === 'string' ? payload : Buffer.from(payload),
});
const withValue = (i: number, x: number) => {
  const d = delta(7);
  d[i] = x;
  return body(1, d);
};
const get = (url: string): InjectOptions => ({ method: 'GET', url });

interface Row {
  kind: string;
  request: () => InjectOptions;
  status: number;
  code: string;
}

const ROWS: Row[] = [
  // Bodies
  { kind: 'a body one byte over the limit', request: () => upload(new Uint8Array(s.coordinator.maxBytes + 1)), status: 413, code: 'update-too-large' },
  { kind: 'a 50 MB body', request: () => upload(new Uint8Array(50 * 1024 * 1024)), status: 413, code: 'update-too-large' },
  { kind: 'a JSON body', request: () => upload(JSON.stringify({ delta: [1, 2, 3] }), { 'content-type': 'application/json' }), status: 415, code: 'update-malformed' },
  { kind: 'a text/plain body', request: () => upload(body(1, delta(7)), { 'content-type': 'text/plain' }), status: 415, code: 'update-malformed' },
  { kind: 'a multipart form', request: () => upload('--x\r\n\r\nhello\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }), status: 415, code: 'update-malformed' },
  { kind: 'a body without a content type', request: () => ({ ...upload(body(1, delta(7))), headers: { authorization: `Bearer ${token('mallory')}` } }), status: 415, code: 'update-malformed' },
  { kind: 'an empty body', request: () => upload(new Uint8Array(0)), status: 400, code: 'update-malformed' },
  { kind: 'random bytes', request: () => upload(Uint8Array.from({ length: 200 }, (_, i) => (i * 37) & 255)), status: 400, code: 'update-malformed' },
  { kind: 'a truncated update (its header promises more values)', request: () => upload(body(1, delta(7)).slice(0, 40)), status: 422, code: 'update-wrong-shape' },
  { kind: 'a NaN in the delta', request: () => upload(withValue(3, NaN)), status: 422, code: 'update-non-finite' },
  { kind: 'an Infinity in the delta', request: () => upload(withValue(0, Infinity)), status: 422, code: 'update-non-finite' },
  { kind: 'a -Infinity in the delta', request: () => upload(withValue(LENGTH - 1, -Infinity)), status: 422, code: 'update-non-finite' },
  { kind: 'a delta one value short', request: () => upload(body(1, delta(7, 0.5, LENGTH - 1))), status: 422, code: 'update-wrong-shape' },
  // The body limit is the size of a float32 delta of the served model, so one value more is too large before it is read.
  { kind: 'a delta one value long', request: () => upload(body(1, delta(7, 0.5, LENGTH + 1))), status: 413, code: 'update-too-large' },
  { kind: 'an int8 delta one value long', request: () => upload(body(1, delta(7, 0.5, LENGTH + 1), { dtype: 'int8' })), status: 422, code: 'update-wrong-shape' },
  { kind: 'an unknown dtype', request: () => upload(((b) => ((b[5] = 3), b))(body(1, delta(7)))), status: 422, code: 'update-wrong-dtype' },
  { kind: 'a delta beyond the clip bound', request: () => upload(body(1, delta(7, 100))), status: 422, code: 'update-norm-too-large' },
  { kind: 'a round that has not opened', request: () => upload(body(99, delta(7))), status: 409, code: 'update-unknown-round' },
  { kind: 'another model version', request: () => upload(body(1, delta(7), { modelVersion: 7 })), status: 409, code: 'update-stale-model' },
  { kind: 'the good update replayed by its sender', request: () => upload(body(1, delta(1)), { authorization: `Bearer ${token('alice')}` }), status: 409, code: 'update-duplicate' },
  // Tokens
  { kind: 'no Authorization header', request: () => ({ ...upload(body(1, delta(7))), headers: { 'content-type': bin } }), status: 401, code: 'update-token-missing' },
  { kind: 'a Basic Authorization header', request: () => upload(body(1, delta(7)), { authorization: 'Basic YWxpY2U6c2VjcmV0' }), status: 401, code: 'update-token-missing' },
  { kind: 'an empty bearer token', request: () => upload(body(1, delta(7)), { authorization: 'Bearer ' }), status: 401, code: 'update-token-missing' },
  { kind: 'a token signed with another secret', request: () => upload(body(1, delta(7)), { authorization: `Bearer ${mintToken('another-secret-xxxxxxx', 'mallory0', Date.now() + 60_000)}` }), status: 401, code: 'update-token-invalid' },
  { kind: 'an expired token', request: () => upload(body(1, delta(7)), { authorization: `Bearer ${token('mallory', -60_000)}` }), status: 401, code: 'update-token-invalid' },
  { kind: 'a token whose subject was edited', request: () => upload(body(1, delta(7)), { authorization: `Bearer ${token('mallory').replace('mallory', 'alice00')}` }), status: 401, code: 'update-token-invalid' },
  { kind: 'a token of 8 kB of garbage', request: () => upload(body(1, delta(7)), { authorization: `Bearer ${'A'.repeat(8192)}` }), status: 401, code: 'update-token-invalid' },
  { kind: 'a token the right signature with NaN expiry', request: () => upload(body(1, delta(7)), { authorization: `Bearer ${token('mallory').split('.').map((p, i) => (i === 2 ? 'NaN' : p)).join('.')}` }), status: 401, code: 'update-token-invalid' },
  // Model file routes
  { kind: 'a model file path climbing out with ..%2f', request: () => get('/v1/model/..%2f..%2fpackage.json'), status: 404, code: 'not-found' },
  { kind: 'a model file path climbing out with ../', request: () => get('/v1/model/../../package.json'), status: 404, code: 'not-found' },
  { kind: 'a kept version path climbing out', request: () => get('/v1/models/1/..%2f..%2f..%2fetc%2fpasswd'), status: 404, code: 'not-found' },
  { kind: 'a model file with a NUL byte', request: () => get('/v1/model/weights.bin%00.json'), status: 404, code: 'not-found' },
  { kind: 'an unknown model file', request: () => get('/v1/model/secret.key'), status: 404, code: 'not-found' },
  { kind: 'a negative model version', request: () => get('/v1/models/-1/manifest.json'), status: 404, code: 'not-found' },
  { kind: 'a model version beyond any integer', request: () => get('/v1/models/99999999999999999999/manifest.json'), status: 404, code: 'not-found' },
  { kind: 'a model version that does not exist', request: () => get('/v1/models/42/manifest.json'), status: 404, code: 'not-found' },
  // Routes and methods
  { kind: 'a POST to a model file', request: () => ({ ...upload(body(1, delta(7))), url: '/v1/model/manifest.json' }), status: 404, code: 'not-found' },
  { kind: 'a PUT of an update', request: () => ({ ...upload(body(1, delta(7))), method: 'PUT' }), status: 404, code: 'not-found' },
  { kind: 'a DELETE of the round', request: () => ({ method: 'DELETE', url: '/v1/round' }), status: 404, code: 'not-found' },
  { kind: 'an unknown route', request: () => get('/admin'), status: 404, code: 'not-found' },
];

describe('the federated server under hostile requests', () => {
  it.each(ROWS)('answers $kind with $status $code and loses nothing', async (r) => {
    const res = await s.server.app.inject(r.request());
    expect(res.statusCode).toBe(r.status);
    expect((res.json() as { code?: string }).code).toBe(r.code);
    expect((await s.coordinator.refresh()).accepted).toBe(1);
  });

  it('still serves the same model files and accepts a good update afterwards', async () => {
    expect(await servedFiles()).toEqual(files);
    expect((await s.upload(token('bob00000'), body(1, delta(2)))).status).toBe(200);
    expect((await s.coordinator.refresh()).accepted).toBe(2);
  });
});
