/**
 * What every event store (IndexedDB, or memory where IndexedDB is unavailable) keeps and
 * offers: the records, the EventStore interface the Worker's services use, and the stored
 * shape of a validated event.
 */
import type { PersonalWeightsInfo, StorageMode, StoredEvent } from './types';
import type { ValidEvent } from './worker-events';

export interface PersonalWeightsRecord extends PersonalWeightsInfo {
  key: 'current';
  d: number;
  hidden: number;
  /** The tower parameters flattened in the order w1, b1, w2, b2 (see flattenTower). */
  params: Float32Array;
  /** Duration of the run that produced them. */
  ms: number;
}

/** One item the shop marked unavailable; its presence is the whole fact. */
export interface UnavailableRecord {
  item: string;
  since: number;
}

/** What weights were learned from: the key (`seq`) of the newest stored event read. */
export interface LearnedFrom {
  seq: number;
}

/** Stored records read back that did not have the shape the store writes, by store; each was deleted. */
export interface DroppedRecords {
  events: number;
  personal: number;
  unavailable: number;
}

export interface EventStore {
  readonly mode: StorageMode;
  /** Records dropped on read since the store was opened (damaged, or another schema's). */
  readonly dropped: Readonly<DroppedRecords>;
  /** Why the store is in memory, or null. */
  readonly reason: string | null;
  readonly maxEvents: number;
  /** Stores a validated batch, evicting the oldest events beyond the cap. */
  add(events: readonly ValidEvent[]): Promise<{ stored: StoredEvent[]; evicted: number }>;
  /** Every stored event, oldest first (by timestamp, then arrival). */
  all(): Promise<readonly StoredEvent[]>;
  count(): Promise<number>;
  getWeights(): Promise<PersonalWeightsRecord | null>;
  /**
   * Stores weights learned from the events up to `from` (see LearnedFrom); false, and nothing
   * written, when those events were erased since (a forget in any tab) or a denial holds.
   */
  putWeights(record: PersonalWeightsRecord, from: LearnedFrom): Promise<boolean>;
  deleteWeights(): Promise<void>;
  /**
   * Removes every event and personal weight (not availability: that is shop data) in one
   * transaction; `deny` also records a denial that every tab's writes honour until a grant
   * (a forget keeps one that holds). Returns how many events there were.
   */
  clear(deny?: boolean): Promise<number>;
  /** Consent granted (in this tab): lifts a recorded denial. */
  grant(): Promise<void>;
  /** Ids the shop marked unavailable. */
  unavailable(): Promise<string[]>;
  /** Marks ids unavailable (false) or available again (true), in one transaction. */
  setAvailability(ids: readonly string[], available: boolean): Promise<void>;
  /** Calls `fn` when another connection (a newer SDK in another tab) upgrades the database; this one is closed then. */
  onVersionChange(fn: () => void): void;
  close(): void;
}

/** The stored shape of a validated event (its `seq` is the store's to give). */
export function toStored(e: ValidEvent): Omit<StoredEvent, 'seq'> {
  const out: Omit<StoredEvent, 'seq'> = { item: e.item, type: e.type, ts: e.ts };
  if (e.rating !== undefined) out.rating = e.rating;
  if (e.itemInfo !== undefined) out.itemInfo = e.itemInfo;
  return out;
}
