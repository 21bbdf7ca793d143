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
    published: new Counter({ name: 'localrec_fed_rounds_published_total', help: 'Rounds aggregated and published by this process', registers: [registry] }),
  };
}
