/**
 * Scoring and explanations: the catalogue the model scores (its items plus content-embedded
 * ones the shopper met), the session that scores it, the shop's sold-out items, and the
 * answers built from one scoring pass — recommend(), with each item's reasons when asked,
 * and explain() for one item.
 */
import { DEV } from '../dev';
import type { ItemMeta } from '../data/types';
import { LocalrecError } from '../errors';
import { buildCatalogue, hasContentFeatures, type Catalogue } from '../model/catalogue';
import type { LoadedModel } from '../model/format';
import type { IndexedEvent } from '../model/pooling';
import type { ItemTable } from '../model/plain-tower';
import type { Scorer } from '../model/scorer';
import { ModelSession } from '../model/session';
import { blendScores, ItemSimilarity } from '../model/similarity';
import type { TowerParams } from '../model/weights';
import type { Explanation, ExplainOptions, RecommendOptions, RecommendResult, StoredEvent } from './types';
import { allowedItems } from './worker-filters';
import { explainTarget, rankRecommendations } from './worker-recommend';

/**
 * In related mode with history, the weight of the context item's similarity against the
 * shopper's own scores, both standardised (see blendScores). Measured by
 * bench/related-blend.ts on the synthetic shop's held-out users (docs/browser.md): 0.5 keeps
 * 80–84% of the list in the product's category at a next-item hit rate 0.02–0.03 below the
 * personal list's; 0.25 predicts the next item as well but 40–50% of it is other categories.
 */
export const RELATED_WEIGHT = 0.5;

/** Reasons per item when `recommend({ reasons: true })` does not say how many. */
const DEFAULT_REASONS = 3;

/** What one answer is scored for: the shopper's events (none without consent) and the tower consent allows. */
export interface Asker {
  events: readonly StoredEvent[];
  tower: TowerParams;
}

export class Scoring {
  #catalogue: Catalogue | null = null;
  #session: ModelSession | null = null;
  #model: LoadedModel | null = null;
  /** Cosine over the catalogue's item output table, built on the first related-mode request. */
  #similarity: ItemSimilarity | null = null;
  /** Item ids the shop marked unavailable (mirrors the store). */
  unavailable = new Set<string>();
  lastRecommendMs: number | null = null;

  /** The model's catalogue plus content-embedded items the shopper met that the model does not know. */
  rebuild(model: LoadedModel, scorer: (items: ItemTable) => Scorer, events: readonly StoredEvent[]): void {
    const extra: ItemMeta[] = [];
    if (hasContentFeatures(model.weights)) {
      for (const e of events) if (e.itemInfo) extra.push({ id: e.item, ...e.itemInfo });
    }
    this.#model = model;
    this.#catalogue = buildCatalogue(model, extra);
    this.#session?.dispose();
    this.#session = new ModelSession(this.#catalogue.weights, model.config, scorer);
    this.#similarity = null;
  }

  /** Another backend computes the scores from now on: the same catalogue, a session on its scorer. */
  useScorer(scorer: (items: ItemTable) => Scorer): void {
    const { catalogue, model } = this.ready();
    this.#session?.dispose();
    this.#session = new ModelSession(catalogue.weights, model.config, scorer);
  }

  /** Throws `model-not-loaded` before the first init. */
  ready(): { catalogue: Catalogue; session: ModelSession; model: LoadedModel } {
    if (!this.#catalogue || !this.#session || !this.#model) {
      throw new LocalrecError('model-not-loaded', 'no model loaded yet', {}, DEV ? 'call init() (createLocalrec does) and wait for it before using the recommender' : undefined);
    }
    return { catalogue: this.#catalogue, session: this.#session, model: this.#model };
  }

  get isReady(): boolean {
    return this.#session !== null;
  }

  /** The stored events when they make the catalogue differ from what it was built with (it must be rebuilt from them), else null. */
  async staleFor(read: () => Promise<readonly StoredEvent[]>): Promise<readonly StoredEvent[] | null> {
    const c = this.#catalogue;
    // Only content-embedded rows follow the events.
    if (!c || !this.#model || !hasContentFeatures(this.#model.weights)) return null;
    const events = await read();
    return c.items.length > c.trained || events.some((e) => e.itemInfo && !c.index.has(e.item)) ? events : null;
  }

  /** Stored events the catalogue can pool, and the events they came from (same order). */
  history(events: readonly StoredEvent[]): { history: IndexedEvent[]; used: StoredEvent[] } {
    const index = this.ready().catalogue.index;
    const history: IndexedEvent[] = [];
    const used: StoredEvent[] = [];
    for (const e of events) {
      const i = index.get(e.item);
      if (i === undefined) continue; // kept for a future model that knows the item
      history.push({ index: i, type: e.type, ts: e.ts });
      used.push(e);
    }
    return { history, used };
  }

  /**
   * Track's check: events for items the model does not know need a model with content
   * features. Returns whether any brings metadata that grows the catalogue.
   */
  admit(events: readonly { item: string; itemInfo?: unknown }[]): boolean {
    const { catalogue, model } = this.ready();
    const content = hasContentFeatures(model.weights);
    let grows = false;
    for (const [i, e] of events.entries()) {
      if (catalogue.index.has(e.item)) continue;
      if (!content) {
        throw new LocalrecError(
          'unknown-item',
          `event ${i}: item "${e.item}" is not in model version ${model.manifest.modelVersion}`,
          { index: i, item: e.item },
          DEV ? 'this model has no content features, so it cannot embed new items from itemInfo; train one with content features or track only catalogue items' : undefined,
        );
      }
      if (e.itemInfo) grows = true;
    }
    return grows;
  }

  /** Whether content-embedded rows are in the catalogue (they come and go with the events that describe them). */
  hasExtraItems(): boolean {
    const c = this.ready().catalogue;
    return c.items.length > c.trained;
  }

  #itemSimilarity(w: { itemOut: Float32Array; n: number; d: number }): ItemSimilarity {
    // The output table: on held-out shop users it finds the next item about twice as often as
    // the input table, with as many same-category items (bench/related-blend.ts).
    this.#similarity ??= new ItemSimilarity(w.itemOut, w.n, w.d);
    return this.#similarity;
  }

  /**
   * Full-catalogue scores: the tower's for the history, or with a context item its
   * similarity to every item, blended with the tower's when there is history.
   */
  async #scoreItems(tower: TowerParams, history: IndexedEvent[], context: number | null): Promise<Float32Array> {
    const { catalogue, session } = this.ready();
    if (context === null) return session.scoreShared(tower, [history]);
    const related = this.#itemSimilarity(catalogue.weights).to(context);
    if (history.length === 0) return related;
    return blendScores(await session.scoreShared(tower, [history]), related, RELATED_WEIGHT);
  }

  async recommend(opts: RecommendOptions, asker: Asker, personalised: boolean): Promise<RecommendResult> {
    const t0 = performance.now();
    const { catalogue, model } = this.ready();
    const c = allowedItems(opts, { items: catalogue.items, index: catalogue.index, events: asker.events, unavailable: this.unavailable });
    const { history, used } = this.history(asker.events);
    const scores = await this.#scoreItems(asker.tower, history, c.context);
    const items = rankRecommendations(scores, catalogue.items, c.allowed, c.n);
    if (opts.reasons) {
      const n = opts.reasons === true ? DEFAULT_REASONS : opts.reasons;
      const input = { catalogue, pooling: model.config.pooling, tower: asker.tower, history, used, similarity: this.#contextSimilarity(c.context) };
      for (const it of items) it.explanation = explainTarget(input, catalogue.index.get(it.id)!, n, c.context, it.score);
    }
    const mode = c.context !== null ? 'related' : history.length > 0 ? 'personal' : 'popular';
    const ms = performance.now() - t0;
    this.lastRecommendMs = ms;
    return { items, modelVersion: model.manifest.modelVersion, personalised, mode, unknownIds: c.unknownIds, ms };
  }

  /** Arguments already checked by the handler table; an unknown context is ignored, as recommend() ignores it. */
  async explain(item: string, options: ExplainOptions, asker: Asker): Promise<Explanation> {
    const { catalogue, model } = this.ready();
    const target = catalogue.index.get(item);
    if (target === undefined) throw new LocalrecError('unknown-item', `item "${item}" is not in the catalogue`, { item });
    const { history, used } = this.history(asker.events);
    const ctx = options.context === undefined ? null : (catalogue.index.get(options.context) ?? null);
    // With a context the item's score is the related-mode one; without, the attribution's own.
    const score = ctx === null ? undefined : (await this.#scoreItems(asker.tower, history, ctx))[target];
    const input = { catalogue, pooling: model.config.pooling, tower: asker.tower, history, used, similarity: this.#contextSimilarity(ctx) };
    return explainTarget(input, target, options.n ?? DEFAULT_REASONS, ctx, score);
  }

  #contextSimilarity(ctx: number | null): ItemSimilarity | null {
    return ctx === null ? null : this.#itemSimilarity(this.ready().catalogue.weights);
  }

  /** Known ids only are stored and applied; unknown ones are counted. */
  partitionIds(ids: readonly string[]): { known: Set<string>; unknown: Set<string> } {
    const { catalogue } = this.ready();
    const known = new Set<string>();
    const unknown = new Set<string>();
    for (const id of ids) (catalogue.index.has(id) ? known : unknown).add(id);
    return { known, unknown };
  }

  setAvailable(ids: Iterable<string>, available: boolean): void {
    for (const id of ids) {
      if (available) this.unavailable.delete(id);
      else this.unavailable.add(id);
    }
  }

  /** Sold-out items this model knows (status()). */
  knownUnavailable(): number {
    const index = this.#catalogue?.index;
    let n = 0;
    if (index) for (const id of this.unavailable) if (index.has(id)) n++;
    return n;
  }

  /** Bytes of the model's typed arrays the catalogue holds. */
  modelBytes(): number {
    const w = this.#catalogue?.weights;
    return w ? w.itemIn.byteLength + w.itemOut.byteLength + w.itemBias.byteLength + w.contentProj.byteLength : 0;
  }
}
