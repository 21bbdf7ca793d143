/**
 * Private by default: the server's default policy gives user-level DP (central noise on the
 * mean), turning it off is an explicit choice, and the privacy budget stops publishing when
 * the next round would take ε above it — saying so in the round description, the logs and
 * /metrics, refusing uploads it would never publish, and serving the last model.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { composedEpsilon, sampledGaussianEpsilon } from '../../../src/federated/accountant';
import { Coordinator } from '../../../src/federated/coordinator';
import { privacyReport, roundsWithinBudget } from '../../../src/federated/privacy';
import { checkPolicy, DEFAULT_POLICY, NO_DP, type RoundPolicy } from '../../../src/federated/round';
import { buildServer, UPLOAD_PATH } from '../../../src/federated/server';
import { FileStore } from '../../../src/federated/store-file';
import { body, delta, fixtureEncoded, SECRET, tempDir, token } from './helpers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(policy: Partial<RoundPolicy>) {
  const tmp = await tempDir();
  const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const coordinator = new Coordinator({
    store: new FileStore(tmp.dir),
    initial: await fixtureEncoded(),
    policy: { ...DEFAULT_POLICY, minClients: 1, maxClients: 100, ...policy },
    log: (level, msg, fields) => logs.push({ level, msg, fields }),
  });
  await coordinator.start();
  const server = await buildServer({ coordinator, tokenSecrets: [SECRET], origins: [], rateLimit: false, tickMs: 0 });
  cleanups.push(tmp.cleanup, () => server.stop());
  return { coordinator, server, logs };
}

async function publishRound(c: Coordinator, round: number, clients: string[]) {
  for (const [i, who] of clients.entries()) await c.submit(who.padEnd(8, '0'), body(round, delta(round * 10 + i, 0.2), { modelVersion: round }));
  return c.aggregateNow();
}

const metric = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);

describe('private by default', () => {
  it('defaults to user-level DP: the simulation’s clip 0.25 and central noise 1 on the mean, with a finite budget', () => {
    expect(DEFAULT_POLICY).toMatchObject({ dp: true, clip: 0.25, centralNoise: 1, aggregator: 'mean' });
    expect(Number.isFinite(DEFAULT_POLICY.maxEpsilon)).toBe(true);
    const p = privacyReport({ rounds: 1, centralNoise: 1, localNoise: 0, delta: DEFAULT_POLICY.dpDelta, samplingRate: 1, aggregator: 'mean', maxEpsilon: DEFAULT_POLICY.maxEpsilon });
    expect(p.central.epsilon).toBeGreaterThan(0);
    expect(p.central.epsilon).toBeLessThan(DEFAULT_POLICY.maxEpsilon);
  });

  it('refuses a policy that claims DP without a guarantee, and accepts it only as an explicit no-DP choice', () => {
    const policy = (over: Partial<RoundPolicy>) => () => checkPolicy({ ...DEFAULT_POLICY, ...over });
    expect(policy({ centralNoise: 0 })).toThrow(expect.objectContaining({ code: 'federated-config' }));
    expect(policy({ aggregator: 'median' })).toThrow(expect.objectContaining({ code: 'federated-config' }));
    expect(policy({ aggregator: 'trimmed-mean' })).toThrow(expect.objectContaining({ code: 'federated-config' }));
    expect(policy({ maxEpsilon: 0 })).toThrow(expect.objectContaining({ code: 'federated-config' }));
    expect(policy({ ...NO_DP, aggregator: 'median' })).not.toThrow();
  });

  it('logs the guarantee and how many rounds the budget allows at start, and warns when DP is off', async () => {
    const { logs } = await start({});
    const info = logs.find((l) => l.msg.includes('differential privacy'));
    // q = 1 (no population configured), z = 1 on the deltas and 4 on the quality reports, δ = 1e-6:
    // ε(2 rounds) = 8.11 ≤ 10 < ε(3 rounds) = 10.23 (the deltas alone: 9.86 after 3).
    expect(info?.fields).toMatchObject({ clip: 0.25, centralNoise: 1, reportNoise: 4, maxEpsilon: 10, roundsWithinBudget: 2 });
    const off = await start({ ...NO_DP });
    expect(off.logs.find((l) => l.level === 'warn' && /differential privacy is OFF/.test(l.msg))).toBeDefined();
    expect(off.coordinator.describe().privacy?.budget).toEqual({ maxEpsilon: null, spent: null, exhausted: false });
  });

  it('counts the rounds the budget allows as the accountant does', () => {
    const s = { centralNoise: 1, localNoise: 0, delta: 1e-6, samplingRate: 1, aggregator: 'mean' as const, maxEpsilon: 9 };
    const n = roundsWithinBudget(s);
    expect(sampledGaussianEpsilon(1, 1, n, 1e-6).epsilon).toBeLessThanOrEqual(9);
    expect(sampledGaussianEpsilon(1, 1, n + 1, 1e-6).epsilon).toBeGreaterThan(9);
    // With sampling amplification the same budget reaches much further.
    expect(roundsWithinBudget({ ...s, samplingRate: 0.01 })).toBeGreaterThan(100 * n);
    expect(roundsWithinBudget({ ...s, maxEpsilon: Infinity })).toBe(Infinity);
  });

  const spentAfter2 = composedEpsilon([{ samplingRate: 1, noiseMultiplier: 1, count: 2 }, { samplingRate: 1, noiseMultiplier: DEFAULT_POLICY.reportNoise, count: 2 }], 1e-6).epsilon;

  it('stops publishing when the next round would exceed the budget: paused in the round, logs and /metrics, uploads refused, the last model served', async () => {
    // q = 1, z = 1 (and the reports' z = 4), δ = 1e-6: ε after 2 rounds 8.11, after 3 rounds 10.23 — a budget of 9 allows exactly two.
    const { coordinator: c, server, logs } = await start({ maxEpsilon: 9 });
    expect((await publishRound(c, 1, ['alice', 'bob']))?.toVersion).toBe(2);
    expect((await publishRound(c, 2, ['alice', 'carol']))?.toVersion).toBe(3);

    const d = c.describe();
    expect(d).toMatchObject({ roundId: 3, modelVersion: 3, state: 'paused', paused: { reason: 'privacy-budget' } });
    expect(d.privacy?.budget.maxEpsilon).toBe(9);
    expect(d.privacy?.budget.spent).toBeCloseTo(spentAfter2, 3);
    expect(d.privacy?.budget.exhausted).toBe(true);

    const res = await server.app.inject({
      method: 'POST',
      url: UPLOAD_PATH,
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token('dave')}` },
      payload: Buffer.from(body(3, delta(5, 0.2), { modelVersion: 3 })),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'update-round-closed', details: { reason: 'privacy-budget' } });
    expect(await c.aggregateNow()).toBeNull();
    expect(await c.tick()).toBeNull();
    expect(logs.filter((l) => l.level === 'warn' && l.msg === 'no more rounds are published')).toHaveLength(1);

    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(metrics, 'localrec_epsilon_spent')).toBeCloseTo(spentAfter2, 3);
    expect(metric(metrics, 'localrec_epsilon_budget')).toBe(9);
    expect(metrics).toMatch(/^localrec_fed_paused\{reason="privacy-budget"\} 1$/m);

    const manifest = (await server.app.inject({ method: 'GET', url: '/v1/model/manifest.json' })).json() as { modelVersion: number };
    expect(manifest.modelVersion).toBe(3);
  });
});
