/**
 * What `train` tells a person, in words they can act on: what happened to the rows of
 * their file, what the validation numbers mean, what looks wrong, and what to do next.
 * Pure functions of the run's facts returning lines, so the wording is tested without a
 * training run. Imports nothing heavy.
 */
import type { ValidationView } from '../eval/validation';
import type { Dataset, IngestSummary, RowError } from '../data/types';

const n = (x: number) => x.toLocaleString('en-US');

/** "a 1,234, b 56 and 3 more" for a count table, largest first. */
function counts(table: Record<string, number>, shown = 6): string {
  const rows = Object.entries(table).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const head = rows.slice(0, shown).map(([k, v]) => `${k} ${n(v)}`);
  return rows.length > shown ? `${head.join(', ')} and ${rows.length - shown} more` : head.join(', ');
}

function sum(table: Record<string, number>): number {
  return Object.values(table).reduce((a, b) => a + b, 0);
}

export function describeRow(e: RowError): string {
  return `${e.file ?? ''}${e.file ? ' ' : ''}line ${e.line}: ${e.message}`;
}

/** Facts of the data once duplicates are merged (from the training data). */
export interface TrainingFacts {
  users: number;
  items: number;
  interactions: number;
}

/**
 * The ingestion summary: rows read, interactions kept per type, rows skipped per reason,
 * duplicates merged, users/items/time span, and where item metadata came from.
 */
export function ingestionLines(dataset: Dataset, summary: IngestSummary | undefined, facts: TrainingFacts): string[] {
  const lines: string[] = [];
  const raw = dataset.interactions.length;
  if (summary) {
    const kept = Object.entries(summary.kept).filter(([, v]) => v > 0).map(([k, v]) => `${n(v)} ${k}`);
    lines.push(`read ${dataset.name}: ${n(summary.rows)} rows`);
    lines.push(`  kept ${n(raw)} interactions${kept.length ? `: ${kept.join(', ')}` : ''}`);
    const other = sum(summary.skippedEvents);
    if (other > 0) lines.push(`  skipped ${n(other)} rows of events that are not shopping interactions: ${counts(summary.skippedEvents)}`);
    const noItem = sum(summary.noItem);
    if (noItem > 0) lines.push(`  skipped ${n(noItem)} interaction rows that name no item: ${counts(summary.noItem)}`);
    if (summary.bad > 0) lines.push(`  skipped ${n(summary.bad)} malformed rows (listed above)`);
  } else {
    lines.push(`read ${dataset.name}: ${n(raw)} interactions`);
  }
  const merged = raw - facts.interactions;
  if (merged > 0) lines.push(`  merged ${n(merged)} repeated user–item interactions (each pair keeps its earliest time and strongest type)`);
  let first = Infinity;
  let last = -Infinity;
  for (const x of dataset.interactions) {
    if (x.ts < first) first = x.ts;
    if (x.ts > last) last = x.ts;
  }
  const span = Number.isFinite(first) ? ` from ${day(first)} to ${day(last)} (${Math.max(1, Math.round((last - first) / 86_400_000))} days)` : '';
  lines.push(`  → ${n(facts.users)} users, ${n(facts.items)} items, ${n(facts.interactions)} interactions${span}`);
  if (summary) {
    const m = summary.itemMeta;
    const from = m.source === 'items file' ? 'the items file' : m.source === 'export' ? "the export's items[]" : 'nowhere';
    lines.push(`  item metadata from ${from}: ${n(m.titled)} of ${n(facts.items)} items have a title, ${n(m.categorised)} categories`);
  }
  return lines;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Warnings about the data, before training. */
export function dataWarnings(summary: IngestSummary | undefined, facts: TrainingFacts): string[] {
  const out: string[] = [];
  if (summary && summary.itemMeta.titled === 0 && summary.itemMeta.categorised === 0) {
    out.push(
      'warning: no item has a title or categories, so the model cannot embed items from their content (new items get no recommendations from it, and the shipped student usually keeps less of the teacher) — ' +
        'export items[] with item_name and item_category (the README query does), or put an items.csv (id,title,categories,brand,price) next to the events file in a data directory',
    );
  }
  if (summary && summary.rows > 0 && sum(summary.noItem) > 0.2 * (sum(summary.kept) + sum(summary.noItem))) {
    out.push(`warning: ${n(sum(summary.noItem))} interaction rows name no item; check that the tagging sends items[] with item_id`);
  }
  if (facts.users > 0 && facts.interactions / facts.users < 2) out.push('warning: fewer than 2 interactions per user on average: most users teach the model nothing');
  return out;
}

/** How validation numbers read under a validation view: multiples of popularity's, or raw NDCG@10. */
export function validationLabel(view: ValidationView): { unit: (x: number) => string; heading: string } {
  if (view === 'relative') return { unit: (x) => `${x.toFixed(2)}× popularity`, heading: '× popularity' };
  return { unit: (x) => `NDCG@10 ${x.toFixed(4)}`, heading: 'val NDCG@10' };
}

/** One line when a stage ends: its time, where it stopped and its validation score in words. */
export function stageLine(stage: string, info: Record<string, unknown>, view: ValidationView): string {
  const { unit } = validationLabel(view);
  const parts: string[] = [];
  if (typeof info.seconds === 'number') parts.push(`${info.seconds.toFixed(1)} s`);
  if (typeof info.bestEpoch === 'number') parts.push(`best at epoch ${info.bestEpoch}`);
  if (typeof info.bestStep === 'number') parts.push(`best at step ${info.bestStep}`);
  if (typeof info.validationNdcg10 === 'number' && Number.isFinite(info.validationNdcg10)) parts.push(`validation ${unit(info.validationNdcg10)}`);
  // train --from: where the published model started on the new data (epoch 0 above means it was kept as it was).
  if (typeof info.startValidationNdcg10 === 'number' && Number.isFinite(info.startValidationNdcg10)) parts.push(`published model ${unit(info.startValidationNdcg10)}`);
  for (const [k, v] of Object.entries(info)) {
    if (['seconds', 'bestEpoch', 'bestStep', 'validationNdcg10', 'startValidationNdcg10'].includes(k) || typeof v === 'object') continue;
    parts.push(`${k}=${typeof v === 'number' ? Number(v.toFixed(4)) : String(v)}`);
  }
  return `${stage} done: ${parts.join(', ')}`;
}

/**
 * Below this share of the teacher's validation score the shipped model has lost what the
 * teacher learned. Measured: the synthetic shop's committed model keeps 99% (teacher
 * 1.19×, shipped student 1.18×), a GA4-style CSV with item metadata 97% (2.61× / 2.53×),
 * the same file without metadata 55% (2.27× / 1.25×).
 */
export const MIN_KEPT_SHARE = 0.85;

/** Warnings about the training, from the pipeline's report. */
export function trainingWarnings(report: Record<string, unknown>, view: ValidationView): string[] {
  const out: string[] = [];
  const { unit } = validationLabel(view);
  const score = (stage: string) => {
    const v = (report[stage] as { validationNdcg10?: unknown } | undefined)?.validationNdcg10;
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const teacher = score('teacher');
  const shipped = score('meta') ?? score('student');
  if (teacher !== undefined && shipped !== undefined && teacher > 0 && shipped < MIN_KEPT_SHARE * teacher) {
    out.push(
      `warning: the shipped student keeps ${((100 * shipped) / teacher).toFixed(0)}% of the teacher's validation score (${unit(shipped)} against ${unit(teacher)}; ${Math.round(MIN_KEPT_SHARE * 100)}% or more is usual) — ` +
        'item metadata (titles, categories) and more student epochs usually close the gap',
    );
  }
  for (const stage of ['teacher', 'student']) {
    const history = (report[stage] as { history?: { validation?: number }[] } | undefined)?.history;
    const vals = (history ?? []).map((h) => h.validation).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (vals.length >= 2 && Math.max(...vals) <= vals[0]) out.push(`warning: ${stage} never improved on its first validation score (${unit(vals[0])}); the data may be too small or too noisy for it`);
  }
  const meta = report.meta as { bestStep?: unknown } | undefined;
  const continued = (report.student as { startValidationNdcg10?: unknown } | undefined)?.startValidationNdcg10 !== undefined;
  if (meta?.bestStep === 0) out.push(`warning: meta-training never improved on the ${continued ? "published model's" : 'pre-trained'} tower it started from; the shipped tower is that one`);
  return out;
}

/** What to do with the model just written (`defaultDir`: it went to public/models/<name>, which the demo serves). */
export function nextSteps(outDir: string, name: string, defaultDir: boolean): string[] {
  const url = `/models/${name}/manifest.json`;
  return [
    'next:',
    defaultDir
      ? `  see it in the demo shop: npm start, then open http://localhost:5173/?model=${url}`
      : `  see it in the demo shop: copy ${outDir} to public/models/${name}, npm start, then open http://localhost:5173/?model=${url}`,
    `  serve it with your shop: publish dist/lib (npm run build:package) and, beside it, this directory as models/${name}/, then:`,
    `    <script type="module" src="…/localrec-embed.js" data-localrec-model="models/${name}/manifest.json" data-localrec-datalayer></script>`,
    `    or: const rec = await createLocalrec({ model: '${url}' })   (npm i localrec)`,
    "  while testing, grant consent yourself: localrec.push(['setConsent', 'granted']) or rec.setConsent('granted')",
    '  README, "Your shop in 15 minutes", has the whole path',
  ];
}
