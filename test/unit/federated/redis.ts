/** Starts Debian's redis-server on a free loopback port for one test file (scripts/ensure-redis.sh installs it). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisProcess {
  url: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (its append-only file). */
  restart(): Promise<RedisProcess>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(existing?: { port: number; dir: string }): Promise<RedisProcess> {
  const port = existing?.port ?? (await freePort());
  const dir = existing?.dir ?? (await mkdtemp(join(tmpdir(), 'localrec-redis-')));
  // Every write fsynced before Redis answers: the durability the federated store's acknowledgements rely on.
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('error', (e) => reject(new Error(`redis-server could not be started (run scripts/ensure-redis.sh): ${e.message}`)));
  });
  const self: RedisProcess = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    proc,
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
    restart: () => startRedis({ port, dir }),
    async stop() {
      proc.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}
