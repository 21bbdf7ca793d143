/** Prometheus metrics of one server process (its own registry, so tests can run several). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface FederatedMetrics {
  registry: Registry;
  round: Gauge;
  modelVersion: Gauge;
  accepted: Counter;
  rejected: Counter<'code'>;
  uploadSeconds: Histogram;
  published: Counter;
  epsilon: Gauge;
  epsilonSpent: Gauge;
  epsilonBudget: Gauge;
  paused: Gauge<'reason'>;
  connectionsRefused: Counter<'why'>;
  reportsAccepted: Counter;
  qualityHit10: Gauge<'version'>;
  guardDecisions: Counter<'decision'>;
}

export function createMetrics(): FederatedMetrics {
  const registry = new Registry();
  return {
    registry,
    round: new Gauge({ name: 'localrec_fed_round', help: 'Id of the open round', registers: [registry] }),
    modelVersion: new Gauge({ name: 'localrec_fed_model_version', help: 'Model version served and trained by the open round', registers: [registry] }),
    accepted: new Counter({ name: 'localrec_fed_updates_accepted_total', help: 'Updates stored durably and acknowledged', registers: [registry] }),
    rejected: new Counter({ name: 'localrec_fed_updates_rejected_total', help: 'Uploads refused, by error code', labelNames: ['code'], registers: [registry] }),
    uploadSeconds: new Histogram({
      name: 'localrec_fed_upload_seconds',
      help: 'Time from receiving an upload to answering it (validation and durable write)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    epsilon: new Gauge({ name: 'localrec_fed_dp_epsilon', help: 'Central-DP ε (RDP accountant of the sampled Gaussian) once the open round is published; NaN = no guarantee (no central noise, or not the mean)', registers: [registry] }),
    epsilonSpent: new Gauge({ name: 'localrec_epsilon_spent', help: 'Central-DP ε of the rounds published so far, at the configured δ; NaN = no guarantee', registers: [registry] }),
    epsilonBudget: new Gauge({ name: 'localrec_epsilon_budget', help: 'The privacy budget (--max-epsilon): no round is published that would take ε above it; +Inf = no budget (--no-dp)', registers: [registry] }),
    paused: new Gauge({ name: 'localrec_fed_paused', help: '1 while the server publishes no rounds, by reason (privacy-budget, guard)', labelNames: ['reason'], registers: [registry] }),
    connectionsRefused: new Counter({
      name: 'localrec_fed_connections_refused_total',
      help: 'Connections closed by the resource limits: over the per-address cap, or a request too slow to arrive',
      labelNames: ['why'],
      registers: [registry],
    }),
    reportsAccepted: new Counter({ name: 'localrec_fed_reports_accepted_total', help: 'Quality reports stored durably and acknowledged', registers: [registry] }),
    qualityHit10: new Gauge({
      name: 'localrec_fed_quality_hit10',
      help: "Devices' noised mean hit@10 of the last released version ('candidate') and of the version it was trained from ('reference'); NaN before the first release",
      labelNames: ['version'],
      registers: [registry],
    }),
    guardDecisions: new Counter({ name: 'localrec_fed_guard_decisions_total', help: "The guard's decisions on released versions, by decision (promote, keep, roll-back), in this process", labelNames: ['decision'], registers: [registry] }),
    published: new Counter({ name: 'localrec_fed_rounds_published_total', help: 'Rounds aggregated and published by this process', registers: [registry] }),
  };
}
