/**
 * Runs the cold-start protocol of DESIGN.md: every method, tuned on validation users,
 * refitted on all training users, scored at every k on the test users, with the full
 * query view and the next-10 view, bootstrap intervals and paired differences.
 */
import { LocalrecError } from '../errors';
import { cutAll, type ColdStartSplit, type SupportQuery, type UserSequence } from '../data/split';
import { bootstrapMean, pairedBootstrapDiff, type Interval } from './bootstrap';
import type { ColdStartMethod, HyperParams, TuneResult } from './method';
import { catalogueCoverage, hitRateAt, longTailMask, longTailShare, ndcgAt, recallAt, topN } from './metrics';
import { searchGrid } from './grid-search';
import { DEFAULT_SELECTION, ValidationCriterion, viewNdcgs, viewTargets, VIEWS, type RankCuts, type Selection, type View, type ViewNdcgs } from './validation';

export const METRICS = ['ndcg10', 'recall20', 'hr10'] as const;
export type MetricName = (typeof METRICS)[number];

const LIST_LEN = 20;

export type EvalProgress =
  | { phase: 'tune'; method: string; done: number; total: number; trial?: { params: HyperParams; score: number } }
  | { phase: 'fit'; method: string }
  | { phase: 'score'; method: string; k: number; done: number; total: number }
  | { phase: 'done'; method: string; seconds: number };

export interface EvalOptions {
  ks: readonly number[];
  seed: number;
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Paired differences [a, b] = a − b, by method name; pairs naming an absent method are skipped. Default: every method vs 'popularity'. */
  pairs?: readonly (readonly [string, string])[];
  /** Tune on validation users before the final fit (default true). */
  tune?: boolean;
  /** The validation criterion tuning selects by (default DEFAULT_SELECTION, the pipeline's). */
  selection?: Selection;
  onProgress?: (e: EvalProgress) => void;
}

export interface ViewResult {
  metrics: Record<MetricName, Interval>;
}

export interface MethodKResult {
  method: string;
  k: number;
  nUsers: number;
  views: Record<View, ViewResult>;
  /** Share of the catalogue in any test user's top 10. */
  coverage10: number;
  /** Share of top-10 slots taken by long-tail items (see `longTailMask`). */
  longTail10: number;
  scoreSeconds: number;
}

export interface PairResult {
  a: string;
  b: string;
  k: number;
  view: View;
  metric: MetricName;
  nUsers: number;
  /** mean(a − b) with its paired bootstrap interval. */
  diff: Interval;
}

export interface MethodInfo {
  name: string;
  params?: HyperParams;
  tuning?: TuneResult;
  tuneSeconds: number;
  fitSeconds: number;
}

export interface SplitSummary {
  trainUsers: number;
  trainInteractions: number;
  catalogueSize: number;
  testUsers: number;
  testDroppedOutOfCatalogue: number;
  validationUsers: number;
  validationTrainUsers: number;
  /** Test users evaluable at each k. */
  usersAtK: Record<string, number>;
}

export interface EvalReport {
  dataset: string;
  createdAt: string;
  seed: number;
  ks: number[];
  resamples: number;
  split: SplitSummary;
  methods: MethodInfo[];
  results: MethodKResult[];
  pairs: PairResult[];
}

/** Per-user metric values of one method at one k, in `cutAll` user order. */
type PerUser = Record<View, Record<MetricName, Float64Array>>;

interface Ranked {
  lists: Int32Array[];
  seconds: number;
}

async function rankAll(
  method: ColdStartMethod,
  cuts: readonly SupportQuery[],
  onUser?: (done: number) => void,
): Promise<Ranked> {
  const t0 = performance.now();
  const lists: Int32Array[] = [];
  for (let u = 0; u < cuts.length; u++) {
    const support = cuts[u].support;
    const scores = await method.scoreUser(support);
    lists.push(topN(scores, LIST_LEN, support.map((e) => e.index)));
    onUser?.(u + 1);
  }
  return { lists, seconds: (performance.now() - t0) / 1000 };
}

function perUserMetrics(cuts: readonly SupportQuery[], lists: readonly Int32Array[]): PerUser {
  const n = cuts.length;
  const mk = (): Record<MetricName, Float64Array> => ({
    ndcg10: new Float64Array(n),
    recall20: new Float64Array(n),
    hr10: new Float64Array(n),
  });
  const out: PerUser = { full: mk(), next10: mk() };
  for (let u = 0; u < n; u++) {
    const targets = viewTargets(cuts[u]);
    for (const view of VIEWS) {
      const rel = targets[view];
      out[view].ndcg10[u] = ndcgAt(lists[u], rel, 10);
      out[view].recall20[u] = recallAt(lists[u], rel, 20);
      out[view].hr10[u] = hitRateAt(lists[u], rel, 10);
    }
  }
  return out;
}

/**
 * Mean NDCG@10 per view of a fitted method on the cuts of one k, ranked and scored exactly
 * as `evaluateColdStart` does (no bootstrap): for callers that score a model many times,
 * like the federated simulation after each round.
 */
export async function meanNdcg10(method: ColdStartMethod, cuts: readonly SupportQuery[]): Promise<ViewNdcgs> {
  return viewNdcgs(cuts, (await rankAll(method, cuts)).lists);
}

/** Ranks cuts with a fitted method: its top-10 with the support excluded. */
function methodRanker(method: ColdStartMethod): RankCuts {
  return async (cuts) => (await rankAll(method, cuts)).lists.map((l) => l.subarray(0, 10));
}

/**
 * Tunes on validation users (fit on training folds 2-4, search the method's axes for the
 * best validation criterion, the one the model pipeline early-stops on; see searchGrid),
 * then refits on all training users (folds 1-4). Methods without axes are just fitted.
 */
export async function tuneMethod(
  method: ColdStartMethod,
  split: ColdStartSplit,
  opts: { tune?: boolean; selection?: Selection; onProgress?: (e: EvalProgress) => void } = {},
): Promise<MethodInfo> {
  const info: MethodInfo = { name: method.name, tuneSeconds: 0, fitSeconds: 0 };
  const t0 = performance.now();
  if (opts.tune !== false && method.axes && method.setParams) {
    const selection = opts.selection ?? DEFAULT_SELECTION;
    const criterion = new ValidationCriterion(split.validation.evalUsers, split.validation.train.itemCounts, selection.ks, selection.view);
    const trials: TuneResult['trials'] = [];
    const search = await searchGrid(method.axes, async (p) => {
      method.setParams!(p);
      await method.fit(split.validation.train);
      const score = await criterion.score(methodRanker(method));
      trials.push({ params: method.params?.() ?? p, score });
      opts.onProgress?.({ phase: 'tune', method: method.name, done: trials.length, total: trials.length + 1, trial: trials[trials.length - 1] });
      return score;
    });
    method.setParams(search.best);
    info.tuning = { params: search.best, trials, position: search.position };
  }
  const t1 = performance.now();
  info.tuneSeconds = (t1 - t0) / 1000;
  opts.onProgress?.({ phase: 'fit', method: method.name });
  await method.fit(split.test.train);
  info.fitSeconds = (performance.now() - t1) / 1000;
  info.params = method.params?.();
  return info;
}

/** Scores one fitted method at every k: per-user metrics (for pairs) and the bootstrapped results. */
async function scoreMethod(
  method: ColdStartMethod,
  cutsAtK: ReadonlyMap<number, SupportQuery[]>,
  ctx: { catalogueSize: number; tail: Uint8Array; boot: { seed: number; resamples: number }; onProgress?: (e: EvalProgress) => void },
): Promise<{ byK: Map<number, PerUser>; results: MethodKResult[] }> {
  const byK = new Map<number, PerUser>();
  const results: MethodKResult[] = [];
  for (const [k, cuts] of cutsAtK) {
    const { lists, seconds } = await rankAll(method, cuts, (done) =>
      ctx.onProgress?.({ phase: 'score', method: method.name, k, done, total: cuts.length }),
    );
    const pu = perUserMetrics(cuts, lists);
    byK.set(k, pu);
    const views = {} as Record<View, ViewResult>;
    for (const view of VIEWS) {
      const metrics = {} as Record<MetricName, Interval>;
      for (const metric of METRICS) metrics[metric] = bootstrapMean(pu[view][metric], ctx.boot);
      views[view] = { metrics };
    }
    results.push({
      method: method.name,
      k,
      nUsers: cuts.length,
      views,
      coverage10: catalogueCoverage(lists, ctx.catalogueSize, 10),
      longTail10: longTailShare(lists, ctx.tail, 10),
      scoreSeconds: seconds,
    });
  }
  return { byK, results };
}

/** Paired bootstrap differences a − b for every requested pair whose methods both ran. */
function pairedDiffs(
  specs: readonly (readonly [string, string])[],
  perUser: ReadonlyMap<string, Map<number, PerUser>>,
  ks: readonly number[],
  boot: { seed: number; resamples: number },
): PairResult[] {
  const pairs: PairResult[] = [];
  for (const [a, b] of specs) {
    const pa = perUser.get(a);
    const pb = perUser.get(b);
    if (!pa || !pb) continue;
    for (const k of ks) {
      for (const view of VIEWS) {
        for (const metric of METRICS) {
          const va = pa.get(k)![view][metric];
          const vb = pb.get(k)![view][metric];
          pairs.push({ a, b, k, view, metric, nUsers: va.length, diff: pairedBootstrapDiff(va, vb, boot) });
        }
      }
    }
  }
  return pairs;
}

function splitSummary(split: ColdStartSplit, cutsAtK: ReadonlyMap<number, SupportQuery[]>): SplitSummary {
  const train = split.test.train;
  return {
    trainUsers: train.users.length,
    trainInteractions: train.nInteractions,
    catalogueSize: train.catalogue.ids.length,
    testUsers: split.test.evalUsers.length,
    testDroppedOutOfCatalogue: split.test.droppedOutOfCatalogue,
    validationUsers: split.validation.evalUsers.length,
    validationTrainUsers: split.validation.train.users.length,
    usersAtK: Object.fromEntries([...cutsAtK].map(([k, cuts]) => [String(k), cuts.length])),
  };
}

/** Runs every method at every k on the test users; see the file comment. */
export async function evaluateColdStart(
  split: ColdStartSplit,
  methods: readonly ColdStartMethod[],
  opts: EvalOptions,
): Promise<EvalReport> {
  const names = new Set<string>();
  for (const m of methods) {
    if (names.has(m.name)) throw new LocalrecError('invalid-argument', `duplicate method name '${m.name}'`, { method: m.name });
    names.add(m.name);
  }
  const resamples = opts.resamples ?? 1000;
  const boot = { seed: opts.seed, resamples };
  const ks = [...opts.ks];
  const cutsAtK = new Map(ks.map((k) => [k, cutAll(split.test.evalUsers, k)] as const));
  const train = split.test.train;
  const ctx = { catalogueSize: train.catalogue.ids.length, tail: longTailMask(train.itemCounts), boot, onProgress: opts.onProgress };

  const infos: MethodInfo[] = [];
  const results: MethodKResult[] = [];
  const perUser = new Map<string, Map<number, PerUser>>();
  for (const method of methods) {
    const t0 = performance.now();
    infos.push(await tuneMethod(method, split, { tune: opts.tune, selection: opts.selection, onProgress: opts.onProgress }));
    const scored = await scoreMethod(method, cutsAtK, ctx);
    perUser.set(method.name, scored.byK);
    results.push(...scored.results);
    opts.onProgress?.({ phase: 'done', method: method.name, seconds: (performance.now() - t0) / 1000 });
  }
  const pairSpecs = opts.pairs ?? methods.filter((m) => m.name !== 'popularity').map((m) => [m.name, 'popularity'] as const);
  return {
    dataset: split.dataset,
    createdAt: new Date().toISOString(),
    seed: opts.seed,
    ks,
    resamples,
    split: splitSummary(split, cutsAtK),
    methods: infos,
    results,
    pairs: pairedDiffs(pairSpecs, perUser, ks, boot),
  };
}
