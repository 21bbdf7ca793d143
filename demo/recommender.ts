/**
 * The demo's view of the SDK: "for you" and "related to this product" lists and their
 * explanations, each call timed on the page (the developer panel shows the numbers next
 * to the Worker's own). Everything the page sends goes through the embed's queue or the
 * client it resolves to, as a shop's code would.
 */
import type { Explanation, Localrec, Recommendation, RecommendResult } from '../src/index';

export interface RecList {
  items: Recommendation[];
  personalised: boolean;
  mode: RecommendResult['mode'];
  /** Round trip measured on the page, Worker queueing included. */
  ms: number;
}

export interface PageTimings {
  /** From page start until the client was ready (model download, verification, backend probes). */
  readyMs: number | null;
  lastRecommendMs: number | null;
  lastRelatedMs: number | null;
}

export class Recommender {
  readonly timings: PageTimings = { readyMs: null, lastRecommendMs: null, lastRelatedMs: null };

  constructor(readonly client: Localrec) {}

  async forYou(n: number, categories?: string[]): Promise<RecList> {
    const t0 = performance.now();
    const r = await this.client.recommend({ n, ...(categories ? { categories } : {}) });
    const ms = performance.now() - t0;
    this.timings.lastRecommendMs = ms;
    return { items: r.items, personalised: r.personalised, mode: r.mode, ms };
  }

  /**
   * "Related to this product": the SDK's context mode. Items the shopper already looked at
   * stay eligible: on a product page, "you looked at this one too" is still related.
   */
  async related(itemId: string, n: number): Promise<RecList> {
    const t0 = performance.now();
    const r = await this.client.recommend({ n, context: itemId, excludeSeen: false });
    const ms = performance.now() - t0;
    this.timings.lastRelatedMs = ms;
    return { items: r.items, personalised: r.personalised, mode: r.mode, ms };
  }

  explain(itemId: string, context?: string): Promise<Explanation> {
    return this.client.explain(itemId, { n: 3, ...(context ? { context } : {}) });
  }
}
