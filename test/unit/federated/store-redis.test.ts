/**
 * Several server processes share one round through Redis: exactly-once acceptance per
 * client and round, one aggregator, and acknowledged updates that survive a Redis crash.
 * Each coordinator here has its own Redis connection, as a separate process would.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/federated/coordinator';
import type { RoundPolicy } from '../../../src/federated/round';
import { RedisStore } from '../../../src/federated/store-redis';
import { isLocalrecError } from '../../../src/errors';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModelDir } from '../../../src/model/files-node';
import { body, delta, EXACT_POLICY, fixtureEncoded, SECRET, token } from './helpers';
import { startRedis, type RedisProcess } from '../../fixtures/redis-process';
import { spawnServer } from '../../fixtures/serve-process';

let redis: RedisProcess;
let prefix = '';
let n = 0;
const open: Coordinator[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined);
  await redis.stop();
});
beforeEach(() => {
  prefix = `t${++n}:`; // a fresh namespace per test, one Redis for the file
});

async function coordinator(policy: Partial<RoundPolicy> = {}, lockTtlMs = 60_000): Promise<Coordinator> {
  const c = new Coordinator({ store: new RedisStore(redis.url, prefix), initial: await fixtureEncoded(), policy: { ...EXACT_POLICY, minClients: 1, maxClients: 100, ...policy }, lockTtlMs });
  await c.start();
  open.push(c);
  return c;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (isLocalrecError(e)) return e.code;
    throw e;
  }
}

describe('Redis store shared by several server processes', () => {
  it('shares one round: an update accepted by one process is a duplicate at the other', async () => {
    const [a, b] = [await coordinator(), await coordinator()];
    await expect(a.submit('alice000', body(1, delta(1)))).resolves.toBeDefined();
    await expect(b.submit('alice000', body(1, delta(2)))).rejects.toHaveCode('update-duplicate');
    await expect(b.submit('bob00000', body(1, delta(3)))).resolves.toBeDefined();
    expect((await a.refresh()).accepted).toBe(2);
    expect([await b.hasUpdate('alice000'), await b.hasUpdate('carol000')]).toEqual([true, false]);
  });

  it('accepts exactly one of many concurrent uploads by the same client across processes', async () => {
    const cs = [await coordinator(), await coordinator(), await coordinator()];
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => code(cs[i % 3].submit('racer000', body(1, delta(i))))));
    expect(results.filter((r) => r === 'accepted')).toHaveLength(1);
    expect(results.filter((r) => r === 'update-duplicate')).toHaveLength(59);
  });

  it('holds the per-round cap across processes under concurrent uploads', async () => {
    const [a, b] = [await coordinator({ maxClients: 7, minClients: 7 }), await coordinator({ maxClients: 7, minClients: 7 })];
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => code((i % 2 ? a : b).submit(`client${String(i).padStart(3, '0')}`, body(1, delta(i))))));
    expect(results.filter((r) => r === 'accepted')).toHaveLength(7);
    expect(results.filter((r) => r !== 'accepted').every((r) => r === 'update-round-closed' || r === 'update-stale-round')).toBe(true);
  });

  it('lets exactly one process aggregate a round, and both then serve the same version 2', async () => {
    const [a, b] = [await coordinator({ minClients: 100 }), await coordinator({ minClients: 100 })];
    for (let i = 0; i < 5; i++) await (i % 2 ? a : b).submit(`client${i}000`, body(1, delta(i)));
    const [ra, rb] = await Promise.all([a.aggregateNow(), b.aggregateNow()]);
    expect([ra, rb].filter((r) => r !== null)).toHaveLength(1);
    expect([ra, rb].find((r) => r !== null)).toMatchObject({ clients: 5, toVersion: 2 });
    await a.refresh();
    await b.refresh();
    expect(a.describe()).toMatchObject({ roundId: 2, modelVersion: 2 });
    expect(b.currentModel().manifest.files).toEqual(a.currentModel().manifest.files);
    await expect(b.submit('client0000', body(1, delta(9)))).rejects.toHaveCode('update-stale-round');
  });

  it('finishes a round whose aggregator died after closing it, once its lock expires', async () => {
    const a = await coordinator({ minClients: 100 }, 300);
    const b = await coordinator({ minClients: 100 }, 300);
    await a.submit('alice000', body(1, delta(1)));
    await a.submit('bob00000', body(1, delta(2)));
    // Process A takes the lock and closes the round, then "dies" (never publishes or unlocks).
    const store = new RedisStore(redis.url, prefix);
    await store.open(await fixtureEncoded(), Date.now());
    expect(await store.lock(300)).not.toBeNull();
    expect(await store.closeRound(1)).toHaveLength(2);
    await store.close();
    await expect(b.submit('carol000', body(1, delta(3)))).rejects.toHaveCode('update-round-closed');
    expect(await b.tick()).toBeNull(); // lock still held
    await new Promise((r) => setTimeout(r, 350));
    expect(await b.tick()).toMatchObject({ roundId: 1, clients: 2, toVersion: 2 });
  });

  it('keeps every acknowledged update when Redis itself is killed and restarted (appendfsync always)', async () => {
    const a = await coordinator({ minClients: 100 });
    for (let i = 0; i < 20; i++) await a.submit(`client${String(i).padStart(3, '0')}`, body(1, delta(i)));
    await a.close();
    open.splice(open.indexOf(a), 1);
    await redis.kill();
    redis = await redis.restart();
    const b = await coordinator({ minClients: 100 });
    expect((await b.refresh()).accepted).toBe(20);
    await expect(b.submit('client005', body(1, delta(5)))).rejects.toHaveCode('update-duplicate');
    expect(await b.aggregateNow()).toMatchObject({ clients: 20 });
  });

  it('two server processes on one Redis: a process SIGKILLed mid-burst loses no acknowledged update, and through the other each device counts exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'localrec-fed-redis-'));
    await writeModelDir(join(dir, 'model'), await fixtureEncoded());
    // No DP and clip 1 (the deltas have norm 0.3); no per-address cap: every device is on loopback.
    const args = ['--model', join(dir, 'model'), '--redis', redis.url, '--no-dp', '--clip', '1', '--max-connections-per-address', '0', '--rate-limit', '0', '--max-clients', '100000', '--round-ms', '3600000'];
    const env = { LOCALREC_FED_SECRET: SECRET };
    // The CLI uses the default key prefix, so this test (the file's last) starts from an empty Redis.
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    await admin.flushall();
    const a = await spawnServer([...args, '--min-clients', '100000'], env);
    const b = await spawnServer([...args, '--min-clients', '100000'], env);
    try {
      const send = async (url: string, i: number) => {
        try {
          const res = await fetch(`${url}/v1/updates`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token(`dev${String(i).padStart(5, '0')}`)}`, 'content-type': 'application/octet-stream' },
            body: body(1, delta(i, 0.3)) as Uint8Array<ArrayBuffer>,
          });
          return res.status;
        } catch {
          return 0;
        }
      };
      const acked = new Set<number>();
      let killed = false;
      await Promise.all(
        Array.from({ length: 120 }, async (_, i) => {
          const status = await send(i % 2 ? a.url : b.url, i);
          if (status === 200) acked.add(i);
          if (!killed && acked.size >= 30) {
            killed = true;
            await a.kill('SIGKILL');
          }
        }),
      );
      expect(killed).toBe(true);
      // Every device retries through the surviving process: the acknowledged ones are duplicates.
      const retry = await Promise.all(Array.from({ length: 120 }, (_, i) => send(b.url, i)));
      const wrong = retry.flatMap((st, i) => (acked.has(i) && st !== 409) || (!acked.has(i) && st !== 200 && st !== 409) ? [`${i}: ${st}`] : []);
      expect(wrong).toEqual([]);
      const round = (await (await fetch(`${b.url}/v1/round`)).json()) as { roundId: number };
      expect(round.roundId).toBe(1);
      const store = new RedisStore(redis.url);
      await store.open(await fixtureEncoded(), Date.now());
      expect((await store.state()).accepted).toBe(120);
      await store.close();
    } finally {
      await a.kill('SIGKILL');
      await b.kill('SIGKILL');
      await admin.quit();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
