/**
 * `npm run simulate -- --data movielens|shop|<path>`
 * Federated meta-learning on real data with the product's client and server code: training
 * users are the clients, the cold-start test users are scored every few rounds with the
 * evaluation protocol, next to the starting point (the pre-trained student) and the
 * centrally meta-trained model of the same pipeline run (the checkpoints `eval` uses).
 * Also membership inference and poisoning. Writes reports/federated/<data>/report.json
 * and ndcg-vs-rounds.svg.
 */
import { Command } from 'commander';
import { addPipelineFlags, seedFlag, pipelineFlags, pipelineOptionsFrom } from './options';
import { addSimFlags, simFlags } from './simulate-options';
import { failureLine } from './fail';

const program = addSimFlags(
  addPipelineFlags(
    new Command()
      .name('simulate')
      .description('Federated simulation: clients = training users, DP accountant, membership inference, poisoning.')
      .option('--data <spec>', "'movielens', 'shop[:seed]', an events file or a data directory", 'shop')
      .option('--out <dir>', 'report directory (default reports/federated/<data>)')
      // The same default as eval's, so both read the same pipeline checkpoints.
      .option('--seed <n>', 'seed of the pipeline run and of the simulation', seedFlag, 1)
      .option('--no-progress', 'plain log lines instead of progress bars')
      .option('--force', 'allow overwriting an existing report directory', false),
  ),
).showHelpAfterError('(see --help)');

interface CliFlags {
  data: string;
  out?: string;
  seed: number;
  progress: boolean;
  force: boolean;
  checkpointDir: string;
  checkpoint: boolean;
  maxBadRows: number;
}

/** Every input checked before tfjs loads: flags, data, split, the report directory. */
async function checkedInputs() {
  const parsed = program.parse().opts();
  const cli = parsed as CliFlags;
  const sim = simFlags(parsed);
  const pipeline = pipelineOptionsFrom(pipelineFlags(parsed), cli.seed);
  const [{ loadDataset }, { buildColdStartSplit }, { checkBadRows, checkColdStartSplit, checkOutputDir }] = await Promise.all([
    import('../data/index'),
    import('../data/split'),
    import('./check-input'),
  ]);
  const ingest = await loadDataset(cli.data);
  checkBadRows(ingest, cli.maxBadRows, (line) => console.error(line));
  const split = buildColdStartSplit(ingest.dataset);
  checkColdStartSplit(split, [sim.k], pipeline.validationKs);
  const name = ingest.dataset.name.replace(/[^A-Za-z0-9._-]+/g, '-');
  const outDir = await checkOutputDir(cli.out ?? `reports/federated/${name}`, { force: cli.force });
  if (cli.checkpoint) await checkOutputDir(cli.checkpointDir, { force: true });
  return { cli, sim, pipeline, split, name, outDir };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { cli, sim, pipeline, split, name, outDir } = await checkedInputs();
  const [{ cutAll }, { resolve, join }, { mkdir, writeFile }, { initNodeTf }, { trainPipeline }, { trainingDataHash }, { evalCheckpoints }, { StageBars }, { ModelSession }, sim_] = await Promise.all([
    import('../data/split'),
    import('node:path'),
    import('node:fs/promises'),
    import('../train/tf-node'),
    import('../train/pipeline'),
    import('../train/checkpoint'),
    import('./eval-methods'),
    import('./progress'),
    import('../model/session'),
    import('../sim/simulate'),
  ]);
  await initNodeTf();
  const train = split.test.train;
  const dataHash = trainingDataHash(train);
  const bars = new StageBars();
  const progress = cli.progress && process.stderr.isTTY === true;
  const log = (line: string) => (progress ? bars.log(line) : console.error(line));
  let result;
  try {
    const run = await trainPipeline(
      train,
      pipeline,
      {
        onStageStart: (s, total) => (progress ? bars.start(s, total) : log(`${s}: started`)),
        onProgress: (s, done, info) => bars.update(s, done, info.loss, info.validation),
        onStageEnd: (s) => (progress ? bars.finish(s) : log(`${s}: done`)),
      },
      cli.checkpoint ? evalCheckpoints(cli.checkpointDir, train) : undefined,
    );
    const session = new ModelSession(run.weights, run.config);
    result = await sim_.simulate({
      session,
      train,
      cuts: cutAll(split.test.evalUsers, sim.k),
      towers: { start: run.student.tower, central: run.metaTower },
      sim,
      seed: cli.seed,
      cacheDir: cli.checkpoint ? resolve(cli.checkpointDir, `sim-${dataHash.slice(0, 16)}`) : null,
      cacheKey: { data: dataHash, pipeline },
      dataset: name,
      command: `npm run simulate -- ${process.argv.slice(2).join(' ')}`,
      hooks: progress
        ? { onStart: (p, total) => bars.start(p, total), onStep: (p, done, ndcg) => bars.update(p, done, NaN, ndcg), onEnd: (p) => bars.finish(p) }
        : { onStart: (p) => log(`${p}: started`), onStep: (p, done, ndcg) => ndcg !== undefined && log(`${p}: round ${done} NDCG@10 ${ndcg.toFixed(4)}`), onEnd: (p) => log(`${p}: done`) },
      t0,
    });
    session.dispose();
  } finally {
    bars.stop();
  }
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'report.json'), `${JSON.stringify(result.report, null, 2)}\n`);
  await writeFile(join(outDir, 'ndcg-vs-rounds.svg'), result.svg);
  console.log(result.summary);
  console.log(`\nwrote ${join(outDir, 'report.json')}, ${join(outDir, 'ndcg-vs-rounds.svg')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(failureLine(err));
  process.exitCode = 1;
});
