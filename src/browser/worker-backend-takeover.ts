/**
 * `backend: 'auto'` after the first recommendation. The Worker starts on plain scores
 * (worker-backend.ts, `source: 'pending'`), so a first visit fetches no tfjs before it
 * recommends. Once the page has had its first recommendation and the Worker has been
 * left alone for a moment, this measures: the backend remembered for this model and
 * device (worker-backend-memory.ts) is loaded alone, or, with none remembered (or one that
 * no longer works), every candidate is probed and the winner remembered. The winner's
 * scorer is then swapped in by the caller, in turn with requests. A page that never
 * recommends never measures: the download (up to ~400 kB of tfjs) would buy it nothing.
 */
import type { BackendName } from './types';
import type { BackendChoice } from './worker-backend';
import type { BackendMemory } from './worker-backend-memory';

export interface TakeoverDeps {
  /** worker-backend.ts probeBackends. */
  probe(wasmPath: string | null, items: number): Promise<BackendChoice>;
  /** worker-backend.ts loadBackend: rejects when the backend no longer works. */
  load(name: BackendName, wasmPath: string | null, items: number): Promise<BackendChoice>;
  /** Quiet time after the first recommendation before measuring (default TAKEOVER_DELAY_MS). */
  delayMs?: number;
}

/**
 * Quiet time after the first recommendation: a page asks for its rows together
 * (the demo's home page asks three times within ~100 ms), and the measurement should not
 * sit in front of them.
 */
export const TAKEOVER_DELAY_MS = 1500;

/** What one armed takeover measures for. */
export interface TakeoverTarget {
  key: string;
  wasmPath: string | null;
  items: number;
  /** null: nothing is remembered (storage 'memory', or IndexedDB unavailable). */
  memory: BackendMemory | null;
}

export class BackendTakeover {
  #target: TakeoverTarget | null = null;
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #started = false;

  /** `swap` runs the winner in; it is not called when the takeover was cancelled or re-armed meanwhile. */
  constructor(
    private readonly deps: TakeoverDeps,
    private readonly swap: (choice: BackendChoice, isCurrent: () => boolean) => void,
  ) {}

  /** A start on 'auto' that has not measured yet: measure after its first recommendation. */
  arm(target: TakeoverTarget): void {
    this.cancel();
    this.#target = target;
  }

  /** A forced backend, or a new start: nothing to take over (a running measurement's result is dropped). */
  cancel(): void {
    this.#generation++;
    this.#target = null;
    this.#started = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Every answered recommend(): the first one starts the quiet time; later ones push it back until the measurement starts. */
  recommended(): void {
    const target = this.#target;
    if (!target || this.#started) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const generation = this.#generation;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (generation !== this.#generation) return;
      this.#started = true;
      void this.#measure(target, generation);
    }, this.deps.delayMs ?? TAKEOVER_DELAY_MS);
  }

  async #measure(target: TakeoverTarget, generation: number): Promise<void> {
    const isCurrent = () => generation === this.#generation;
    const remembered = await target.memory?.get(target.key);
    let choice: BackendChoice | null = null;
    if (remembered) {
      choice = await this.deps.load(remembered.name, target.wasmPath, target.items).catch(() => null);
      // It stopped working here (a browser or driver change the key does not see): measure again.
      if (!choice) await target.memory?.delete(target.key);
    }
    if (!choice) {
      try {
        choice = await this.deps.probe(target.wasmPath, target.items);
      } catch {
        return; // plain stays: it always works
      }
      if (isCurrent()) await target.memory?.put({ key: target.key, name: choice.name, probes: choice.probes, measuredAt: Date.now() });
    }
    if (isCurrent()) this.swap(choice, isCurrent);
  }
}
