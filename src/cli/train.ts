#!/usr/bin/env node
import { createHash } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadDataset } from '../data/index';
import { buildTrainingData } from '../data/split';
import { writeModelDir } from '../model/files-node';
import { CheckpointStore } from '../train/checkpoint';
import { buildModel } from '../train/build-model';
import { DEFAULT_PIPELINE, pipelineOptions } from '../train/pipeline';
import { initNodeTf } from '../train/tf-node';
import { StageBars } from './progress';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};
const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
};

const program = new Command()
  .name('localrec-train')
  .description('Train teacher → distilled student → meta-initialised tower from an event log, and export a browser model.')
  .option('--data <spec>', "'movielens', 'shop' (synthetic, optionally 'shop:<seed>'), or a path to an events .csv/.jsonl or a MovieLens-style directory", 'shop')
  .option('--name <name>', 'model name', 'shop')
  .option('--out <dir>', 'output model directory (default public/models/<name>)')
  .option('--seed <n>', 'random seed (training is deterministic under it)', int, DEFAULT_PIPELINE.seed)
  .option('--model-version <n>', 'model version written to the manifest', int, 1)
  .option('--teacher-epochs <n>', 'teacher epochs', int, DEFAULT_PIPELINE.teacher.epochs)
  .option('--student-epochs <n>', 'student epochs', int, DEFAULT_PIPELINE.student.epochs)
  .option('--ease-share <x>', "EASE's share of the student's distillation target (0 = neural teacher only)", parseFloat, DEFAULT_PIPELINE.student.easeShare)
  .option('--meta-steps <n>', 'meta-training outer steps', int, DEFAULT_PIPELINE.meta.steps)
  .option('--meta <algorithm>', 'fomaml or reptile', DEFAULT_PIPELINE.meta.algorithm)
  .option('--inner-steps <n>', 'on-device SGD steps', int, DEFAULT_PIPELINE.inner.steps)
  .option('--inner-lr <x>', 'on-device SGD step size', num, DEFAULT_PIPELINE.inner.lr)
  .option('--no-inner-debias', 'keep the item bias (log-popularity) in the on-device loss instead of leaving it out')
  .option('--inner-objective <name>', "what on-device steps fit: 'support' or 'leave-one-out'", 'support')
  .option('--no-item-features', 'pre-train free item rows only, without the hashed content-feature rows')
  .option('--meta-bias', "meta-training's outer step also learns the item bias")
  .option('--meta-sgd <rate>', 'also meta-learn per-parameter inner step sizes at this Adam rate (0 = off)', num, DEFAULT_PIPELINE.meta.lrScaleLr)
  .option('--checkpoint-dir <dir>', 'stage checkpoints (resume by re-running the same command)', '.cache/checkpoints')
  .option('--no-checkpoint', 'do not read or write stage checkpoints')
  .option('--report <file>', 'also write the training report as JSON here')
  .showHelpAfterError();

async function main(): Promise<void> {
  const o = program.parse().opts<{
    data: string; name: string; out?: string; seed: number; modelVersion: number; teacherEpochs: number; studentEpochs: number; easeShare: number;
    metaSteps: number; meta: string; innerSteps: number; innerLr: number; innerDebias: boolean; innerObjective: string; metaSgd: number; metaBias?: boolean; itemFeatures: boolean; checkpointDir: string; checkpoint: boolean; report?: string;
  }>();
  if (o.meta !== 'fomaml' && o.meta !== 'reptile') program.error(`--meta must be fomaml or reptile, got "${o.meta}"`);
  if (o.innerObjective !== 'support' && o.innerObjective !== 'leave-one-out') program.error(`--inner-objective must be support or leave-one-out, got "${o.innerObjective}"`);
  const backend = await initNodeTf();
  const { dataset, errors } = await loadDataset(o.data);
  if (errors.length) {
    console.warn(`${errors.length} malformed rows skipped; first ones:`);
    for (const e of errors.slice(0, 5)) console.warn(`  ${e.file ?? ''} line ${e.line}: ${e.message}`);
  }
  const train = buildTrainingData(dataset);
  const opts = pipelineOptions({
    seed: o.seed,
    teacherEpochs: o.teacherEpochs,
    studentEpochs: o.studentEpochs,
    easeShare: o.easeShare,
    algorithm: o.meta === 'reptile' ? 'reptile' : 'fomaml',
    metaSteps: o.metaSteps,
    lrScaleLr: o.metaSgd,
    metaBias: o.metaBias === true,
    itemFeatures: o.itemFeatures,
    innerSteps: o.innerSteps,
    innerLr: o.innerLr,
    innerDebias: o.innerDebias,
    innerObjective: o.innerObjective === 'leave-one-out' ? 'leave-one-out' : 'support',
  });
  console.log(`data ${dataset.name}: ${train.users.length} users, ${train.catalogue.ids.length} items, ${train.nInteractions} interactions; tfjs backend ${backend}`);

  const key = createHash('sha256').update(JSON.stringify({ data: o.data, n: train.nInteractions, items: train.catalogue.ids.length })).digest('hex').slice(0, 16);
  const checkpoints = o.checkpoint ? new CheckpointStore(resolve(o.checkpointDir, `${o.name}-${key}`), key) : undefined;
  const bars = new StageBars();
  const t0 = performance.now();
  const { encoded, report } = await buildModel({
    data: o.data,
    name: o.name,
    modelVersion: o.modelVersion,
    train,
    opts,
    checkpoints,
    hooks: {
      onStageStart: (stage, total) => bars.start(stage, total),
      onProgress: (stage, done, info) => bars.update(stage, done, info.loss, info.validation),
      onStageEnd: (stage, info) => {
        bars.finish(stage);
        const facts = Object.entries(info)
          .filter(([, v]) => typeof v !== 'object')
          .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(4)) : v}`);
        bars.log(`${stage} done: ${facts.join(' ')}`);
      },
    },
  });
  bars.stop();
  const seconds = (performance.now() - t0) / 1000;
  const outDir = resolve(o.out ?? join('public', 'models', o.name));
  await writeModelDir(outDir, encoded);
  const sizes = await Promise.all(['manifest.json', ...Object.keys(encoded.files)].map(async (f) => `${f} ${(await stat(join(outDir, f))).size} B`));
  console.log(`wrote ${outDir}: ${sizes.join(', ')}`);
  console.log(`total training time ${seconds.toFixed(1)} s`);
  if (o.report) {
    await writeFile(o.report, JSON.stringify({ seconds, ...report }, null, 2));
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
