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
