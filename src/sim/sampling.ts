/**
 * Which clients take part in a round and what each has on the device then. Poisson
 * sampling (each client independently with probability q) is what the RDP accountant
 * assumes, so the simulation samples that way.
 */
import type { Rng } from '../data/random';
import { drawSupportSize, splitForUpdate, type DeviceTask } from '../federated/device-task';
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

export const CLIENT_UPDATES = ['fomaml', 'reptile'] as const;
/**
 * What a device uploads: 'fomaml' — one first-order MAML step on its own later
 * interactions (what the Worker sends: src/federated/device-task.ts); 'reptile' — its
 * personalised tower minus the model (what the Worker sent before; kept to compare).
 */
export type ClientUpdate = (typeof CLIENT_UPDATES)[number];

/** A device's data in a round: 'reptile' learns from the history up to the cut-off; 'fomaml' also reads the next `queryMax` interactions it has. */
export type DeviceData = DeviceTask;

/** null: the device has too few interactions for the update (it sends nothing, as the Worker does). */
export function dataAtCutoff(rng: Rng, events: readonly IndexedEvent[], sizes: readonly number[], update: ClientUpdate, queryMax: number): DeviceData | null {
  if (update === 'reptile') return { support: historyAtCutoff(rng, events, sizes), query: [] };
  // The Worker's own split, with the cut-off drawn from the simulation's seeded stream.
  return splitForUpdate(events, drawSupportSize(() => rng.next(), sizes), queryMax);
}
