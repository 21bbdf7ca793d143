/**
 * `npm run eval:seeds -- <report dir or report.json>... [--k 5] [--view full] [--out file]`
 * Mean and range over training seeds of runs that differ only in `npm run eval --seed`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import * as v from 'valibot';
import { alignTable } from '../eval/report';
import { FLAG_BOUNDS, intFlag } from './options';
import { SeedReportSchema, summariseSeeds, targetLines, type SeedReport } from '../eval/seed-summary';

async function readReport(path: string): Promise<SeedReport> {
  const file = path.endsWith('.json') ? path : join(path, 'report.json');
  const parsed = v.safeParse(SeedReportSchema, JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new InvalidArgumentError(`${file} is not an evaluation report: ${v.summarize(parsed.issues)}`);
  return parsed.output;
}

const program = new Command('eval:seeds')
  .argument('<reports...>', 'report directories (or report.json files) of runs that differ only in --seed')
  .option('--k <n>', 'support size', intFlag(1, FLAG_BOUNDS.k), 5)
  .option('--view <view>', "'full' (all later items) or 'next10' (the next 10)", 'full')
  .option('--out <file>', 'also write the summary as JSON')
  .option('--method <name>', 'the shipped method whose ratio to the best baseline is checked', 'meta+k steps')
  .parse();
const o = program.opts<{ k: number; view: string; out?: string; method: string }>();
if (o.view !== 'full' && o.view !== 'next10') throw new InvalidArgumentError(`--view must be full or next10, got "${o.view}"`);

const reports = await Promise.all(program.args.map(readReport));
const s = summariseSeeds(reports, o.k, o.view);
const f = (x: number) => x.toFixed(3);
const sign = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(3);
console.log(`${s.dataset}, k=${s.k}, ${s.view} view, NDCG@10 over seeds ${s.seeds.join(', ')}:\n`);
console.log(alignTable([['method', 'mean', 'min', 'max', 'per seed'], ...s.methods.map((m) => [m.method, f(m.mean), f(m.min), f(m.max), m.values.map(f).join(' ')])]));
console.log('\npaired differences (a − b); "CI > 0" counts the seeds whose paired interval lies above 0:\n');
console.log(alignTable([['a − b', 'mean', 'min', 'max', 'CI > 0', 'CI < 0'], ...s.pairs.map((p) => [`${p.a} − ${p.b}`, sign(p.mean), sign(p.min), sign(p.max), `${p.above}/${s.seeds.length}`, `${p.below}/${s.seeds.length}`])]));
const t = targetLines(reports, o.method);
console.log(`\n${o.method} ÷ the best baseline of the same run (NDCG@10); "≥1.05" and "≥1.0" count seeds:\n`);
console.log(alignTable([['k', 'view', 'mean', 'per seed', 'best baseline', '≥1.05', '≥1.0'], ...t.lines.map((l) => [String(l.k), l.view, f(l.mean), l.ratios.map(f).join(' '), l.best.join(' '), `${l.ratios.filter((r) => r >= 1.05).length}/${l.ratios.length}`, `${l.ratios.filter((r) => r >= 1).length}/${l.ratios.length}`])]));
console.log(`\ncoverage@10, ${o.method} vs ease:\n`);
console.log(alignTable([['k', o.method, 'ease'], ...t.coverage.map((c) => [String(c.k), c.method.map(f).join(' '), c.ease.map(f).join(' ')])]));
if (o.out) {
  await writeFile(o.out, JSON.stringify({ ...s, target: t }, null, 2));
  console.log(`\nwrote ${o.out}`);
}
