/**
 * The in-memory store: the same interface as IndexedDB's where IndexedDB is unavailable
 * (some private-browsing modes) or the page asked for it; gone with the Worker.
 */
import { LocalrecError } from '../errors';
import type { StoredEvent } from './types';
import type { ValidEvent } from './worker-events';
import { toStored, type DroppedRecords, type EventStore, type LearnedFrom, type PersonalWeightsRecord } from './worker-store-contract';

export class MemoryStore implements EventStore {
  readonly mode = 'memory' as const;
  /** Only this Worker writes it, through the schemas: nothing to drop. */
  readonly dropped: DroppedRecords = { events: 0, personal: 0, unavailable: 0 };
  private events: StoredEvent[] = [];
  private weights: PersonalWeightsRecord | null = null;
  #denied = false;
  private readonly soldOut = new Set<string>();
  private nextSeq = 1;
  constructor(
    readonly maxEvents: number,
    readonly reason: string,
  ) {}

  async add(input: readonly ValidEvent[]): Promise<{ stored: StoredEvent[]; evicted: number }> {
    if (this.#denied) throw new LocalrecError('consent-required', 'consent was denied; nothing is stored', { consent: 'denied' });
    const stored = input.map((e) => ({ ...toStored(e), seq: this.nextSeq++ }));
    this.events.push(...stored);
    this.events.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    const evicted = Math.max(0, this.events.length - this.maxEvents);
    const gone = new Set(this.events.splice(0, evicted).map((e) => e.seq));
    return { stored: stored.filter((s) => !gone.has(s.seq)), evicted };
  }

  async all(): Promise<StoredEvent[]> {
    return this.events.map((e) => ({ ...e }));
  }

  async count(): Promise<number> {
    return this.events.length;
  }

  async getWeights(): Promise<PersonalWeightsRecord | null> {
    return this.weights;
  }

  async putWeights(record: PersonalWeightsRecord, from: LearnedFrom): Promise<boolean> {
    if (this.#denied || !this.events.some((e) => e.seq === from.seq)) return false;
    this.weights = record;
    return true;
  }

  async grant(): Promise<void> {
    this.#denied = false;
  }

  async deleteWeights(): Promise<void> {
    this.weights = null;
  }

  async clear(deny = false): Promise<number> {
    const n = this.events.length;
    this.events = [];
    this.weights = null;
    this.#denied ||= deny;
    return n;
  }

  async unavailable(): Promise<string[]> {
    return [...this.soldOut];
  }

  async setAvailability(ids: readonly string[], available: boolean): Promise<void> {
    for (const id of ids) {
      if (available) this.soldOut.delete(id);
      else this.soldOut.add(id);
    }
  }

  /** Private to this Worker: nothing else can change it. */
  onVersionChange(): void {}

  close(): void {}
}
