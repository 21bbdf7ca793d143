/**
 * Resource limits against slow and greedy clients (loopback only, bounded: 40 slow sockets,
 * a few seconds). Slow clients from 127.0.0.2 open uploads and send their bodies a byte
 * every 200 ms; meanwhile well-behaved devices on 127.0.0.1 upload and read /healthz. The
 * limits must cut every slow socket within the request timeout (plus Node's check interval),
 * cap the slow address's open connections, and leave the good uploads unharmed. A control
 * run with the limits relaxed shows the same slow sockets staying open, so the test can fail.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionLimits } from '../../../src/federated/server';
import { UPLOAD_PATH } from '../../../src/federated/server';
import { body, delta, startTestServer, tempDir, token } from './helpers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SLOW_ADDRESS = '127.0.0.2';

async function listening(limits: Partial<ConnectionLimits>) {
  const tmp = await tempDir();
  const s = await startTestServer({ dir: tmp.dir, policy: { minClients: 1000, maxClients: 1000 }, server: { limits } });
  cleanups.push(tmp.cleanup, () => s.server.stop());
  await s.server.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = s.server.app.server.address() as { port: number };
  return { s, port };
}

interface SlowClient {
  socket: Socket;
  /** Milliseconds from opening until the server closed the connection (null while open). */
  closedAfter: number | null;
}

/** An upload whose headers arrive at once and whose body then trickles in a byte every 200 ms. */
function slowUpload(port: number, subject: string, bytes: Uint8Array): SlowClient {
  const t0 = performance.now();
  const socket = connect({ host: '127.0.0.1', port, localAddress: SLOW_ADDRESS });
  const client: SlowClient = { socket, closedAfter: null };
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < bytes.length && socket.writable) socket.write(bytes.subarray(sent, ++sent));
  }, 200);
  socket.on('connect', () => {
    socket.write(
      `POST ${UPLOAD_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n` +
        `Authorization: Bearer ${token(subject)}\r\nContent-Length: ${bytes.length}\r\n\r\n`,
    );
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    clearInterval(timer);
    client.closedAfter = performance.now() - t0;
  });
  return client;
}

async function goodUpload(port: number, subject: string, seed: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${UPLOAD_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token(subject)}`, 'content-type': 'application/octet-stream' },
    body: body(1, delta(seed)) as Uint8Array<ArrayBuffer>,
  });
  await res.arrayBuffer();
  return res.status;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('resource limits', () => {
  it('cuts slow-body clients and caps their address while well-behaved uploads and /healthz still succeed', async () => {
    const limits = { requestTimeoutMs: 1500, headersTimeoutMs: 1000, idleTimeoutMs: 1000, maxConnectionsPerAddress: 8 };
    const { s, port } = await listening(limits);
    const slow = Array.from({ length: 40 }, (_, i) => slowUpload(port, `slow${String(i).padStart(4, '0')}`, body(1, delta(100 + i))));
    await sleep(300); // every slow connection is open (or refused) before the good devices come

    const good = await Promise.all(Array.from({ length: 6 }, (_, i) => goodUpload(port, `good${i}`, i + 1)));
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(good).toEqual([200, 200, 200, 200, 200, 200]);
    expect(health.status).toBe(200);

    // Node checks request deadlines every requestTimeout / 4 here; leave that and scheduling slack on a busy machine.
    const deadline = limits.requestTimeoutMs + 1500;
    await sleep(deadline);
    expect(slow.filter((c) => c.closedAfter === null)).toHaveLength(0);
    expect(Math.max(...slow.map((c) => c.closedAfter!))).toBeLessThan(deadline + 500);
    // 32 of the 40 were over the address's cap and closed before a byte was read.
    const metrics = (await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())).split('\n');
    const refused = (why: string) => Number(metrics.find((l) => l.startsWith(`localrec_fed_connections_refused_total{why="${why}"}`))?.split(' ')[1] ?? 0);
    expect(refused('per-address')).toBe(32);
    // The other 8 kept their sockets busy (a byte every 200 ms) and were cut by the request deadline
    // (or, if a loaded machine delayed their next byte past a second, by the idle timeout).
    expect(refused('too-slow') + refused('idle')).toBe(8);
    // No slow body reached the round: it holds exactly the good devices' updates.
    expect(s.coordinator.describe()).toMatchObject({ roundId: 1 });
    expect((await s.coordinator.refresh()).accepted).toBe(6);
  });

  it('refuses headers above the size limit (431)', async () => {
    const { port } = await listening({ maxHeaderBytes: 4096 });
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { 'x-filler': 'x'.repeat(8000) } });
    expect(res.status).toBe(431);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('control: with the limits relaxed the same slow clients stay connected (the test above can fail)', async () => {
    const { port } = await listening({ requestTimeoutMs: 60_000, headersTimeoutMs: 60_000, idleTimeoutMs: 60_000, maxConnectionsPerAddress: 0 });
    const slow = Array.from({ length: 12 }, (_, i) => slowUpload(port, `ctrl${String(i).padStart(4, '0')}`, body(1, delta(200 + i))));
    await sleep(3000);
    expect(slow.filter((c) => c.closedAfter === null)).toHaveLength(12);
    for (const c of slow) c.socket.destroy();
  });
});
