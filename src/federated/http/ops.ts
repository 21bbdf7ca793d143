/** GET /metrics (Prometheus) and /healthz. */
import type { FastifyInstance } from 'fastify';
import type { Coordinator } from '../coordinator';
import type { FederatedMetrics } from '../metrics';
import { PAUSE_REASONS } from '../round';

export function opsRoutes(app: FastifyInstance, c: Coordinator, metrics: FederatedMetrics): void {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/metrics', async (_req, reply) => {
    // The gauges are read from the coordinator at scrape time, so they never go stale.
    const d = c.describe();
    metrics.round.set(d.roundId);
    metrics.modelVersion.set(d.modelVersion);
    const privacy = c.privacy();
    metrics.epsilon.set(privacy.central.epsilon ?? Number.NaN);
    metrics.epsilonSpent.set(privacy.budget.spent ?? Number.NaN);
    metrics.epsilonBudget.set(privacy.budget.maxEpsilon ?? Number.POSITIVE_INFINITY);
    for (const reason of PAUSE_REASONS) metrics.paused.set({ reason }, d.paused?.reason === reason ? 1 : 0);
    const q = c.servedQuality();
    metrics.qualityHit10.set({ version: 'candidate' }, q?.hit10 ?? Number.NaN);
    metrics.qualityHit10.set({ version: 'reference' }, q?.referenceHit10 ?? Number.NaN);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
