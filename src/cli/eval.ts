/**
 * `npm run eval -- --data movielens|shop|<path> --ks 1,3,5,10,20 --out reports/<name>`
 * Runs the cold-start protocol (DESIGN.md) for the baselines plus whatever
 * src/cli/eval-methods.ts adds, prints the table and writes report.json + SVG plots.
 */
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import type { EvalProgress } from '../eval/evaluate';
import type { ColdStartMethod } from '../eval/method';
import { KsSchema, addPipelineFlags, argParser, seedFlag, pipelineFlags, pipelineOptionsFrom, resamplesFlag } from './options';
import { failureLine } from './fail';


async function baselines(seed: number): Promise<ColdStartMethod[]> {
  const [{ Popularity }, { ItemKnn }, { Ease }, { MfAls }] = await Promise.all([
    import('../eval/baselines/popularity'),
    import('../eval/baselines/itemknn'),
    import('../eval/baselines/ease'),
    import('../eval/baselines/mf-als'),
  ]);
  return [new Popularity(), new ItemKnn(), new Ease(), new MfAls({ seed })];
}

/** One bar per phase; cli-progress shows the ETA of the current one. */
function progressReporter(enabled: boolean): { onProgress: (e: EvalProgress) => void; stop: () => void; bars?: cliProgress.MultiBar } {
  if (!enabled) {
    return {
      onProgress: (e) => {
        if (e.phase === 'done') console.error(`${e.method}: done in ${e.seconds.toFixed(1)} s`);
        if (e.phase === 'tune' && e.trial) console.error(`${e.method} tuning: ${JSON.stringify(e.trial.params)} → ${e.trial.score.toFixed(4)}`);
      },
      stop: () => {},
    };
  }
  const bars = new cliProgress.MultiBar(
    {
      format: '{task} |{bar}| {value}/{total} ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  let key = '';
  const show = (k: string, task: string, value: number, total: number): void => {
    if (k !== key) {
      bar?.update(bar.getTotal());
      bar = bars.create(total, value, { task });
      key = k;
    }
    bar!.setTotal(total);
    bar!.update(value, { task });
  };
  return {
    bars,
    onProgress: (e) => {
      const pad = (s: string): string => s.padEnd(28);
      if (e.phase === 'tune') {
        show(`tune:${e.method}`, pad(`${e.method} tuning`), e.done, e.total);
        if (e.trial) bars.log(`${e.method} tuning: ${JSON.stringify(e.trial.params)} → ${e.trial.score.toFixed(4)}\n`);
      }
      else if (e.phase === 'fit') show(`fit:${e.method}`, pad(`${e.method} fitting`), 0, 1);
      else if (e.phase === 'score') show(`score:${e.method}:${e.k}`, pad(`${e.method} k=${e.k}`), e.done, e.total);
      else if (e.phase === 'done') bars.log(`${e.method}: done in ${e.seconds.toFixed(1)} s\n`);
    },
    stop: () => {
      bar?.update(bar.getTotal());
      bars.stop();
    },
  };
}

const program = addPipelineFlags(
  new Command()
    .name('eval')
    .description('Cold-start evaluation (DESIGN.md protocol): baselines and model-based methods on one split.')
    .option('--data <spec>', "'movielens', 'shop[:seed]', an events file or a data directory", 'movielens')
    .option('--ks <list>', 'support sizes k', argParser('list', KsSchema), [1, 3, 5, 10, 20])
    .option('--out <dir>', 'report directory (report.json, ndcg-vs-k.svg, ...)')
    .option('--seed <n>', 'seed for bootstrap, baselines and the training pipeline', seedFlag, 1)
    .option('--resamples <n>', 'bootstrap resamples (at most 10000)', resamplesFlag, 1000)
    .option('--methods <names>', 'comma-separated subset of methods to run (default: all)')
    .option('--no-tune', 'skip validation tuning (use default hyper-parameters)')
    .option('--no-progress', 'plain log lines instead of progress bars')
    .option('--force', 'allow overwriting a committed report directory (an existing reports/<name>)', false),
).showHelpAfterError('(see --help)');

interface EvalFlags {
  data: string;
  ks: number[];
  out?: string;
  seed: number;
  resamples: number;
  methods?: string;
  tune: boolean;
  progress: boolean;
  checkpointDir: string;
  checkpoint: boolean;
  maxBadRows: number;
  force: boolean;
}

/** Keeps the methods `--methods` names; unknown names are an error listing the known ones. */
function selectMethods(methods: ColdStartMethod[], names: string | undefined): ColdStartMethod[] {
  if (!names) return methods;
  const wanted = new Set(names.split(',').map((s) => s.trim()));
  const unknown = [...wanted].filter((n) => !methods.some((m) => m.name === n));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown method(s) ${unknown.join(', ')}; known: ${methods.map((m) => m.name).join(', ')}`);
  }
  return methods.filter((m) => wanted.has(m.name));
}

async function main(): Promise<void> {
  const parsed = program.parse().opts();
  const opts = parsed as EvalFlags;
  const pipeline = pipelineOptionsFrom(pipelineFlags(parsed), opts.seed);
  const t0 = performance.now();
  // Every input is checked before a baseline fits or tfjs loads: data, split, then the report directory.
  const [{ loadDataset }, { buildColdStartSplit }, { checkBadRows, checkColdStartSplit, checkOutputDir }] = await Promise.all([
    import('../data/index'),
    import('../data/split'),
    import('./check-input'),
  ]);
  const ingest = await loadDataset(opts.data);
  checkBadRows(ingest, opts.maxBadRows, (line) => console.error(line));
  const { dataset } = ingest;
  const split = buildColdStartSplit(dataset);
  checkColdStartSplit(split, opts.ks, pipeline.validationKs);
  const outDir = await checkOutputDir(opts.out ?? `reports/${dataset.name.replace(/[^A-Za-z0-9._-]+/g, '-')}`, { force: opts.force });
  if (opts.checkpoint) await checkOutputDir(opts.checkpointDir, { force: true });

  const [{ evaluateColdStart }, { formatReport, writeReportFiles }, { modelMethods, modelPairs }] = await Promise.all([
    import('../eval/evaluate'),
    import('../eval/report'),
    import('./eval-methods'),
  ]);
  const checkpointDir = opts.checkpoint ? opts.checkpointDir : null;
  const progress = progressReporter(opts.progress && process.stderr.isTTY === true);
  const models = await modelMethods({ data: opts.data, seed: opts.seed, outDir, opts: pipeline, checkpointDir, bars: progress.bars });
  const methods = selectMethods([...(await baselines(opts.seed)), ...models.methods], opts.methods);
  // The pipeline trains on the second core while the baselines are tuned on this one.
  if (methods.some((m) => models.methods.includes(m))) models.trainAhead();
  const pairs: [string, string][] = [
    ...methods.filter((m) => m.name !== 'popularity').map((m) => [m.name, 'popularity'] as [string, string]),
    ...modelPairs(),
  ];

  let report;
  try {
    report = await evaluateColdStart(split, methods, {
      ks: opts.ks,
      seed: opts.seed,
      resamples: opts.resamples,
      pairs,
      tune: opts.tune,
      // Baselines are tuned by the criterion the model pipeline early-stops on.
      selection: { ks: pipeline.validationKs, view: pipeline.validationView },
      onProgress: progress.onProgress,
    });
  } finally {
    progress.stop();
    await models.dispose();
  }
  console.log(formatReport(report));
  const files = await writeReportFiles(report, outDir);
  console.log(`\nwrote ${files.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(failureLine(err));
  process.exitCode = 1;
});
