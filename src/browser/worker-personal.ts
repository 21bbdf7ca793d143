/**
 * The shopper's personal tower: the one place that decides whether stored weights belong
 * to the loaded model, trains new ones (worker-personalise.ts), and stops a training in
 * flight or scheduled when the shopper forgets or withdraws consent.
 */
import type { ModelManifest } from '../model/manifest';
import type { IndexedEvent } from '../model/pooling';
import type { ModelSession } from '../model/session';
import { flattenTower, towerSize, unflattenTower, type TowerParams } from '../model/weights';
import type { PersonaliseResult, StoredEvent } from './types';
import type { HistoryCache } from './worker-history-cache';
import { runInnerLoop } from './worker-personalise';
import type { PersonalWeightsRecord } from './worker-store';

/** What stored weights are to the loaded model: usable, this model's but damaged, or another model's. */
export type WeightsFit = 'fits' | 'damaged' | 'other-model';

/** The one model-match rule: trained from this model name, version and dims, with the right length and finite values. */
export function weightsFit(rec: PersonalWeightsRecord, m: ModelManifest): WeightsFit {
  if (rec.modelName !== m.name || rec.modelVersion !== m.modelVersion || rec.d !== m.dims.d || rec.hidden !== m.dims.hidden) return 'other-model';
  const usable = rec.params instanceof Float32Array && rec.params.length === towerSize(rec.d, rec.hidden) && rec.params.every(Number.isFinite);
  return usable ? 'fits' : 'damaged';
}

/** What a personalisation reads: the model's session and store, and the history the catalogue can pool. */
export interface TrainingInputs {
  session: ModelSession;
  store: HistoryCache;
  manifest: ModelManifest;
  history(events: readonly StoredEvent[]): IndexedEvent[];
}

export class PersonalWeights {
  #current: { tower: TowerParams; record: PersonalWeightsRecord } | null = null;
  /** Bumped by stop(), so a personalisation that started before it never writes after it. */
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  lastMs: number | null = null;

  get record(): PersonalWeightsRecord | null {
    return this.#current?.record ?? null;
  }

  clear(): void {
    this.#current = null;
  }

  /** Uses stored weights when they fit the model; says how they fit. */
  adopt(rec: PersonalWeightsRecord, m: ModelManifest): WeightsFit {
    const fit = weightsFit(rec, m);
    if (fit === 'fits') this.#current = { tower: unflattenTower(rec.params, rec.d, rec.hidden), record: rec };
    return fit;
  }

  /** The tower that scores: the personal one only while consent is granted, else the model's shared one. */
  tower(shared: TowerParams, granted: boolean): TowerParams {
    return (granted && this.#current?.tower) || shared;
  }

  /** Forget or a withdrawal: a personalisation running now learned from what is gone and must not write; a scheduled one is dropped. */
  stop(): void {
    this.#generation++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Runs `work` once the shopper has been quiet for `waitMs` (each call restarts the wait). */
  schedule(waitMs: number, work: () => void): void {
    if (waitMs <= 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      work();
    }, waitMs);
  }

  /**
   * Trains the tower on the stored history and stores it tagged with the model; returns the
   * history it learned from (null when nothing was learned: no usable history, or stop() came first).
   */
  async train(inputs: TrainingInputs, steps: number | undefined): Promise<{ result: PersonaliseResult; history: IndexedEvent[] }> {
    const { session, store, manifest: m } = inputs;
    const generation = this.#generation;
    const none = { result: { steps: 0, events: 0, modelVersion: m.modelVersion, ms: 0, personalised: false }, history: [] };
    // From IndexedDB, not memory: what it learns is stored, so it must not learn from events another tab just erased.
    const events = await store.read();
    const history = inputs.history(events);
    if (history.length === 0) {
      this.#current = null;
      await store.deleteWeights();
      return none;
    }
    const run = await runInnerLoop(session, history, steps);
    // stop() came first: learning from erased interactions must leave no trace.
    if (generation !== this.#generation) return none;
    const record: PersonalWeightsRecord = {
      key: 'current',
      modelName: m.name,
      modelVersion: m.modelVersion,
      steps: run.steps,
      lr: run.lr,
      events: history.length,
      trainedAt: Date.now(),
      d: m.dims.d,
      hidden: m.dims.hidden,
      params: flattenTower(run.tower),
      ms: run.ms,
    };
    // Refused when a forget or denial in another tab came after the read: it learned from erased events.
    const from = { seq: events.reduce((m, e) => Math.max(m, e.seq), -Infinity) };
    if (!(await store.putWeights(record, from)) || generation !== this.#generation) return none;
    this.#current = { tower: run.tower, record };
    this.lastMs = run.ms;
    return { result: { steps: run.steps, events: history.length, modelVersion: m.modelVersion, ms: run.ms, personalised: true }, history };
  }
}
