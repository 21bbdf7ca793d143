/** GET /metrics (Prometheus) and /healthz. */
import type { FastifyInstance } from 'fastify';
import type { Coordinator } from '../coordinator';
import type { FederatedMetrics } from '../metrics';

export function opsRoutes(app: FastifyInstance, c: Coordinator, metrics: FederatedMetrics): void {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/metrics', async (_req, reply) => {
    // The gauges are read from the coordinator at scrape time, so they never go stale.
    const d = c.describe();
    metrics.round.set(d.roundId);
    metrics.modelVersion.set(d.modelVersion);
    metrics.epsilon.set(d.privacy?.central.epsilon ?? Number.NaN);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
