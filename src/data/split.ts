/**
 * The cold-start split of DESIGN.md ("Evaluation protocol"), written so that any other tool
 * can reproduce it exactly:
 *
 * - fold(user) = numeric id mod 5 when the id is a non-negative integer string, otherwise
 *   FNV-1a 32-bit of the id's UTF-8 bytes mod 5. Fold 0 = test users, fold 1 = validation
 *   users (tuning only). Test users are never part of any training data.
 * - Duplicates of a (user, item) pair keep the earliest timestamp (`dedupeInteractions`).
 * - Each user's interactions are ordered by (timestamp, item id); item ids compare
 *   numerically when both are non-negative integer strings (MovieLens), numeric ids sort
 *   before other ids, and other ids compare by UTF-16 code units.
 * - Catalogue = every item occurring in the training users' data, sorted by the same item-id
 *   order (so index order is deterministic and independent of input order).
 * - Evaluated users' interactions with items outside the catalogue are DROPPED before the
 *   support/query cut: no method can rank an item it has never seen, and keeping them in
 *   the query would only lower every method's recall by the same unreachable amount, while
 *   keeping them in the support would hand the device an event no method can use.
 */
import { fnv1a32 } from './fnv1a';
import { dedupeInteractions } from './dedupe';
import type { Dataset, EventType, ItemMeta, Interaction } from './types';

export const N_FOLDS = 5;
export const TEST_FOLD = 0;
export const VALIDATION_FOLD = 1;
/** Short-horizon query: the next this-many interactions after the support set. */
export const NEXT_VIEW_LENGTH = 10;

export { fnv1a32 };

const NON_NEGATIVE_INT = /^[0-9]+$/;

/** The fold (0..4) of a user id; fold 0 = test, fold 1 = validation. */
export function userFold(id: string): number {
  if (NON_NEGATIVE_INT.test(id)) {
    // BigInt so that ids beyond 2^53 still get their exact residue.
    return id.length < 16 ? Number(id) % N_FOLDS : Number(BigInt(id) % 5n);
  }
  return fnv1a32(id) % N_FOLDS;
}

/** Item-id order used for tie-breaking and for the catalogue (see file comment). */
export function compareIds(a: string, b: string): number {
  const an = NON_NEGATIVE_INT.test(a);
  const bn = NON_NEGATIVE_INT.test(b);
  if (an && bn) {
    if (a.length < 16 && b.length < 16) return Number(a) - Number(b);
    const d = BigInt(a) - BigInt(b);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One interaction as a method sees it: a catalogue index, its event type and time. */
export interface IndexedEvent {
  index: number;
  type: EventType;
  ts: number;
}

/** A user's deduplicated, chronologically ordered interactions (catalogue items only). */
export interface UserSequence {
  user: string;
  events: IndexedEvent[];
}

/** The training catalogue: every item in the training users' data, id ↔ index. */
export interface ItemIndex {
  /** Item ids in index order. */
  ids: string[];
  index: Map<string, number>;
}

/** What a method may fit on. Contains no data of the evaluated users. */
export interface TrainingData {
  catalogue: ItemIndex;
  users: UserSequence[];
  /** Training users per catalogue item (= interactions after dedupe). */
  itemCounts: Int32Array;
  nInteractions: number;
  /** Metadata of catalogue items, where the dataset has it. */
  items: Map<string, ItemMeta>;
}

/** One side of the evaluation: train on `train`, evaluate on `evalUsers`. */
export interface FoldSplit {
  /** The fold whose users are evaluated. */
  evalFold: number;
  /** Folds excluded from training (always includes evalFold). */
  heldOutFolds: number[];
  train: TrainingData;
  evalUsers: UserSequence[];
  /** Evaluated users' interactions dropped because their item is not in the catalogue. */
  droppedOutOfCatalogue: number;
}

export interface ColdStartSplit {
  dataset: string;
  /** Test users (fold 0) against training on folds 1-4. */
  test: FoldSplit;
  /** Validation users (fold 1) against training on folds 2-4: for tuning only. */
  validation: FoldSplit;
}

interface RawEvent {
  item: string;
  type: EventType;
  ts: number;
}

/**
 * Dedupe (dedupeInteractions: earliest timestamp per (user, item), type upgraded to the
 * strongest seen), group by user, order by (ts, item id) with `compareIds` — numeric item
 * order, which dedupeInteractions' code-unit order does not give ("10" < "9" there).
 */
function userSequences(interactions: readonly Interaction[]): Map<string, RawEvent[]> {
  const out = new Map<string, RawEvent[]>();
  for (const it of dedupeInteractions(interactions)) {
    let seq = out.get(it.user);
    if (!seq) out.set(it.user, (seq = []));
    seq.push({ item: it.item, type: it.type, ts: it.ts });
  }
  for (const seq of out.values()) seq.sort((a, b) => a.ts - b.ts || compareIds(a.item, b.item));
  return out;
}

function buildFold(
  seqs: Map<string, RawEvent[]>,
  itemMeta: Map<string, ItemMeta>,
  evalFold: number,
  heldOutFolds: number[],
): FoldSplit {
  const held = new Set(heldOutFolds);
  const users = [...seqs.keys()].sort(compareIds);
  const trainUsers: string[] = [];
  const evalUserIds: string[] = [];
  for (const u of users) {
    const f = userFold(u);
    if (f === evalFold) evalUserIds.push(u);
    else if (!held.has(f)) trainUsers.push(u);
  }

  const itemSet = new Set<string>();
  for (const u of trainUsers) for (const e of seqs.get(u)!) itemSet.add(e.item);
  const ids = [...itemSet].sort(compareIds);
  const index = new Map(ids.map((id, i) => [id, i] as [string, number]));

  const toEvents = (raw: RawEvent[]): { events: IndexedEvent[]; dropped: number } => {
    const events: IndexedEvent[] = [];
    for (const e of raw) {
      const i = index.get(e.item);
      if (i !== undefined) events.push({ index: i, type: e.type, ts: e.ts });
    }
    return { events, dropped: raw.length - events.length };
  };

  const itemCounts = new Int32Array(ids.length);
  let nInteractions = 0;
  const train: UserSequence[] = trainUsers.map((user) => {
    const { events } = toEvents(seqs.get(user)!);
    for (const e of events) itemCounts[e.index]++;
    nInteractions += events.length;
    return { user, events };
  });

  let droppedOutOfCatalogue = 0;
  const evalUsers: UserSequence[] = evalUserIds.map((user) => {
    const { events, dropped } = toEvents(seqs.get(user)!);
    droppedOutOfCatalogue += dropped;
    return { user, events };
  });

  const items = new Map<string, ItemMeta>();
  for (const id of ids) {
    const m = itemMeta.get(id);
    if (m) items.set(id, m);
  }

  return {
    evalFold,
    heldOutFolds: [...held].sort(),
    train: { catalogue: { ids, index }, users: train, itemCounts, nInteractions, items },
    evalUsers,
    droppedOutOfCatalogue,
  };
}

/**
 * Builds both sides of the cold-start split. The validation side holds the test fold out
 * entirely (not even its catalogue items), so tuning never sees a test interaction.
 */
export function buildColdStartSplit(dataset: Dataset): ColdStartSplit {
  const seqs = userSequences(dataset.interactions);
  return {
    dataset: dataset.name,
    test: buildFold(seqs, dataset.items, TEST_FOLD, [TEST_FOLD]),
    validation: buildFold(seqs, dataset.items, VALIDATION_FOLD, [TEST_FOLD, VALIDATION_FOLD]),
  };
}

/** A user's support/query cut at k. */
export interface SupportQuery {
  user: string;
  /** The first k interactions: what the device has. */
  support: IndexedEvent[];
  /** Every later interaction. */
  query: IndexedEvent[];
  /** The next NEXT_VIEW_LENGTH interactions after the support: the next-10 view's query. */
  next10Query: IndexedEvent[];
}

/** Cuts a user's sequence at k; undefined when the user has fewer than k+1 interactions. */
export function cutSupportQuery(seq: UserSequence, k: number): SupportQuery | undefined {
  if (seq.events.length < k + 1) return undefined;
  return {
    user: seq.user,
    support: seq.events.slice(0, k),
    query: seq.events.slice(k),
    next10Query: seq.events.slice(k, k + NEXT_VIEW_LENGTH),
  };
}

/** All evaluable cuts at k, in user order. */
export function cutAll(users: readonly UserSequence[], k: number): SupportQuery[] {
  const out: SupportQuery[] = [];
  for (const u of users) {
    const c = cutSupportQuery(u, k);
    if (c) out.push(c);
  }
  return out;
}

/** Every user as a training user (no evaluation side): what a shipped model trains on. */
export function buildTrainingData(dataset: Dataset): TrainingData {
  return buildFold(userSequences(dataset.interactions), dataset.items, -1, []).train;
}
