import type { Rng } from '../data/random';
import type { UserSequence } from '../data/split';

type Events = UserSequence['events'];

/** One meta-training task: a user's support prefix and the interactions after it. */
export interface MetaTask {
  support: Events;
  query: Events;
}

/**
 * Draws `count` tasks: a random user with at least 2 interactions, a support size from
 * `supportSizes` (capped by the user's length), starting at the user's first interaction
 * or at a random point of their history, and at most `queryMax` later interactions.
 */
export function sampleTasks(
  rng: Rng,
  eligible: readonly UserSequence[],
  opts: { count: number; supportSizes: readonly number[]; queryMax: number },
): MetaTask[] {
  const tasks: MetaTask[] = [];
  for (let t = 0; t < opts.count; t++) {
    const u = rng.pick(eligible).events;
    const k = Math.min(rng.pick(opts.supportSizes), u.length - 1);
    const from = rng.next() < 0.5 ? 0 : rng.int(u.length - k);
    tasks.push({ support: u.slice(from, from + k), query: u.slice(from + k, from + k + opts.queryMax) });
  }
  return tasks;
}
