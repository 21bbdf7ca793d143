/** POST /v1/reports: one device's quality report on the version the open round trains, binary, token-checked before its body is read. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LocalrecError } from '../../errors';
import type { Coordinator } from '../coordinator';
import type { FederatedMetrics } from '../metrics';
import { REPORT_BYTES } from '../quality';
import { subjectOf, type TokenCheck } from '../token';

export const REPORT_PATH = '/v1/reports';

type AuthedRequest = FastifyRequest & { clientId?: string };

export function reportRoute(
  app: FastifyInstance,
  deps: { c: Coordinator; metrics: FederatedMetrics; auth: TokenCheck; limit: { max: number; windowMs: number } | false },
): void {
  const { c, metrics, auth, limit } = deps;
  app.post(
    REPORT_PATH,
    {
      // A report is 28 bytes: anything longer is refused before it is read.
      bodyLimit: REPORT_BYTES,
      config: limit ? { rateLimit: { max: limit.max, timeWindow: limit.windowMs } } : {},
      onRequest: async (req: AuthedRequest) => {
        req.clientId = subjectOf(req.headers.authorization, auth);
      },
    },
    async (req: AuthedRequest, reply) => {
      const body = req.body;
      if (!(body instanceof Buffer)) throw new LocalrecError('update-malformed', 'a report must be Content-Type: application/octet-stream');
      const r = await c.submitReport(req.clientId!, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
      metrics.reportsAccepted.inc();
      return reply.code(200).send({ accepted: true, roundId: r.roundId });
    },
  );
}
