/**
 * Which clients take part in a round and what each has on the device then. Poisson
 * sampling (each client independently with probability q) is what the RDP accountant
 * assumes, so the simulation samples that way.
 */
import type { Rng } from '../data/random';
import type { IndexedEvent } from '../model/pooling';

/** Indices of the clients drawn this round, each with probability q. */
export function poissonSample(rng: Rng, clients: number, q: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < clients; i++) if (rng.next() < q) out.push(i);
  return out;
}

/**
 * The client's local data in a round: its history up to a cut-off, a prefix of a length
 * drawn from `sizes` (the support sizes central meta-training draws), so devices are seen
 * at several points of their life, as in a live deployment.
 */
export function historyAtCutoff(rng: Rng, events: readonly IndexedEvent[], sizes: readonly number[]): IndexedEvent[] {
  const k = Math.min(sizes[rng.int(sizes.length)], events.length);
  return events.slice(0, k);
}

export const CLIENT_UPDATES = ['reptile', 'fomaml'] as const;
/**
 * What a device uploads: 'reptile' — its personalised tower minus the model (what the
 * Worker sends today); 'fomaml' — one first-order MAML step on its own later interactions
 * (ModelSession.metaStepTowers).
 */
export type ClientUpdate = (typeof CLIENT_UPDATES)[number];

/** A device's data in a round: 'reptile' learns from the history up to the cut-off; 'fomaml' also reads the next `queryMax` interactions it has. */
export interface DeviceData {
  support: IndexedEvent[];
  query: IndexedEvent[];
}

export function dataAtCutoff(rng: Rng, events: readonly IndexedEvent[], sizes: readonly number[], update: ClientUpdate, queryMax: number): DeviceData {
  if (update === 'reptile') return { support: historyAtCutoff(rng, events, sizes), query: [] };
  // Keep at least one later interaction for the query, as central meta-training does.
  const k = Math.max(1, Math.min(sizes[rng.int(sizes.length)], events.length - 1));
  return { support: events.slice(0, k), query: events.slice(k, k + queryMax) };
}
