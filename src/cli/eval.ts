/**
 * `npm run eval -- --data movielens|shop|<path> --ks 1,3,5,10,20 --out reports/<name>`
 * Runs the cold-start protocol (DESIGN.md) for the baselines plus whatever
 * src/cli/eval-methods.ts adds, prints the table and writes report.json + SVG plots.
 */
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { loadDataset } from '../data/index';
import { buildColdStartSplit } from '../data/split';
import { Ease } from '../eval/baselines/ease';
import { ItemKnn } from '../eval/baselines/itemknn';
import { MfAls } from '../eval/baselines/mf-als';
import { Popularity } from '../eval/baselines/popularity';
import { evaluateColdStart, type EvalProgress } from '../eval/evaluate';
import type { ColdStartMethod } from '../eval/method';
import { formatReport, writeReportFiles } from '../eval/report';
import { INNER_OBJECTIVES, type InnerObjective } from '../model/manifest';
import { extraMethods, extraPairs } from './eval-methods';

function parseKs(value: string): number[] {
  const ks = value.split(',').map((s) => Number(s.trim()));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new InvalidArgumentError('expected a comma-separated list of positive integers, e.g. 1,3,5,10,20');
  }
  return [...new Set(ks)].sort((a, b) => a - b);
}

function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

function baselines(seed: number): ColdStartMethod[] {
  return [new Popularity(), new ItemKnn(), new Ease(), new MfAls({ seed })];
}

/** One bar per phase; cli-progress shows the ETA of the current one. */
function progressReporter(enabled: boolean): { onProgress: (e: EvalProgress) => void; stop: () => void } {
  if (!enabled) {
    return {
      onProgress: (e) => {
        if (e.phase === 'done') console.error(`${e.method}: done in ${e.seconds.toFixed(1)} s`);
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
    onProgress: (e) => {
      const pad = (s: string): string => s.padEnd(28);
      if (e.phase === 'tune') show(`tune:${e.method}`, pad(`${e.method} tuning`), e.done, e.total);
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

async function main(): Promise<void> {
  const program = new Command()
    .name('eval')
    .description('Cold-start evaluation (DESIGN.md protocol): baselines and model-based methods on one split.')
    .option('--data <spec>', "'movielens', 'shop[:seed]', an events file or a data directory", 'movielens')
    .option('--ks <list>', 'support sizes k', parseKs, [1, 3, 5, 10, 20])
    .option('--out <dir>', 'report directory (report.json, ndcg-vs-k.svg, ...)')
    .option('--seed <n>', 'seed for bootstrap and model initialisation', parseInteger, 1)
    .option('--resamples <n>', 'bootstrap resamples', parseInteger, 1000)
    .option('--methods <names>', 'comma-separated subset of methods to run (default: all)')
    .option('--no-tune', 'skip validation tuning (use default hyper-parameters)')
    .option('--no-progress', 'plain log lines instead of progress bars')
    .option('--meta <algorithm>', 'meta-initialisation of the model methods: fomaml or reptile', 'fomaml')
    .option('--meta-steps <n>', 'meta-training outer steps', parseInteger)
    .option('--meta-lr <x>', 'meta-training Adam rate', parseFloat)
    .option('--epochs <n>', 'teacher and student epochs (early stopping still applies)', parseInteger)
    .option('--ease-share <x>', "EASE's share of the student's distillation target (0 = neural teacher only)", parseFloat)
    .option('--validation-view <view>', "what the model stages early-stop on: 'full' (all later) or 'both' (full and next 10)", 'both')
    .option('--query-max <n>', "meta-training's outer loss covers at most this many later interactions per task", parseInteger)
    .option('--no-item-features', 'pre-train free item rows only, without the hashed content-feature rows')
    .option('--adapt <what>', "what on-device steps move: 'tower' or 'offset' (b2 only)")
    .option('--offset-scale <x>', "with --adapt offset: the offset's step size in units of --inner-lr", parseFloat)
    .option('--validation-ks <list>', 'support sizes whose mean validation NDCG@10 drives early stopping', parseKs)
    .option('--ema <decay>', 'pre-training keeps an exponential moving average of the weights (0 = off)', parseFloat)
    .option('--meta-bias', "meta-training's outer step also learns the item bias")
    .option('--meta-sgd <rate>', 'also meta-learn per-parameter inner step sizes at this Adam rate (0 = off)', parseFloat)
    .option('--inner-steps <n>', 'on-device SGD steps', parseInteger)
    .option('--inner-lr <x>', 'on-device SGD step size', parseFloat)
    .option('--no-inner-debias', 'keep the item bias (log-popularity) in the on-device loss instead of leaving it out')
    .option('--inner-objective <name>', "what on-device steps fit: 'support' or 'leave-one-out'", 'support')
    .parse();
  const opts = program.opts<{
    data: string;
    ks: number[];
    out?: string;
    seed: number;
    resamples: number;
    methods?: string;
    tune: boolean;
    progress: boolean;
    meta: string;
    metaSteps?: number;
    metaLr?: number;
    metaSgd?: number;
    metaBias?: boolean;
    validationKs?: number[];
    ema?: number;
    adapt?: string;
    offsetScale?: number;
    itemFeatures: boolean;
    queryMax?: number;
    validationView: string;
    epochs?: number;
    easeShare?: number;
    innerSteps?: number;
    innerLr?: number;
    innerDebias: boolean;
    innerObjective: string;
  }>();
  if (!(INNER_OBJECTIVES as readonly string[]).includes(opts.innerObjective)) {
    throw new InvalidArgumentError(`--inner-objective must be one of ${INNER_OBJECTIVES.join(', ')}, got "${opts.innerObjective}"`);
  }
  if (opts.meta !== 'fomaml' && opts.meta !== 'reptile') throw new InvalidArgumentError(`--meta must be fomaml or reptile, got "${opts.meta}"`);

  const t0 = performance.now();
  const { dataset, errors } = await loadDataset(opts.data);
  if (errors.length > 0) console.error(`${errors.length} malformed input rows skipped (first: line ${errors[0].line}: ${errors[0].message})`);
  const split = buildColdStartSplit(dataset);
  const outDir = opts.out ?? `reports/${dataset.name.replace(/[^A-Za-z0-9._-]+/g, '-')}`;

  let methods = [...baselines(opts.seed), ...(await extraMethods({
    data: opts.data,
    seed: opts.seed,
    outDir,
    model: {
      algorithm: opts.meta,
      metaSteps: opts.metaSteps,
      metaLr: opts.metaLr,
      lrScaleLr: opts.metaSgd,
      metaBias: opts.metaBias === true,
      validationKs: opts.validationKs,
      ema: opts.ema,
      adapt: opts.adapt === 'offset' ? 'offset' : 'tower',
      offsetScale: opts.offsetScale,
      itemFeatures: opts.itemFeatures,
      queryMax: opts.queryMax,
      validationView: opts.validationView === 'both' ? 'both' : 'full',
      teacherEpochs: opts.epochs,
      studentEpochs: opts.epochs,
      easeShare: opts.easeShare,
      innerSteps: opts.innerSteps,
      innerLr: opts.innerLr,
      innerDebias: opts.innerDebias,
      innerObjective: opts.innerObjective as InnerObjective,
    },
  }))];
  if (opts.methods) {
    const wanted = new Set(opts.methods.split(',').map((s) => s.trim()));
    const unknown = [...wanted].filter((n) => !methods.some((m) => m.name === n));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(`unknown method(s) ${unknown.join(', ')}; known: ${methods.map((m) => m.name).join(', ')}`);
    }
    methods = methods.filter((m) => wanted.has(m.name));
  }
  const pairs: [string, string][] = [
    ...methods.filter((m) => m.name !== 'popularity').map((m) => [m.name, 'popularity'] as [string, string]),
    ...extraPairs(),
  ];

  const progress = progressReporter(opts.progress && process.stderr.isTTY === true);
  let report;
  try {
    report = await evaluateColdStart(split, methods, {
      ks: opts.ks,
      seed: opts.seed,
      resamples: opts.resamples,
      pairs,
      tune: opts.tune,
      onProgress: progress.onProgress,
    });
  } finally {
    progress.stop();
  }
  console.log(formatReport(report));
  const files = await writeReportFiles(report, outDir);
  console.log(`\nwrote ${files.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
