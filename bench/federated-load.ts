/**
 * `npm run bench:federated` — a load run, not a timed test: simulated devices (the real
 * Worker client, FederatedClient, over Node's fetch) go through several rounds against
 * two server processes that share one round through Redis, all on loopback. Some
 * devices also resend their update or send an over-long delta, to exercise refusals.
 * Bounded in count and time; stops by itself and writes bench/reports/federated-load.json.
 *
 * Options: --clients 500 --rounds 5 --concurrency 48 --time-limit-s 480
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../src/data/random';
import { FederatedClient } from '../src/federated/client';
import { clipL2 } from '../src/federated/clip';
import { l2Norm } from '../src/federated/delta';
import { decodeUpdate, encodeUpdate } from '../src/federated/wire';
import { mintToken } from '../src/federated/token';
import { decodeModel } from '../src/model/format';
import { flattenTower, unflattenTower, type TowerParams } from '../src/model/weights';
import { startRedis } from '../test/fixtures/redis-process';
import { spawnServer, type ServerProcess } from '../test/fixtures/serve-process';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '48' },
    'time-limit-s': { type: 'string', default: '480' },
    model: { type: 'string', default: 'public/models/shop' },
    out: { type: 'string', default: 'bench/reports/federated-load.json' },
    force: { type: 'boolean', default: false },
  },
});
// An existing report is committed evidence: replacing it must be asked for.
if (!args.force && existsSync(args.out!)) {
  console.error(`${args.out} exists (a committed report); pass --force to replace it, or --out <file>`);
  process.exit(1);
}
const CLIENTS = Number(args.clients);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);
const DEADLINE = Date.now() + Number(args['time-limit-s']) * 1000;
const SECRET = `bench-secret-${Date.now()}`;
const CLIP = 1;

interface Round {
  roundId: number;
  modelVersion: number;
  length: number;
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

async function tower(base: string, version: number): Promise<Float32Array> {
  const get = async (f: string) => new Uint8Array(await (await fetch(`${base}/v1/models/${version}/${f}`)).arrayBuffer());
  const manifest: unknown = JSON.parse(new TextDecoder().decode(await get('manifest.json')));
  const m = await decodeModel(manifest, { 'weights.bin': await get('weights.bin'), 'items.json': await get('items.json') });
  return flattenTower(m.weights.tower);
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const servers: ServerProcess[] = [];
  const cleanup = async () => {
    for (const s of servers) await s.kill('SIGTERM').catch(() => undefined);
    await redis.stop().catch(() => undefined);
  };
  const timer = setTimeout(() => {
    console.error('time limit reached: stopping');
    void cleanup().then(() => process.exit(2));
  }, DEADLINE - Date.now());
  timer.unref();

  try {
    // Each round closes as soon as every device has sent (the cap), so the run measures uploads, not waiting.
    // No DP: every published step is checked against the exact mean; no per-address cap: every device is on loopback.
    const policy = ['--no-dp', '--max-connections-per-address', '0', '--min-clients', String(CLIENTS), '--max-clients', String(CLIENTS), '--round-ms', '3600000', '--rate-limit', '0', '--clip', String(CLIP)];
    for (let i = 0; i < 2; i++) servers.push(await spawnServer(['--model', args.model!, '--redis', redis.url, ...policy], { LOCALREC_FED_SECRET: SECRET }));
    const urls = servers.map((s) => s.url);
    const first = await getJson<Round>(`${urls[0]}/v1/round`);
    const n = first.length;
    console.log(`servers ${urls.join(', ')} share Redis at ${redis.url}; tower ${n} values; ${CLIENTS} clients × ${ROUNDS} rounds`);

    const latencies: number[] = [];
    const rejectedByCode: Record<string, number> = {};
    let acked = 0;
    let lostAcked = 0;
    let duplicates = 0;
    let uploadBytes = 0;
    let worstAggregateError = 0;
    const perRound: { roundId: number; acked: number; counted: number; seconds: number; aggregateMaxAbsError: number }[] = [];

    const zero: TowerParams = unflattenTower(new Float32Array(n), 32, (n - 32) / 65);
    const dims = { d: 32, hidden: (n - 32) / 65 }; // n = 2·d·h + h + d with d = 32
    if (!Number.isInteger(dims.hidden)) throw new Error(`tower of ${n} values does not have d = 32`);

    // One FederatedClient per device (it remembers the rounds it sent), each pinned to one of the two servers.
    const ackedBodies = new Map<number, Uint8Array[]>();
    const devices = Array.from({ length: CLIENTS }, (_, i) => {
      const base = urls[i % 2];
      const token = mintToken(SECRET, `device${String(i).padStart(6, '0')}`, Date.now() + 3_600_000);
      const timedFetch = (async (input: string | URL | Request, init?: RequestInit) => {
        const post = init?.method === 'POST';
        const t0 = performance.now();
        const res = await fetch(input, init);
        if (!post) return res;
        latencies.push(performance.now() - t0);
        const body = init!.body as Uint8Array;
        uploadBytes += body.byteLength;
        if (res.ok) {
          acked++;
          const { roundId } = decodeUpdate(body, { length: n, dtypes: ['int8', 'float32'] });
          if (!ackedBodies.has(roundId)) ackedBodies.set(roundId, []);
          ackedBodies.get(roundId)!.push(body);
        } else {
          const j = (await res.clone().json()) as { code?: string };
          rejectedByCode[j.code ?? String(res.status)] = (rejectedByCode[j.code ?? String(res.status)] ?? 0) + 1;
        }
        return res;
      }) as typeof fetch;
      return { i, base, token, client: new FederatedClient({ endpoint: `${base}/`, token }, { fetch: timedFetch, maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 2000 }) };
    });

    for (let r = 0; r < ROUNDS; r++) {
      const round = await getJson<Round>(`${urls[0]}/v1/round`);
      const t0 = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < devices.length) {
          const dev = devices[next++];
          const rng = createRng(round.roundId * 100_003 + dev.i);
          const flat = Float32Array.from({ length: n }, () => rng.normal() * 0.05);
          const outcome = await dev.client.contribute(round.modelVersion, unflattenTower(flat, dims.d, dims.hidden), zero);
          if (outcome !== 'uploaded') rejectedByCode[`client-${outcome}`] = (rejectedByCode[`client-${outcome}`] ?? 0) + 1;
          // 2% resend their update, 1% send one far above the clip bound: both must be refused, never counted.
          if (dev.i % 50 === 7 || dev.i % 100 === 13) {
            const values = flat.slice();
            clipL2(values, CLIP);
            if (dev.i % 50 !== 7) for (let k = 0; k < n; k++) values[k] *= 100;
            const body = encodeUpdate({ modelVersion: round.modelVersion, roundId: round.roundId, values, dtype: 'float32' });
            const res = await fetch(`${urls[(dev.i + 1) % 2]}/v1/updates`, { method: 'POST', headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/octet-stream' }, body });
            const j = (await res.json()) as { code?: string };
            const code = `extra:${j.code ?? res.status}`;
            rejectedByCode[code] = (rejectedByCode[code] ?? 0) + 1;
            if (res.ok) duplicates++;
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      // Wait until both processes serve the next version.
      for (;;) {
        const states = await Promise.all(urls.map((u) => getJson<Round>(`${u}/v1/round`)));
        if (states.every((s) => s.roundId > round.roundId)) break;
        if (Date.now() > DEADLINE) throw new Error('time limit reached while waiting for a round to publish');
        await new Promise((res) => setTimeout(res, 100));
      }
      const seconds = (performance.now() - t0) / 1000;
      const manifest = await getJson<{ modelVersion: number; training?: { federated?: { clients?: number; roundId?: number } } }>(`${urls[1]}/v1/models/${round.modelVersion + 1}/manifest.json`);
      const counted = manifest.training?.federated?.clients ?? 0;
      const mine = ackedBodies.get(round.roundId) ?? [];
      lostAcked += Math.max(0, mine.length - counted);
      duplicates += Math.max(0, counted - mine.length);
      // The published step must be exactly the mean of the acknowledged deltas (β = 1, no central noise).
      const [before, after] = await Promise.all([tower(urls[0], round.modelVersion), tower(urls[1], round.modelVersion + 1)]);
      const mean = new Float64Array(n);
      for (const b of mine) {
        const v = decodeUpdate(b, { length: n, dtypes: ['int8', 'float32'] }).values;
        if (l2Norm(v) > CLIP * 1.0001) throw new Error('an acknowledged delta is above the clip bound');
        for (let k = 0; k < n; k++) mean[k] += v[k] / mine.length;
      }
      let err = 0;
      for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(after[k] - before[k] - mean[k]));
      worstAggregateError = Math.max(worstAggregateError, err);
      perRound.push({ roundId: round.roundId, acked: mine.length, counted, seconds, aggregateMaxAbsError: err });
      console.log(`round ${round.roundId}: ${mine.length} acknowledged, ${counted} in the published aggregate, ${seconds.toFixed(1)} s, max |Δθ − mean| ${err.toExponential(1)}`);
    }

    const report = {
      clients: CLIENTS,
      rounds: ROUNDS,
      servers: 2,
      store: 'redis (appendfsync always)',
      acked,
      lostAcked,
      duplicates,
      rejectedByCode,
      uploadBytesPerClientRound: Math.round(uploadBytes / Math.max(1, acked)),
      p50Ms: Number(percentile(latencies, 0.5).toFixed(2)),
      p99Ms: Number(percentile(latencies, 0.99).toFixed(2)),
      aggregateMaxAbsError: worstAggregateError,
      perRound,
      machine: { cpus: (await import('node:os')).cpus().length, loadavg: (await import('node:os')).loadavg().map((x) => Number(x.toFixed(2))) },
      finishedAt: new Date().toISOString(),
    };
    await mkdir(dirname(args.out!), { recursive: true });
    await writeFile(args.out!, JSON.stringify(report, null, 2) + '\n');
    console.log(JSON.stringify({ ...report, perRound: undefined }, null, 1));
  } finally {
    clearTimeout(timer);
    await cleanup();
  }
}

await main();
