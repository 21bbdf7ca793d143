/**
 * Federated evaluation on the server: POST /v1/reports takes one 28-byte quality report per
 * device and round on the version the round trains, stores it durably (a restart keeps it),
 * releases the noised aggregate with the next version, rolls back a version the devices found
 * worse beyond the noise, and counts the release in the same accountant as the deltas.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composedEpsilon } from '../../../src/federated/accountant';
import type { QualityRelease } from '../../../src/federated/coordinator';
import { encodeQualityReport, REPORT_BYTES, type QualityReport } from '../../../src/federated/quality';
import { DEFAULT_POLICY, parseRound } from '../../../src/federated/round';
import { FileStore } from '../../../src/federated/store-file';
import { decodeModel } from '../../../src/model/format';
import { flattenTower } from '../../../src/model/weights';
import { body, delta, startTestServer, tempDir, token, type TestServer } from './helpers';

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

async function report(bytes: Uint8Array, tokenValue: string | null = token('alice'), at = s): Promise<{ status: number; code?: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (tokenValue) headers.authorization = `Bearer ${tokenValue}`;
  const res = await at.server.app.inject({ method: 'POST', url: '/v1/reports', headers, payload: Buffer.from(bytes) });
  const json = res.json() as { code?: string };
  return { status: res.statusCode, code: json.code };
}

const q = (over: Partial<QualityReport> = {}): Uint8Array => encodeQualityReport({ candidateVersion: 2, referenceVersion: 1, roundId: 2, candidate: 0.3, reference: 0.2, ...over });

/** Publishes round `roundId` from two devices' updates against `modelVersion`. */
async function publish(roundId: number, modelVersion: number, at = s): Promise<void> {
  for (const who of ['u1', 'u2']) expect((await at.upload(token(`${who}r${roundId}`), body(roundId, delta(roundId), { modelVersion }))).status).toBe(200);
  expect(await at.coordinator.aggregateNow()).toMatchObject({ toVersion: modelVersion + 1 });
}

async function describeRound(tokenValue?: string, at = s) {
  const res = await at.server.app.inject({ method: 'GET', url: '/v1/round', headers: tokenValue ? { authorization: `Bearer ${tokenValue}` } : {} });
  return res.json() as ReturnType<typeof parseRound>;
}

const qualityOf = async (at = s) => (at.coordinator.currentModel().manifest.training!.federated as { quality?: QualityRelease }).quality;

describe('federated evaluation on the server', () => {
  it('the first version (not trained here) collects no reports; the next one does, against the version it came from', async () => {
    expect((await describeRound()).reports).toBeUndefined();
    expect(await report(q({ candidateVersion: 1, referenceVersion: 0, roundId: 1 }))).toMatchObject({ status: 409, code: 'update-round-closed' });
    await publish(1, 1);
    const d = await describeRound(token('alice'));
    expect(parseRound(d)).toMatchObject({ roundId: 2, modelVersion: 2, reports: { version: 2, reference: 1 }, reported: false });
    // Without a token the round does not say whether someone reported.
    expect((await describeRound()).reported).toBeUndefined();
  });

  it('takes one 28-byte report per device and round, refuses everything else with a code, and says so in the round', async () => {
    await publish(1, 1);
    expect(await report(q())).toMatchObject({ status: 200 });
    expect((await describeRound(token('alice'))).reported).toBe(true);
    expect(await report(q())).toMatchObject({ status: 409, code: 'update-duplicate' });
    expect(await report(q(), null)).toMatchObject({ status: 401, code: 'update-token-missing' });
    expect(await report(q({ candidateVersion: 3 }), token('bob'))).toMatchObject({ status: 409, code: 'update-stale-model' });
    expect(await report(q({ referenceVersion: 0 }), token('bob'))).toMatchObject({ status: 409, code: 'update-stale-model' });
    expect(await report(q({ roundId: 1 }), token('bob'))).toMatchObject({ status: 409, code: 'update-stale-round' });
    expect(await report(q({ roundId: 3 }), token('bob'))).toMatchObject({ status: 409, code: 'update-unknown-round' });
    const long = new Uint8Array(REPORT_BYTES + 1);
    long.set(q());
    expect(await report(long, token('bob'))).toMatchObject({ status: 413, code: 'update-too-large' });
    const outOfRange = q();
    new DataView(outOfRange.buffer).setFloat32(20, 1.5, true);
    expect(await report(outOfRange, token('bob'))).toMatchObject({ status: 422, code: 'update-norm-too-large' });
    // An update is not a report, and a report is not an update.
    expect(await report(body(2, delta(1), { modelVersion: 2 }), token('bob'))).toMatchObject({ status: 413 });
    expect(await s.upload(token('bob'), q())).toMatchObject({ status: 400, code: 'update-malformed' });
    // The device's update in the same round is its own record.
    expect((await s.upload(token('alice'), body(2, delta(2), { modelVersion: 2 }))).status).toBe(200);
    expect(await s.coordinator.refresh()).toMatchObject({ accepted: 1 });
  });

  it('publishes the aggregate with the next version (here without noise: the exact means) and in /metrics', async () => {
    await publish(1, 1);
    const pairs: [number, number][] = [[0.3, 0.2], [0.5, 0.5], [0.1, 0.3]];
    for (const [i, [c, r]] of pairs.entries()) expect((await report(q({ candidate: c, reference: r }), token(`dev${i}`))).status).toBe(200);
    await publish(2, 2);
    const rel = (await qualityOf())!;
    expect(rel).toMatchObject({ version: 2, referenceVersion: 1, reports: 3, decision: 'keep' });
    expect(rel.hit10).toBeCloseTo(0.3, 6);
    expect(rel.referenceHit10).toBeCloseTo(1 / 3, 6);
    // Differences clipped to ±0.1: (0.1 + 0 − 0.1) / 3.
    expect(rel.difference).toBeCloseTo(0, 6);
    const m = (await s.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(m).toMatch(/localrec_fed_quality_hit10\{version="candidate"\} 0\.3/);
    expect(m).toMatch(/localrec_fed_reports_accepted_total 3/);
  });

  it('rolls back a version the devices found worse beyond the noise: the next version has the older tower', async () => {
    await publish(1, 1);
    for (let i = 0; i < 5; i++) expect((await report(q({ candidate: 0.1, reference: 0.4 }), token(`dev${i}`))).status).toBe(200);
    await publish(2, 2);
    const v3 = s.coordinator.currentModel();
    expect((v3.manifest.training!.federated as Record<string, unknown>).rolledBackTo).toBe(1);
    expect((await qualityOf())!.decision).toBe('roll-back');
    const tower = async (v: number) => flattenTower((await decodeModel((await s.coordinator.modelVersion(v))!.manifest, (await s.coordinator.modelVersion(v))!.files)).weights.tower);
    expect(Array.from(await tower(3))).toEqual(Array.from(await tower(1)));
    expect(Array.from(await tower(3))).not.toEqual(Array.from(await tower(2)));
  });

  it('does not anneal its step on a release it keeps: the next version is the kept one plus the whole step', async () => {
    await publish(1, 1);
    const pairs: [number, number][] = [[0.3, 0.35], [0.5, 0.45], [0.1, 0.2]];
    for (const [i, [c, r]] of pairs.entries()) expect((await report(q({ candidate: c, reference: r }), token(`dev${i}`))).status).toBe(200);
    const v2 = flattenTower((await decodeModel(s.coordinator.currentModel().manifest, s.coordinator.currentModel().files)).weights.tower);
    await publish(2, 2); // both devices send delta(2): the mean is delta(2)
    const rel = (await qualityOf())!;
    expect(rel.decision).toBe('keep');
    expect(rel.difference).toBeLessThan(0);
    const v3 = s.coordinator.currentModel();
    const t3 = flattenTower((await decodeModel(v3.manifest, v3.files)).weights.tower);
    const d = delta(2);
    expect(Math.max(...t3.map((x, i) => Math.abs(x - (v2[i] + d[i]))))).toBeLessThan(1e-6);
  });

  it('keeps accepted reports across a restart (the round log holds them beside the updates)', async () => {
    await publish(1, 1);
    expect((await report(q({ candidate: 0.4, reference: 0.2 }), token('dev0'))).status).toBe(200);
    await s.server.stop();
    s = await startTestServer({ store: new FileStore(tmp.dir) });
    expect((await describeRound(token('dev0'))).reported).toBe(true);
    expect(await report(q(), token('dev0'))).toMatchObject({ status: 409, code: 'update-duplicate' });
    await publish(2, 2);
    expect(await qualityOf()).toMatchObject({ reports: 1, decision: 'promote' }); // one device, +0.1, no noise: significant
    expect((await qualityOf())!.hit10).toBeCloseTo(0.4, 6);
  });

  it("counts the reports' releases in the same accountant as the deltas, and turned off they cost nothing", async () => {
    await s.server.stop();
    const dp = { ...DEFAULT_POLICY, minClients: 2, maxClients: 5, dpDelta: 1e-5 };
    s = await startTestServer({ dir: tmp.dir, policy: dp });
    const eps = (await describeRound()).privacy!.central.epsilon!;
    const both = composedEpsilon([{ samplingRate: 1, noiseMultiplier: 1, count: 1 }, { samplingRate: 1, noiseMultiplier: DEFAULT_POLICY.reportNoise, count: 1 }], 1e-5).epsilon;
    const deltasOnly = composedEpsilon([{ samplingRate: 1, noiseMultiplier: 1, count: 1 }], 1e-5).epsilon;
    expect(eps).toBeCloseTo(both, 3);
    expect(both).toBeGreaterThan(deltasOnly);
    await s.server.stop();
    const off = await tempDir();
    s = await startTestServer({ dir: off.dir, policy: { ...dp, reports: false } });
    expect((await describeRound()).privacy!.central.epsilon).toBeCloseTo(deltasOnly, 3);
    await off.cleanup();
  });
});
