/**
 * The aggregation server's HTTP face (fastify): the round description, uploads, the
 * model files of every kept version, /metrics and /healthz. Every refused upload gets a
 * 4xx with `{ code, message, details }`; the code is one of the `update-*` ERROR_CODES.
 */
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import * as v from 'valibot';
import { isLocalrecError, LocalrecError, type ErrorCode } from '../errors';
import type { Coordinator } from './coordinator';
import { createMetrics, type FederatedMetrics } from './metrics';
import { bearer, verifyToken } from './token';

export const UPLOAD_PATH = '/v1/updates';

/** The HTTP status of each refusal. */
export const REJECTION_STATUS: Partial<Record<ErrorCode, number>> = {
  'update-token-missing': 401,
  'update-token-invalid': 401,
  'update-too-large': 413,
  'update-malformed': 400,
  'update-wrong-shape': 422,
  'update-wrong-dtype': 422,
  'update-non-finite': 422,
  'update-norm-too-large': 422,
  'update-stale-round': 409,
  'update-unknown-round': 409,
  'update-stale-model': 409,
  'update-duplicate': 409,
  'update-round-closed': 409,
  'update-rate-limited': 429,
};

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
  /** How often to check whether the open round should close; 0 = only on demand (tests). */
  tickMs?: number;
  now?: () => number;
}

const FILE = v.picklist(['manifest.json', 'weights.bin', 'items.json']);
const VersionParams = v.object({ version: v.pipe(v.string(), v.regex(/^\d{1,9}$/), v.transform(Number)), file: FILE });
const CurrentParams = v.object({ file: FILE });

const CONTENT_TYPES: Record<v.InferOutput<typeof FILE>, string> = {
  'manifest.json': 'application/json',
  'weights.bin': 'application/octet-stream',
  'items.json': 'application/json',
};

function sendError(reply: FastifyReply, e: LocalrecError, metrics: FederatedMetrics): FastifyReply {
  metrics.rejected.inc({ code: e.code });
  return reply.code(REJECTION_STATUS[e.code] ?? 400).send({ code: e.code, message: e.message, details: e.details });
}

export async function buildServer(opts: ServerOptions): Promise<{ app: FastifyInstance; metrics: FederatedMetrics; stop(): Promise<void> }> {
  const c = opts.coordinator;
  const metrics = createMetrics();
  const now = opts.now ?? Date.now;
  const maxBody = opts.maxBodyBytes ?? c.maxBytes;
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: maxBody, trustProxy: false });

  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && opts.origins.includes(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type'],
    credentials: false,
    maxAge: 600,
  });
  await app.register(rateLimit, { global: false });

  // Uploads are binary only: no JSON or text parser, so any other body is refused before it is read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxBody }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (isLocalrecError(err)) return sendError(reply, err, metrics);
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, new LocalrecError('update-too-large', `body is larger than ${maxBody} bytes`, { limit: maxBody }), metrics);
    }
    if (err.statusCode === 429) return sendError(reply, new LocalrecError('update-rate-limited', 'too many uploads from this address; retry later'), metrics);
    if (err.statusCode === 415 || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      metrics.rejected.inc({ code: 'update-malformed' });
      return reply.code(415).send({ code: 'update-malformed', message: 'upload must be Content-Type: application/octet-stream', details: {} });
    }
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ code: 'invalid-argument', message: err.message, details: {} });
    reply.log.error({ err }, 'request failed');
    return reply.code(500).send({ code: 'internal', message: 'internal error', details: {} });
  });

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/metrics', async (_req, reply) => {
    const d = c.describe();
    metrics.round.set(d.roundId);
    metrics.modelVersion.set(d.modelVersion);
    metrics.epsilon.set(d.privacy?.central.epsilon ?? Number.NaN);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get('/v1/round', async (req, reply) => {
    await c.refresh();
    const d = c.describe();
    // With a valid token the device also learns whether it already sent in this round (after a reload it does not remember).
    let subject: string | null = null;
    try {
      subject = req.headers.authorization ? verifyToken(opts.tokenSecrets, bearer(req.headers.authorization), now()) : null;
    } catch {
      subject = null;
    }
    const body = subject ? { ...d, sent: await c.hasUpdate(subject) } : d;
    return reply.header('cache-control', 'no-store').send(body);
  });

  const sendFile = (reply: FastifyReply, file: v.InferOutput<typeof FILE>, model: ReturnType<Coordinator['currentModel']>, immutable: boolean) => {
    const bytes = file === 'manifest.json' ? JSON.stringify(model.manifest) : Buffer.from(model.files[file]);
    return reply
      .type(CONTENT_TYPES[file])
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(bytes);
  };

  app.get('/v1/model/:file', async (req, reply) => {
    const p = v.safeParse(CurrentParams, req.params);
    if (!p.success) return reply.code(404).send({ code: 'not-found', message: 'no such model file', details: {} });
    await c.refresh();
    return sendFile(reply, p.output.file, c.currentModel(), false);
  });

  app.get('/v1/models/:version/:file', async (req, reply) => {
    const p = v.safeParse(VersionParams, req.params);
    const model = p.success ? await c.modelVersion(p.output.version) : null;
    if (!p.success || !model) return reply.code(404).send({ code: 'not-found', message: 'no such model version or file', details: {} });
    return sendFile(reply, p.output.file, model, true);
  });

  const limit = opts.rateLimit === undefined ? { max: 30, windowMs: 60_000 } : opts.rateLimit;
  app.post(
    UPLOAD_PATH,
    {
      config: limit ? { rateLimit: { max: limit.max, timeWindow: limit.windowMs } } : {},
      // The token is checked before the body is read: an unauthenticated client cannot make the server buffer a body.
      onRequest: async (req: FastifyRequest) => {
        (req as FastifyRequest & { clientId?: string }).clientId = verifyToken(opts.tokenSecrets, bearer(req.headers.authorization), now());
      },
    },
    async (req, reply) => {
      const end = metrics.uploadSeconds.startTimer();
      try {
        const body = req.body;
        if (!(body instanceof Buffer)) throw new LocalrecError('update-malformed', 'upload must be Content-Type: application/octet-stream');
        const clientId = (req as FastifyRequest & { clientId?: string }).clientId!;
        const r = await c.submit(clientId, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
        metrics.accepted.inc();
        return reply.code(200).send({ accepted: true, roundId: r.roundId });
      } finally {
        end();
      }
    },
  );

  let timer: ReturnType<typeof setInterval> | null = null;
  if (opts.tickMs && opts.tickMs > 0) {
    const log: FastifyBaseLogger = app.log;
    timer = setInterval(() => {
      c.tick().then(
        (s) => s && metrics.published.inc(),
        (e: unknown) => log.error({ err: e }, 'aggregation failed; the round stays open and is retried'),
      );
    }, opts.tickMs);
    timer.unref();
  }

  return {
    app,
    metrics,
    async stop() {
      if (timer) clearInterval(timer);
      await app.close();
      await c.close();
    },
  };
}
