#!/usr/bin/env node
/**
 * `npm run train -- --data shop --name shop --model-version 4 --force`: trains the pipeline and
 * writes a browser model. Arguments are checked before anything heavy is imported.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { MODEL_BOUNDS } from '../model/bounds';
import { DEFAULT_PIPELINE } from '../train/options';
import type { PipelineHooks } from '../train/pipeline';
import { addPipelineFlags, intFlag, nonNegativeInt, pipelineFlags, pipelineOptionsFrom } from './options';

/** A model name is one path segment (it names public/models/<name> and the checkpoint directory). */
function modelName(text: string): string {
  if (!/^[\w.-]+$/.test(text) || text === '.' || text === '..') throw new InvalidArgumentError('expected letters, digits, ".", "_" or "-" (one path segment)');
  return text;
}

const program = addPipelineFlags(
  new Command()
    .name('localrec-train')
    .description('Train teacher → distilled student → meta-initialised tower from an event log, and export a browser model.')
    .option('--data <spec>', "'movielens', 'shop' (synthetic, optionally 'shop:<seed>'), or a path to an events .csv/.jsonl or a MovieLens-style directory", 'shop')
    .option('--name <name>', 'model name', modelName, 'shop')
    .option('--out <dir>', 'output model directory (default public/models/<name>)')
    .option('--seed <n>', 'random seed (training is deterministic under it)', nonNegativeInt, DEFAULT_PIPELINE.seed)
    // The SDK's bound: federated rounds and uploads carry the version as a uint32.
    .option('--model-version <n>', 'model version written to the manifest', intFlag(0, MODEL_BOUNDS.maxModelVersion), 1)
    .option('--report <file>', 'also write the training report as JSON here')
    .option('--force', 'allow overwriting a committed model directory (an existing public/models/<name>)', false),
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
  maxBadRows: number;
  force: boolean;
}

/** The data set as training users; fails on too many malformed rows or too little data to train on. */
async function loadTrainingData(spec: string, maxBadRows: number, validationKs: readonly number[]) {
  const [{ loadDataset }, { buildTrainingData }, { checkBadRows, checkTrainingData }] = await Promise.all([
    import('../data/index'),
    import('../data/split'),
    import('./check-input'),
  ]);
  const ingest = await loadDataset(spec);
  checkBadRows(ingest, maxBadRows);
  const train = buildTrainingData(ingest.dataset);
  checkTrainingData(train, validationKs);
  return { name: ingest.dataset.name, train };
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
  // Every input is checked before tfjs loads or a stage starts: data, then where the model goes.
  const { checkNotInside, checkOutputDir, checkOutputFile } = await import('./check-input');
  const { name, train } = await loadTrainingData(o.data, o.maxBadRows, opts.validationKs);
  const outDir = await checkOutputDir(o.out ?? join('public', 'models', o.name), { force: o.force, replacedWhole: true });
  if (o.checkpoint) {
    checkNotInside(o.checkpointDir, '--checkpoint-dir', outDir);
    await checkOutputDir(o.checkpointDir, { force: true });
  }
  if (o.report !== undefined) {
    checkNotInside(o.report, '--report', outDir);
    await checkOutputFile(o.report);
  }
  const [{ writeFileAtomic, writeModelDir }, { CheckpointStore, trainingDataHash }, { buildModel }, { initNodeTf }] = await Promise.all([
    import('../model/files-node'),
    import('../train/checkpoint'),
    import('../train/build-model'),
    import('../train/tf-node'),
  ]);
  const backend = await initNodeTf();
  console.log(`data ${name}: ${train.users.length} users, ${train.catalogue.ids.length} items, ${train.nInteractions} interactions; tfjs backend ${backend}`);

  // Keyed by the data's content: an edited file never resumes from another file's stages (stage names carry the options).
  const key = trainingDataHash(train);
  const checkpoints = o.checkpoint ? new CheckpointStore(resolve(o.checkpointDir, `${o.name}-${key.slice(0, 16)}`), key) : undefined;
  const progress = await stageHooks();
  const t0 = performance.now();
  const { encoded, report } = await buildModel({ data: o.data, name: o.name, modelVersion: o.modelVersion, train, opts, checkpoints, hooks: progress.hooks });
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  // The trainer refuses to write what the SDK would refuse: the SDK's own decode (schema,
  // semantic bounds, weight values, items.json) on the bytes about to be written.
  const { decodeModel } = await import('../model/format');
  await decodeModel(JSON.parse(JSON.stringify(encoded.manifest)) as unknown, encoded.files);
  await writeModelDir(outDir, encoded);
  const sizes = await Promise.all(['manifest.json', ...Object.keys(encoded.files)].map(async (f) => `${f} ${(await stat(join(outDir, f))).size} B`));
  console.log(`wrote ${outDir}: ${sizes.join(', ')}`);
  console.log(`total training time ${seconds.toFixed(1)} s`);
  // Atomic like the model: a run killed while writing its report leaves the previous report, not half of one.
  if (o.report) {
    const file = resolve(o.report);
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify({ seconds, ...report }, null, 2), dirname(file));
  }
}

main().catch(async (e: unknown) => {
  const { isLocalrecError } = await import('../errors');
  // Typed errors print as "LocalrecError [code]: message", so scripts and tests can act on the code.
  console.error(isLocalrecError(e) ? e.toString() : e instanceof Error ? e.message : e);
  process.exit(1);
});
