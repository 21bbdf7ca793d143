/**
 * SIGKILL at any moment loses no acknowledged update, counts none twice, and never
 * serves a half-written model: a real server process is killed during an upload burst
 * and during aggregation/publishing, restarted on the same directory, and checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { addScaled } from '../../../src/federated/delta';
import { parseRound } from '../../../src/federated/round';
import { FileStore } from '../../../src/federated/store-file';
import { decodeUpdate } from '../../../src/federated/wire';
import { decodeModel } from '../../../src/model/format';
import { writeModelDir } from '../../../src/model/files-node';
import { flattenTower } from '../../../src/model/weights';
import { body, delta, fixtureEncoded, LENGTH, SECRET, tempDir, token } from './helpers';
import { spawnServer, type ServerProcess } from '../../fixtures/serve-process';

const ENV = { LOCALREC_FED_SECRET: SECRET };
const CLIENTS = 240;
const clientId = (i: number) => `client${String(i).padStart(4, '0')}`;
const update = (i: number, round = 1) => body(round, delta(1000 + i, 0.3), { modelVersion: round, dtype: i % 2 ? 'int8' : 'float32' });

let tmp: Awaited<ReturnType<typeof tempDir>>;
let modelDir: string;
let dataDir: string;
let server: ServerProcess | null = null;

beforeAll(async () => {
  tmp = await tempDir();
  modelDir = join(tmp.dir, 'model');
  dataDir = join(tmp.dir, 'data');
  await writeModelDir(modelDir, await fixtureEncoded());
});
afterAll(async () => {
  await server?.kill('SIGKILL');
  await tmp.cleanup();
});

// --no-dp: every published step is checked against the exact mean of the acknowledged deltas.
// No per-address cap: the whole burst comes from one loopback address.
const collectOnly = ['--no-dp', '--clip', '1', '--max-connections-per-address', '0', '--min-clients', '100000', '--max-clients', '100000', '--round-ms', '3600000', '--rate-limit', '0'];

async function upload(url: string, i: number, round = 1, modelVersion = 1): Promise<number | 'error'> {
  try {
    const res = await fetch(`${url}/v1/updates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token(clientId(i))}`, 'content-type': 'application/octet-stream' },
      body: body(round, delta(1000 + i, 0.3), { modelVersion, dtype: i % 2 ? 'int8' : 'float32' }) as Uint8Array<ArrayBuffer>,
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'error';
  }
}

async function get(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe('file store under SIGKILL', () => {
  const acked = new Set<number>();

  it('keeps every acknowledged update, exactly once, when killed during an upload burst', async () => {
    server = await spawnServer(['--model', modelDir, '--data', dataDir, ...collectOnly], ENV);
    const url = server.url;
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (next < CLIENTS) {
        const i = next++;
        const status = await upload(url, i);
        if (status === 200) acked.add(i);
        if (!killed && acked.size >= 60) {
          killed = true;
          await server!.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 24 }, worker));
    expect(killed).toBe(true);
    expect(acked.size).toBeGreaterThanOrEqual(60);
    expect(acked.size).toBeLessThan(CLIENTS); // the kill really interrupted the burst

    // Restart; every client retries. Acknowledged ones must be duplicates, the rest accepted.
    server = await spawnServer(['--model', modelDir, '--data', dataDir, ...collectOnly], ENV);
    const again = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => upload(server!.url, i)));
    const wrong = again.flatMap((s, i) => (s === (acked.has(i) ? 409 : 200) ? [] : [`client ${i}: ${s}, acked before: ${acked.has(i)}`]));
    // An update written but not acknowledged before the kill is also a 409 on retry: it counts once, which is right.
    const unackedButStored = wrong.filter((w) => w.endsWith('409, acked before: false'));
    expect(wrong.filter((w) => !unackedButStored.includes(w))).toEqual([]);
    await server.kill('SIGKILL');

    const store = new FileStore(dataDir);
    await store.open(await fixtureEncoded(), Date.now());
    const updates = (await store.closeRound(1))!;
    await store.close();
    const ids = updates.map((u) => u.clientId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(CLIENTS);
  });

  it('publishes each round exactly once, from exactly its acknowledged updates, and serves only verified models, when killed during aggregation and publishing', async () => {
    // Round 1 holds the burst's CLIENTS updates. Each iteration starts an aggregating server
    // (checks every 10 ms) and kills it after a random few milliseconds — before, during or
    // after closing, aggregating, writing version N+1 and switching — then checks what a
    // restarted server serves, and adds a batch of new updates for the next iteration.
    const base = await decodeModel((await fixtureEncoded()).manifest, (await fixtureEncoded()).files);
    let theta = flattenTower(base.weights.tower);
    let version = 1;
    let pending = Array.from({ length: CLIENTS }, (_, i) => i); // acknowledged, not yet published
    let nextClient = CLIENTS;
    const aggregating = ['--no-dp', '--clip', '1', '--max-connections-per-address', '0', '--min-clients', '1', '--max-clients', '100000', '--round-ms', '1', '--rate-limit', '0', '--tick-ms', '10'];
    let landedBeforeSwitch = 0;
    let landedAfterSwitch = 0;
    // Publishing takes ≈ 20–60 ms after start here: 0 ms lands before it, 1000 ms after, the others in between or near.
    const delays = [20, 1000, 35, 50, 0, 65, 45, 80];
    for (const delayMs of delays) {
      server = await spawnServer(['--model', modelDir, '--data', dataDir, ...aggregating], ENV);
      await new Promise((r) => setTimeout(r, delayMs + Math.random() * 10));
      await server.kill('SIGKILL');

      server = await spawnServer(['--model', modelDir, '--data', dataDir, ...collectOnly], ENV);
      const now = parseRound(await (await fetch(`${server.url}/v1/round`)).json());
      const manifest: unknown = JSON.parse(new TextDecoder().decode(await get(`${server.url}/v1/model/manifest.json`)));
      // decodeModel checks every file against the manifest's hashes: a half-written model cannot pass.
      const served = await decodeModel(manifest, { 'weights.bin': await get(`${server.url}/v1/model/weights.bin`), 'items.json': await get(`${server.url}/v1/model/items.json`) });
      expect(served.manifest.modelVersion).toBe(now.modelVersion);
      if (now.modelVersion === version) {
        landedBeforeSwitch++;
        expect(flattenTower(served.weights.tower)).toEqual(theta);
      } else {
        landedAfterSwitch++;
        expect(now.modelVersion).toBe(version + 1);
        expect((served.manifest.training as { federated?: { clients?: number } }).federated?.clients).toBe(pending.length);
        // θ_{N+1} = θ_N + mean of exactly the round's acknowledged deltas, each once.
        const sum = new Float64Array(LENGTH);
        for (const i of pending) {
          const v = decodeUpdate(update(i, version), { length: LENGTH, dtypes: ['float32', 'int8'] }).values;
          for (let k = 0; k < LENGTH; k++) sum[k] += v[k];
        }
        const want = addScaled(theta, Float32Array.from(sum, (x) => x / pending.length), 1);
        const got = flattenTower(served.weights.tower);
        let worst = 0;
        for (let k = 0; k < LENGTH; k++) worst = Math.max(worst, Math.abs(got[k] - want[k]));
        expect(worst).toBeLessThan(1e-6);
        theta = got;
        version = now.modelVersion;
        pending = [];
      }
      // A few more devices send to the open round before the next kill.
      const batch = Array.from({ length: 8 }, () => nextClient++);
      const statuses = await Promise.all(batch.map((i) => upload(server!.url, i, now.roundId, version)));
      expect(statuses).toEqual(batch.map(() => 200));
      pending.push(...batch);
      await server.kill('SIGKILL');
    }
    // At least one publish must have happened for the step check to have run (the 1000 ms kill guarantees it).
    // Where the short kills land depends on the machine's load; server.test.ts covers "died before the switch" deterministically.
    console.log(`kills before the switch: ${landedBeforeSwitch}, after: ${landedAfterSwitch}`);
    expect(landedAfterSwitch).toBeGreaterThan(0);
    server = null;
  });
});
