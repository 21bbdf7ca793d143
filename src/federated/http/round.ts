/** GET /v1/round: what the open round trains and, for a device with a valid token, whether it already sent. */
import type { FastifyInstance } from 'fastify';
import type { Coordinator } from '../coordinator';
import { subjectOf, type TokenCheck } from '../token';

/** The token's subject, or null without a valid token (the round is public; only `sent` needs one). */
function optionalSubject(authorization: string | undefined, auth: TokenCheck): string | null {
  if (!authorization) return null;
  try {
    return subjectOf(authorization, auth);
  } catch {
    return null;
  }
}

export function roundRoute(app: FastifyInstance, c: Coordinator, auth: TokenCheck): void {
  app.get('/v1/round', async (req, reply) => {
    await c.refresh();
    const d = c.describe();
    // With a valid token the device also learns whether it already sent in this round (after a reload it does not remember).
    const subject = optionalSubject(req.headers.authorization, auth);
    const body = subject ? { ...d, sent: await c.hasUpdate(subject), ...(d.reports ? { reported: await c.hasReport(subject) } : {}) } : d;
    return reply.header('cache-control', 'no-store').send(body);
  });
}
