/**
 * `npm run eval:seeds -- <report dir or report.json>... [--k 5] [--view full] [--out file]`
 * Mean and range over training seeds of runs that differ only in `npm run eval --seed`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import * as v from 'valibot';
import { alignTable } from '../eval/report';
import { SeedReportSchema, summariseSeeds, type SeedReport } from '../eval/seed-summary';

async function readReport(path: string): Promise<SeedReport> {
  const file = path.endsWith('.json') ? path : join(path, 'report.json');
  const parsed = v.safeParse(SeedReportSchema, JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new InvalidArgumentError(`${file} is not an evaluation report: ${v.summarize(parsed.issues)}`);
  return parsed.output;
}

const program = new Command('eval:seeds')
  .argument('<reports...>', 'report directories (or report.json files) of runs that differ only in --seed')
  .option('--k <n>', 'support size', (s) => Number(s), 5)
  .option('--view <view>', "'full' (all later items) or 'short' (next 10)", 'full')
  .option('--out <file>', 'also write the summary as JSON')
  .parse();
const o = program.opts<{ k: number; view: string; out?: string }>();
if (o.view !== 'full' && o.view !== 'short') throw new InvalidArgumentError(`--view must be full or short, got "${o.view}"`);

const s = summariseSeeds(await Promise.all(program.args.map(readReport)), o.k, o.view);
const f = (x: number) => x.toFixed(3);
const sign = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(3);
console.log(`${s.dataset}, k=${s.k}, ${s.view} view, NDCG@10 over seeds ${s.seeds.join(', ')}:\n`);
console.log(alignTable([['method', 'mean', 'min', 'max', 'per seed'], ...s.methods.map((m) => [m.method, f(m.mean), f(m.min), f(m.max), m.values.map(f).join(' ')])]));
console.log('\npaired differences (a − b); "CI > 0" counts the seeds whose paired interval lies above 0:\n');
console.log(alignTable([['a − b', 'mean', 'min', 'max', 'CI > 0', 'CI < 0'], ...s.pairs.map((p) => [`${p.a} − ${p.b}`, sign(p.mean), sign(p.min), sign(p.max), `${p.above}/${s.seeds.length}`, `${p.below}/${s.seeds.length}`])]));
if (o.out) {
  await writeFile(o.out, JSON.stringify(s, null, 2));
  console.log(`\nwrote ${o.out}`);
}
