/** How the server answers a failed request: every refused upload is a 4xx with `{ code, message, details }`. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isLocalrecError, LocalrecError, type ErrorCode } from '../../errors';
import type { FederatedMetrics } from '../metrics';

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

function sendError(reply: FastifyReply, e: LocalrecError, metrics: FederatedMetrics): FastifyReply {
  metrics.rejected.inc({ code: e.code });
  return reply.code(REJECTION_STATUS[e.code] ?? 400).send({ code: e.code, message: e.message, details: e.details });
}

/** Maps our errors and fastify's own (body too large, rate limited, wrong content type) to the refusal codes. */
export function installErrorHandler(app: FastifyInstance, metrics: FederatedMetrics, maxBody: number): void {
  // Unknown routes and methods (PUT /v1/updates, /v1/model/../x) get the same typed body as a missing model file.
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ code: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}`, details: {} }));
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
}
