/**
 * Turns an EvalReport into what people read: an aligned plain-text table, the JSON file,
 * and SVG plots of NDCG@10 against k (vega-lite compiled to vega, rendered headless with
 * `renderer: 'none'`, so no canvas package is needed).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EvalReport, MetricName } from './evaluate';
import type { View } from './validation';

const METRIC_LABEL: Record<MetricName, string> = { ndcg10: 'NDCG@10', recall20: 'Recall@20', hr10: 'HR@10' };

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

function signed(x: number): string {
  return (x >= 0 ? '+' : '') + fmt(x);
}

/** Left-aligned first column, right-aligned others, two spaces between columns. */
export function alignTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

/** The metrics table of one view: one row per (method, k). */
export function formatTable(report: EvalReport, view: View = 'full'): string {
  const header = ['method', 'k', 'users', 'NDCG@10', '95% CI', 'Recall@20', 'HR@10'];
  if (view === 'full') header.push('cov@10', 'tail@10');
  const rows: string[][] = [header];
  for (const k of report.ks) {
    for (const r of report.results.filter((x) => x.k === k)) {
      const m = r.views[view].metrics;
      const row = [
        r.method,
        String(k),
        String(r.nUsers),
        fmt(m.ndcg10.mean),
        `[${fmt(m.ndcg10.lo)}, ${fmt(m.ndcg10.hi)}]`,
        fmt(m.recall20.mean),
        fmt(m.hr10.mean),
      ];
      if (view === 'full') row.push(fmt(r.coverage10), fmt(r.longTail10));
      rows.push(row);
    }
  }
  return alignTable(rows);
}

/** Paired differences (a − b) of one metric and view, with their paired 95% intervals. */
export function formatPairs(report: EvalReport, metric: MetricName = 'ndcg10', view: View = 'full'): string {
  const rows: string[][] = [['a − b', 'k', 'users', `Δ ${METRIC_LABEL[metric]}`, 'paired 95% CI', '']];
  for (const p of report.pairs) {
    if (p.metric !== metric || p.view !== view) continue;
    const verdict = p.diff.lo > 0 ? 'a better' : p.diff.hi < 0 ? 'b better' : 'n.s.';
    rows.push([
      `${p.a} − ${p.b}`,
      String(p.k),
      String(p.nUsers),
      signed(p.diff.mean),
      `[${signed(p.diff.lo)}, ${signed(p.diff.hi)}]`,
      verdict,
    ]);
  }
  return rows.length > 1 ? alignTable(rows) : '';
}

/** Everything a terminal user needs: split summary, both views, tuned parameters, pairs. */
export function formatReport(report: EvalReport): string {
  const s = report.split;
  const parts = [
    `dataset ${report.dataset}: ${s.trainUsers} training users, ${s.trainInteractions} interactions, ` +
      `catalogue ${s.catalogueSize} items; ${s.testUsers} test users ` +
      `(${s.testDroppedOutOfCatalogue} test interactions with items outside the catalogue dropped); ` +
      `tuned on ${s.validationUsers} validation users against ${s.validationTrainUsers} training users`,
    '',
    'Full query (every interaction after the support):',
    formatTable(report, 'full'),
    '',
    'Next 10 (the next 10 interactions after the support):',
    formatTable(report, 'next10'),
  ];
  const tuned = report.methods.filter((m) => m.params);
  if (tuned.length > 0) {
    parts.push('', 'Parameters (where tuned: the validation criterion of the best point, and where each tuned value sits in its searched range):');
    for (const m of report.methods) {
      const best = m.tuning?.trials.reduce((a, b) => (b.score > a.score ? b : a));
      const p = m.params ? JSON.stringify(m.params) : '{}';
      const where = m.tuning ? ` ${JSON.stringify(m.tuning.position)}` : '';
      parts.push(
        `  ${m.name}: ${p}${best ? ` (val ${fmt(best.score)} over ${m.tuning!.trials.length} points;${where})` : ''}` +
          `  tune ${fmt(m.tuneSeconds, 1)} s, fit ${fmt(m.fitSeconds, 1)} s`,
      );
    }
  }
  const pairs = formatPairs(report, 'ndcg10', 'full');
  if (pairs) parts.push('', 'Paired differences, NDCG@10, full query:', pairs);
  const next10Pairs = formatPairs(report, 'ndcg10', 'next10');
  if (next10Pairs) parts.push('', 'Paired differences, NDCG@10, next 10:', next10Pairs);
  return parts.join('\n');
}

/** Writes the report as pretty JSON (Node only). */
export async function writeJsonReport(report: EvalReport, path: string): Promise<void> {
  const [{ mkdir }, { dirname }, { writeFileAtomic }] = await Promise.all([import('node:fs/promises'), import('node:path'), import('../model/files-node')]);
  await mkdir(dirname(path), { recursive: true });
  // Atomic, like every report file: an eval killed (SIGINT) mid-write leaves the previous file, never half of one.
  await writeFileAtomic(path, JSON.stringify(report, null, 2) + '\n', dirname(path));
}

/** vega-lite spec: NDCG@10 against k, one line per method, error bars from the 95% CIs. */
export function ndcgVsKSpec(report: EvalReport, view: View = 'full'): TopLevelSpec {
  const methods = [...new Set(report.results.map((r) => r.method))];
  // Nudge each method a little along the (log) k axis so close error bars stay visible.
  const nudge = (m: string): number => 1 + 0.04 * (methods.indexOf(m) - (methods.length - 1) / 2);
  const values = report.results.map((r) => ({
    method: r.method,
    k: r.k,
    kx: r.k * nudge(r.method),
    ndcg: r.views[view].metrics.ndcg10.mean,
    lo: r.views[view].metrics.ndcg10.lo,
    hi: r.views[view].metrics.ndcg10.hi,
  }));
  const title = {
    text: `${report.dataset}: cold-start NDCG@10 vs support size k`,
    subtitle:
      view === 'full'
        ? 'query = every interaction after the k support items; bars = bootstrap 95% CI over test users'
        : 'next 10: query = the next 10 interactions after the support; bars = 95% CI',
  };
  const x = {
    field: 'kx',
    type: 'quantitative',
    title: 'support size k (log scale)',
    scale: { type: 'log', nice: false, domain: [Math.min(...report.ks) * 0.8, Math.max(...report.ks) * 1.25] as number[] },
    axis: { values: report.ks, format: 'd' },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 480,
    height: 300,
    data: { values },
    encoding: { x, color: { field: 'method', type: 'nominal', title: 'method', scale: { scheme: 'tableau20' } } },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: { y: { field: 'ndcg', type: 'quantitative', title: 'NDCG@10', scale: { zero: false } } },
      },
      { mark: { type: 'errorbar', ticks: true }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'NDCG@10' }, y2: { field: 'hi' } } },
    ],
  };
}

/** Renders a vega-lite spec to an SVG string in Node (no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes report.json, ndcg-vs-k.svg and ndcg-vs-k-next10.svg into `dir`; returns the paths. */
export async function writeReportFiles(report: EvalReport, dir: string): Promise<string[]> {
  const [{ mkdir }, { join }, { writeFileAtomic }] = await Promise.all([import('node:fs/promises'), import('node:path'), import('../model/files-node')]);
  const writeFile = (path: string, text: string) => writeFileAtomic(path, text, dir);
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const full = join(dir, 'ndcg-vs-k.svg');
  const next10 = join(dir, 'ndcg-vs-k-next10.svg');
  const table = join(dir, 'table.txt');
  await writeJsonReport(report, json);
  await writeFile(full, await renderSvg(ndcgVsKSpec(report, 'full')));
  await writeFile(next10, await renderSvg(ndcgVsKSpec(report, 'next10')));
  await writeFile(table, formatReport(report) + '\n');
  return [json, full, next10, table];
}
