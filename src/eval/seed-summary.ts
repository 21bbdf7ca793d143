/**
 * Training-seed spread of several evaluation runs that differ only in `--seed`. The
 * bootstrap intervals of one report cover the sampling of test users, not the training
 * run; on MovieLens small two seeds of the same pipeline differ by more than most method
 * changes (docs/evaluation.md), so method claims should hold across seeds.
 */
import { LocalrecError } from '../errors';
import * as v from 'valibot';
import type { EvalReport } from './evaluate';
import { VIEWS, type View } from './validation';

const IntervalSchema = v.object({ mean: v.number(), lo: v.number(), hi: v.number() });

/** The part of report.json the summary reads. */
export const SeedReportSchema = v.object({
  dataset: v.string(),
  seed: v.number(),
  split: v.object({ testUsers: v.number(), catalogueSize: v.number() }),
  results: v.array(v.object({ method: v.string(), k: v.number(), coverage10: v.optional(v.number()), views: v.object({ full: v.object({ metrics: v.object({ ndcg10: IntervalSchema }) }), next10: v.object({ metrics: v.object({ ndcg10: IntervalSchema }) }) }) })),
  pairs: v.array(v.object({ a: v.string(), b: v.string(), k: v.number(), view: v.picklist(VIEWS), metric: v.string(), diff: IntervalSchema })),
});
export type SeedReport = v.InferOutput<typeof SeedReportSchema> & Partial<Pick<EvalReport, 'createdAt'>>;

export interface SeedSpread {
  seeds: number[];
  values: number[];
  mean: number;
  min: number;
  max: number;
}

export interface SeedSummary {
  dataset: string;
  k: number;
  view: View;
  seeds: number[];
  /** NDCG@10 of each method present in every report. */
  methods: ({ method: string } & SeedSpread)[];
  /** Paired differences present in every report, with how many seeds' intervals exclude 0. */
  pairs: ({ a: string; b: string; above: number; below: number } & SeedSpread)[];
}

function spread(seeds: number[], values: number[]): SeedSpread {
  return { seeds, values, mean: values.reduce((s, x) => s + x, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
}

export function summariseSeeds(reports: readonly SeedReport[], k: number, view: View = 'full'): SeedSummary {
  if (reports.length === 0) throw new LocalrecError('invalid-argument', 'no reports to summarise');
  const [first] = reports;
  for (const r of reports) {
    if (r.dataset !== first.dataset || r.split.testUsers !== first.split.testUsers || r.split.catalogueSize !== first.split.catalogueSize) {
      throw new LocalrecError('invalid-argument', `reports come from different splits (${first.dataset} vs ${r.dataset}); only --seed may differ`);
    }
  }
  const seeds = reports.map((r) => r.seed);
  if (new Set(seeds).size !== seeds.length) throw new LocalrecError('invalid-argument', `the same seed appears twice: ${seeds.join(', ')}`);
  const methods = [...new Set(first.results.filter((x) => x.k === k).map((x) => x.method))].flatMap((method) => {
    const values = reports.map((r) => r.results.find((x) => x.method === method && x.k === k)?.views[view].metrics.ndcg10.mean);
    return values.every((x) => x !== undefined) ? [{ method, ...spread(seeds, values as number[]) }] : [];
  });
  const pairs = first.pairs
    .filter((p) => p.k === k && p.view === view && p.metric === 'ndcg10')
    .flatMap(({ a, b }) => {
      const diffs = reports.map((r) => r.pairs.find((p) => p.a === a && p.b === b && p.k === k && p.view === view && p.metric === 'ndcg10')?.diff);
      if (!diffs.every((x) => x !== undefined)) return [];
      const ds = diffs as { mean: number; lo: number; hi: number }[];
      return [{ a, b, above: ds.filter((d) => d.lo > 0).length, below: ds.filter((d) => d.hi < 0).length, ...spread(seeds, ds.map((d) => d.mean)) }];
    });
  return { dataset: first.dataset, k, view, seeds, methods, pairs };
}

/** The methods a shipped model has to beat: every baseline of the evaluation. */
export const BASELINES = ['popularity', 'itemknn', 'ease', 'mf-als'] as const;

/** One line of the product's quality target, checked per seed. */
export interface TargetLine {
  k: number;
  view: View;
  /** method NDCG@10 ÷ the best baseline's in the same run, per seed. */
  ratios: number[];
  best: string[];
  mean: number;
}

/**
 * How `method` stands against the best baseline of each run, per k and view (issue 10's
 * target: ≥ 1.05× at k=5 and ≥ 1.0× at every k, in both views), and its coverage@10 at
 * each k against EASE's.
 */
export function targetLines(reports: readonly SeedReport[], method: string): { lines: TargetLine[]; coverage: { k: number; method: number[]; ease: number[] }[] } {
  const ks = [...new Set(reports[0]?.results.filter((r) => r.method === method).map((r) => r.k) ?? [])].sort((a, b) => a - b);
  const lines: TargetLine[] = [];
  for (const k of ks) {
    for (const view of VIEWS) {
      const ratios: number[] = [];
      const best: string[] = [];
      for (const r of reports) {
        const at = (m: string) => r.results.find((x) => x.method === m && x.k === k)?.views[view].metrics.ndcg10.mean;
        const own = at(method);
        const base = BASELINES.map((b) => ({ b, v: at(b) })).filter((x): x is { b: (typeof BASELINES)[number]; v: number } => x.v !== undefined);
        if (own === undefined || !base.length) continue;
        const top = base.reduce((a, b) => (b.v > a.v ? b : a));
        ratios.push(own / top.v);
        best.push(top.b);
      }
      if (ratios.length) lines.push({ k, view, ratios, best, mean: ratios.reduce((a, b) => a + b, 0) / ratios.length });
    }
  }
  const coverage = ks.map((k) => ({
    k,
    method: reports.map((r) => r.results.find((x) => x.method === method && x.k === k)?.coverage10 ?? NaN),
    ease: reports.map((r) => r.results.find((x) => x.method === 'ease' && x.k === k)?.coverage10 ?? NaN),
  }));
  return { lines, coverage };
}
