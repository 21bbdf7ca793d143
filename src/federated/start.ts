/**
 * `startFederatedServer`: the library entry point behind `npm run serve` — opens the
 * store, publishes the initial model when the store is empty, and listens (Node only).
 */
import { resolve } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { readModelDir } from '../model/files-node';
import { Coordinator } from './coordinator';
import { DEFAULT_POLICY, type RoundPolicy } from './round';
import { buildServer, type ServerOptions } from './server';
import type { FederatedStore } from './store';
import { FileStore } from './store-file';
import { RedisStore } from './store-redis';

export interface FederatedServerConfig {
  /** Directory of the model to serve first (manifest.json, weights.bin, items.json). */
  model: string;
  store: { kind: 'file'; dir: string } | { kind: 'redis'; url: string; prefix?: string };
  host?: string;
  port?: number;
  origins: string[];
  tokenSecrets: string[];
  policy?: Partial<RoundPolicy>;
  rateLimit?: ServerOptions['rateLimit'];
  limits?: ServerOptions['limits'];
  tickMs?: number;
  logger?: ServerOptions['logger'];
}

export interface RunningServer {
  url: string;
  coordinator: Coordinator;
  stop(): Promise<void>;
}

export function openStore(cfg: FederatedServerConfig['store']): FederatedStore {
  return cfg.kind === 'file' ? new FileStore(resolve(cfg.dir)) : new RedisStore(cfg.url, cfg.prefix);
}

export async function startFederatedServer(cfg: FederatedServerConfig): Promise<RunningServer> {
  const { encoded: initial } = await readModelDir(resolve(cfg.model));
  // The coordinator logs through the server's pino logger once it exists.
  let log: FastifyBaseLogger | null = null;
  const coordinator = new Coordinator({
    store: openStore(cfg.store),
    initial,
    policy: { ...DEFAULT_POLICY, ...cfg.policy },
    log: (level, msg, fields) => log?.[level](fields ?? {}, msg),
  });
  await coordinator.start();
  const server = await buildServer({
    coordinator,
    tokenSecrets: cfg.tokenSecrets,
    origins: cfg.origins,
    rateLimit: cfg.rateLimit,
    limits: cfg.limits,
    tickMs: cfg.tickMs ?? 1000,
    logger: cfg.logger,
  });
  log = server.app.log;
  const url = await server.app.listen({ host: cfg.host ?? '127.0.0.1', port: cfg.port ?? 8787 });
  return { url, coordinator, stop: () => server.stop() };
}
