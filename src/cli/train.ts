#!/usr/bin/env node
/**
 * `npm run train -- --data shop --name shop --model-version 3`: trains the pipeline and
 * writes a browser model. Arguments are checked before anything heavy is imported.
 */
import { createHash } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_PIPELINE } from '../train/options';
import type { PipelineHooks } from '../train/pipeline';
import { addPipelineFlags, nonNegativeInt, pipelineFlags, pipelineOptionsFrom } from './options';

const program = addPipelineFlags(
  new Command()
    .name('localrec-train')
    .description('Train teacher → distilled student → meta-initialised tower from an event log, and export a browser model.')
    .option('--data <spec>', "'movielens', 'shop' (synthetic, optionally 'shop:<seed>'), or a path to an events .csv/.jsonl or a MovieLens-style directory", 'shop')
    .option('--name <name>', 'model name', 'shop')
    .option('--out <dir>', 'output model directory (default public/models/<name>)')
    .option('--seed <n>', 'random seed (training is deterministic under it)', nonNegativeInt, DEFAULT_PIPELINE.seed)
    .option('--model-version <n>', 'model version written to the manifest', nonNegativeInt, 1)
    .option('--checkpoint-dir <dir>', 'stage checkpoints (resume by re-running the same command)', '.cache/checkpoints')
    .option('--no-checkpoint', 'do not read or write stage checkpoints')
    .option('--report <file>', 'also write the training report as JSON here'),
).showHelpAfterError();

interface TrainFlags {
  data: string;
  name: string;
  out?: string;
  seed: number;
  modelVersion: number;
  checkpointDir: string;
  checkpoint: boolean;
  report?: string;
}

/** The data set as training users, with a warning about skipped rows. */
async function loadTrainingData(spec: string) {
  const [{ loadDataset }, { buildTrainingData }] = await Promise.all([import('../data/index'), import('../data/split')]);
  const { dataset, errors } = await loadDataset(spec);
  if (errors.length) {
    console.warn(`${errors.length} malformed rows skipped; first ones:`);
    for (const e of errors.slice(0, 5)) console.warn(`  ${e.file ?? ''} line ${e.line}: ${e.message}`);
  }
  return { name: dataset.name, train: buildTrainingData(dataset) };
}

/** Progress bars per stage, and one summary line when a stage ends. */
async function stageHooks() {
  const { StageBars } = await import('./progress');
  const bars = new StageBars();
  const hooks: PipelineHooks = {
    onStageStart: (stage, total) => bars.start(stage, total),
    onProgress: (stage, done, info) => bars.update(stage, done, info.loss, info.validation),
    onStageEnd: (stage, info) => {
      bars.finish(stage);
      const facts = Object.entries(info)
        .filter(([, v]) => typeof v !== 'object')
        .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(4)) : v}`);
      bars.log(`${stage} done: ${facts.join(' ')}`);
    },
  };
  return { hooks, stop: () => bars.stop() };
}

async function main(): Promise<void> {
  const parsed = program.parse().opts();
  const o = parsed as TrainFlags;
  const opts = pipelineOptionsFrom(pipelineFlags(parsed), o.seed);
  const [{ writeModelDir }, { CheckpointStore }, { buildModel }, { initNodeTf }] = await Promise.all([
    import('../model/files-node'),
    import('../train/checkpoint'),
    import('../train/build-model'),
    import('../train/tf-node'),
  ]);
  const backend = await initNodeTf();
  const { name, train } = await loadTrainingData(o.data);
  console.log(`data ${name}: ${train.users.length} users, ${train.catalogue.ids.length} items, ${train.nInteractions} interactions; tfjs backend ${backend}`);

  const key = createHash('sha256').update(JSON.stringify({ data: o.data, n: train.nInteractions, items: train.catalogue.ids.length })).digest('hex').slice(0, 16);
  const checkpoints = o.checkpoint ? new CheckpointStore(resolve(o.checkpointDir, `${o.name}-${key}`), key) : undefined;
  const progress = await stageHooks();
  const t0 = performance.now();
  const { encoded, report } = await buildModel({ data: o.data, name: o.name, modelVersion: o.modelVersion, train, opts, checkpoints, hooks: progress.hooks });
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  const outDir = resolve(o.out ?? join('public', 'models', o.name));
  await writeModelDir(outDir, encoded);
  const sizes = await Promise.all(['manifest.json', ...Object.keys(encoded.files)].map(async (f) => `${f} ${(await stat(join(outDir, f))).size} B`));
  console.log(`wrote ${outDir}: ${sizes.join(', ')}`);
  console.log(`total training time ${seconds.toFixed(1)} s`);
  if (o.report) await writeFile(o.report, JSON.stringify({ seconds, ...report }, null, 2));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
