/**
 * The shopper's stored events, kept in the Worker's memory so recommend() does not read
 * IndexedDB on every call.
 *
 * Wraps the store: every write of this Worker goes through here and updates the copy only
 * once the database has committed it (a failed write drops the copy, so it is never ahead
 * of the database). Other tabs of the origin run their own Worker on the same database,
 * so after each write a message on a BroadcastChannel tells them to drop their copy; a
 * database `versionchange` (a newer SDK upgrading) drops it too. Whatever drops the copy,
 * the next read goes to IndexedDB again. A database other tabs share but cannot announce
 * changes to (no channel) is read on every call, as without this cache.
 */
import type { ValidEvent } from './worker-events';
import type { EventStore, LearnedFrom, PersonalWeightsRecord } from './worker-store';
import type { StoredEvent } from './types';

/** What a write changed, as other tabs hear it. */
/** 'denied': cleared by a denial of consent, which every tab's Worker then applies too. */
export type StoreChange = 'events' | 'cleared' | 'denied' | 'weights' | 'availability';

const CHANGES: readonly string[] = ['events', 'cleared', 'denied', 'weights', 'availability'] satisfies StoreChange[];

/** The part of BroadcastChannel this uses (tests pass an in-process one). */
export interface ChangeChannel {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  close(): void;
}

/** One channel per database name: only Workers sharing the database hear each other. */
export const channelName = (dbName: string) => `localrec:${dbName}`;

export class HistoryCache implements EventStore {
  /** The stored events, oldest first, as IndexedDB returns them; null until read or after anything dropped it. */
  private events: readonly StoredEvent[] | null = null;
  /** Bumped by every write and every drop: a read that overlapped one never becomes the copy. */
  private generation = 0;
  private readonly listeners: ((change: StoreChange) => void)[] = [];

  /** Whether a copy may be kept: only when no other tab can change the database unannounced. */
  private readonly keep: boolean;

  constructor(
    private readonly store: EventStore,
    private readonly channel: ChangeChannel | null,
  ) {
    this.keep = store.mode === 'memory' || channel !== null;
    channel?.addEventListener('message', (ev) => {
      const change = (ev.data as { change?: unknown } | null)?.change;
      if (typeof change !== 'string' || !CHANGES.includes(change)) return;
      if (change === 'events' || change === 'cleared' || change === 'denied') this.drop();
      for (const fn of this.listeners) fn(change as StoreChange);
    });
    store.onVersionChange(() => this.drop());
  }

  get mode() {
    return this.store.mode;
  }
  get reason() {
    return this.store.reason;
  }
  get maxEvents() {
    return this.store.maxEvents;
  }
  get dropped() {
    return this.store.dropped;
  }

  /** Calls `fn` after another tab wrote to the database (its copy of the events is already dropped). */
  onRemoteChange(fn: (change: StoreChange) => void): void {
    this.listeners.push(fn);
  }

  /** Forgets the copy; the next read goes to IndexedDB (e.g. on init, after writes this Worker did not make). */
  drop(): void {
    this.events = null;
    this.generation++;
  }

  /** The stored events, from memory when nothing changed since the last read. Callers must not modify them. */
  async all(): Promise<readonly StoredEvent[]> {
    return this.events ?? this.read();
  }

  /** The stored events read from IndexedDB now (for work that writes what it learns from them). */
  async read(): Promise<readonly StoredEvent[]> {
    const g = this.generation;
    const events = await this.store.all();
    if (this.keep && g === this.generation) this.events = events;
    return events;
  }

  async count(): Promise<number> {
    return this.events?.length ?? this.store.count();
  }

  async add(batch: readonly ValidEvent[]): Promise<{ stored: StoredEvent[]; evicted: number }> {
    const base = this.events;
    return this.writeEvents('events', () => this.store.add(batch), (result, untouched) => {
      if (!base || !untouched) return null;
      // The same evictions the store made: the oldest events of the copy plus the batch.
      const fromBatch = batch.length - result.stored.length;
      return merge(base, result.stored).slice(Math.max(0, result.evicted - fromBatch));
    });
  }

  clear(deny = false): Promise<number> {
    return this.writeEvents(deny ? 'denied' : 'cleared', () => this.store.clear(deny), () => (this.keep ? [] : null));
  }

  grant(): Promise<void> {
    return this.store.grant();
  }

  getWeights(): Promise<PersonalWeightsRecord | null> {
    return this.store.getWeights();
  }

  putWeights(record: PersonalWeightsRecord, from: LearnedFrom): Promise<boolean> {
    return this.announcing('weights', () => this.store.putWeights(record, from));
  }

  deleteWeights(): Promise<void> {
    return this.announcing('weights', () => this.store.deleteWeights());
  }

  unavailable(): Promise<string[]> {
    return this.store.unavailable();
  }

  setAvailability(ids: readonly string[], available: boolean): Promise<void> {
    return this.announcing('availability', () => this.store.setAvailability(ids, available));
  }

  onVersionChange(fn: () => void): void {
    this.store.onVersionChange(fn);
  }

  close(): void {
    this.channel?.close();
    this.store.close();
  }

  /**
   * An event write: no read overlapping it becomes the copy; once the database committed,
   * the copy is `next(result, untouched)` (untouched: nothing dropped the copy meanwhile),
   * and a failed write drops it.
   */
  private writeEvents<T>(change: StoreChange, write: () => Promise<T>, next: (result: T, untouched: boolean) => readonly StoredEvent[] | null): Promise<T> {
    const g = ++this.generation;
    return this.announcing(change, async () => {
      try {
        const result = await write();
        this.events = next(result, g === this.generation);
        this.generation++;
        return result;
      } catch (e) {
        this.drop();
        throw e;
      }
    });
  }

  /** Runs a write, then tells the other tabs — also after a failed one: they re-read, which costs one read and is never wrong. */
  private async announcing<T>(change: StoreChange, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.channel?.postMessage({ change });
    }
  }
}

/** By timestamp, then arrival (`seq`): the order of the store's `by-ts` index. */
const before = (a: StoredEvent, b: StoredEvent) => a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);

function merge(base: readonly StoredEvent[], added: readonly StoredEvent[]): StoredEvent[] {
  const out = base.slice();
  for (const e of added) {
    // Usually the newest event: it goes at the end without a search.
    let lo = 0;
    let hi = out.length;
    if (hi > 0 && before(out[hi - 1], e)) lo = hi;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(out[mid], e)) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, e);
  }
  return out;
}
