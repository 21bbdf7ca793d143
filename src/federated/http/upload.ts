/** POST /v1/updates: one device's update for the open round, binary, token-checked before its body is read. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LocalrecError } from '../../errors';
import type { Coordinator } from '../coordinator';
import type { FederatedMetrics } from '../metrics';
import { subjectOf, type TokenCheck } from '../token';

export const UPLOAD_PATH = '/v1/updates';

type AuthedRequest = FastifyRequest & { clientId?: string };

/** Uploads are binary only: no JSON or text parser, so any other body is refused before it is read. */
export function acceptOnlyBinary(app: FastifyInstance, maxBody: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxBody }, (_req, body, done) => done(null, body));
}

export function uploadRoute(
  app: FastifyInstance,
  deps: { c: Coordinator; metrics: FederatedMetrics; auth: TokenCheck; limit: { max: number; windowMs: number } | false },
): void {
  const { c, metrics, auth, limit } = deps;
  app.post(
    UPLOAD_PATH,
    {
      config: limit ? { rateLimit: { max: limit.max, timeWindow: limit.windowMs } } : {},
      // The token is checked before the body is read: an unauthenticated client cannot make the server buffer a body.
      onRequest: async (req: AuthedRequest) => {
        req.clientId = subjectOf(req.headers.authorization, auth);
      },
    },
    async (req: AuthedRequest, reply) => {
      const end = metrics.uploadSeconds.startTimer();
      try {
        const body = req.body;
        if (!(body instanceof Buffer)) throw new LocalrecError('update-malformed', 'upload must be Content-Type: application/octet-stream');
        const r = await c.submit(req.clientId!, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
        metrics.accepted.inc();
        return reply.code(200).send({ accepted: true, roundId: r.roundId });
      } finally {
        end();
      }
    },
  );
}
