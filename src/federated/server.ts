/**
 * The aggregation server's HTTP face (fastify): the round description, uploads, the
 * model files of every kept version, /metrics and /healthz. Every refused upload gets a
 * 4xx with `{ code, message, details }`; the code is one of the `update-*` ERROR_CODES.
 * Each group of routes lives in its own module under ./http; this file assembles them.
 */
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Coordinator } from './coordinator';
import { installErrorHandler } from './http/errors';
import { DEFAULT_LIMITS, limitedServer, type ConnectionLimits } from './http/limits';
import { opsRoutes } from './http/ops';
import { modelFileRoutes } from './http/model-files';
import { roundRoute } from './http/round';
import { reportRoute } from './http/reports';
import { acceptOnlyBinary, uploadRoute } from './http/upload';
import { createMetrics, type FederatedMetrics } from './metrics';
import type { TokenCheck } from './token';

export { REJECTION_STATUS } from './http/errors';
export { DEFAULT_LIMITS, type ConnectionLimits } from './http/limits';
export { UPLOAD_PATH } from './http/upload';

export interface ServerOptions {
  coordinator: Coordinator;
  /** HMAC secrets client tokens may be signed with (first = current; others while rotating). */
  tokenSecrets: string[];
  /** Shop origins allowed to call the server from a browser (CORS); others get no CORS headers. */
  origins: string[];
  /** Upload body limit; default the size of a float32 delta of the served model. */
  maxBodyBytes?: number;
  /** Uploads per client address per window; false turns limiting off (load tests). */
  rateLimit?: { max: number; windowMs: number } | false;
  logger?: boolean | { level: string };
  /** Timeouts and connection caps against slow or greedy clients (http/limits.ts); each defaults to DEFAULT_LIMITS. */
  limits?: Partial<ConnectionLimits>;
  /** How often to check whether the open round should close; 0 = only on demand (tests). */
  tickMs?: number;
  now?: () => number;
}

async function registerPlugins(app: FastifyInstance, origins: string[]): Promise<void> {
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && origins.includes(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type'],
    credentials: false,
    maxAge: 600,
  });
  // Not global: only the upload route is limited (it sets its own config).
  await app.register(rateLimit, { global: false });
}

/** Closes the round when due, every `tickMs`; returns how to stop it. */
function startTicker(c: Coordinator, metrics: FederatedMetrics, log: FastifyBaseLogger, tickMs: number | undefined): () => void {
  if (!tickMs || tickMs <= 0) return () => {};
  const timer = setInterval(() => {
    c.tick().then(
      (s) => {
        if (!s) return;
        metrics.published.inc();
        if (s.quality) metrics.guardDecisions.inc({ decision: s.quality.decision });
      },
      (e: unknown) => log.error({ err: e }, 'aggregation failed; the round stays open and is retried'),
    );
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}

export async function buildServer(opts: ServerOptions): Promise<{ app: FastifyInstance; metrics: FederatedMetrics; stop(): Promise<void> }> {
  const c = opts.coordinator;
  const metrics = createMetrics();
  const auth: TokenCheck = { secrets: opts.tokenSecrets, now: opts.now ?? Date.now };
  const maxBody = opts.maxBodyBytes ?? c.maxBytes;
  const limits: ConnectionLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: maxBody,
    trustProxy: false,
    serverFactory: (handler) => limitedServer(limits, handler, (why) => metrics.connectionsRefused.inc({ why })),
  });

  await registerPlugins(app, opts.origins);
  acceptOnlyBinary(app, maxBody);
  installErrorHandler(app, metrics, maxBody);
  opsRoutes(app, c, metrics);
  roundRoute(app, c, auth);
  modelFileRoutes(app, c);
  const limit = opts.rateLimit === undefined ? { max: 30, windowMs: 60_000 } : opts.rateLimit;
  uploadRoute(app, { c, metrics, auth, limit });
  reportRoute(app, { c, metrics, auth, limit });
  const stopTicker = startTicker(c, metrics, app.log, opts.tickMs);

  return {
    app,
    metrics,
    async stop() {
      stopTicker();
      await app.close();
      await c.close();
    },
  };
}
