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
import type { ValidationView } from '../eval/validation';
import type { PipelineHooks } from '../train/pipeline';
import { addPipelineFlags, intFlag, seedFlag, pipelineFlags, pipelineOptionsFrom } from './options';
import { failureLine } from './fail';
import { CONTINUE_DEFAULTS } from '../train/continue-defaults';
import type { PipelineOptions, PipelineStart } from '../train/pipeline';
import type { TrainingData } from '../data/split';

/** A model name is one path segment (it names public/models/<name> and the checkpoint directory). */
function modelName(text: string): string {
  if (!/^[\w.-]+$/.test(text) || text === '.' || text === '..') throw new InvalidArgumentError('expected letters, digits, ".", "_" or "-" (one path segment)');
  return text;
}

const program = addPipelineFlags(
  new Command()
    .name('localrec-train')
    .description('Train teacher → distilled student → meta-initialised tower from an event log, and export a browser model.')
    .option(
      '--data <spec>',
      "'movielens', 'shop' (synthetic, optionally 'shop:<seed>'), a GA4 BigQuery export or events file (.json/.ndjson/.jsonl/.csv, optionally .gz, or .parquet), or a directory with events.* and items.* or MovieLens files",
      'shop',
    )
    .option('--name <name>', 'model name', modelName, 'shop')
    .option('--out <dir>', 'output model directory (default public/models/<name>)')
    .option('--seed <n>', 'random seed (training is deterministic under it)', seedFlag, DEFAULT_PIPELINE.seed)
    // The SDK's bound: federated rounds and uploads carry the version as a uint32.
    .option('--model-version <n>', 'model version written to the manifest', intFlag(0, MODEL_BOUNDS.maxModelVersion), 1)
    .option('--report <file>', 'also write the training report as JSON here')
    .option('--force', 'allow overwriting a committed model directory (an existing public/models/<name>)', false)
    .option(
      '--teacher <file.parquet>',
      "distil from another engine's item embeddings instead of training a teacher: Spark MLlib ALS itemFactors (id, features) or BigQuery ML.WEIGHTS of a matrix factorisation (feature, factor_weights, intercept), as Parquet (a file or a directory of parts); docs/training.md",
    )
    .option(
      '--from <model dir>',
      `continue a published model on --data (new events): its items keep their rows, new items start from content features, the version goes up by one; ${CONTINUE_DEFAULTS.studentEpochs} student epoch and ${CONTINUE_DEFAULTS.metaSteps} meta steps unless given, no teacher, its pooling kept`,
    ),
).showHelpAfterError('(see --help)');

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
  from?: string;
  teacher?: string;
}

/** The data set as training users, with what happened to its rows printed; fails on too many malformed rows or too little data to train on. */
async function loadTrainingData(spec: string, maxBadRows: number, validationKs: readonly number[]) {
  const [{ loadDataset }, { buildTrainingData }, { checkBadRows, checkTrainingData }, { dataWarnings, ingestionLines }] = await Promise.all([
    import('../data/index'),
    import('../data/split'),
    import('./check-input'),
    import('./ingest-summary'),
  ]);
  const ingest = await loadDataset(spec);
  checkBadRows(ingest, maxBadRows);
  const train = buildTrainingData(ingest.dataset);
  const facts = { users: train.users.length, items: train.catalogue.ids.length, interactions: train.nInteractions };
  for (const line of ingestionLines(ingest.dataset, ingest.summary, facts)) console.log(line);
  checkTrainingData(train, validationKs, 'the data', true, ingest.summary);
  for (const line of dataWarnings(ingest.summary, facts)) console.warn(line);
  return { name: ingest.dataset.name, train };
}

/** Progress bars per stage, and one summary line when a stage ends, its validation score labelled by the validation view. */
async function stageHooks(view: ValidationView) {
  const [{ StageBars }, { stageLine, validationLabel }] = await Promise.all([import('./progress'), import('./ingest-summary')]);
  const bars = new StageBars(undefined, validationLabel(view).heading);
  const hooks: PipelineHooks = {
    onStageStart: (stage, total) => bars.start(stage, total),
    onProgress: (stage, done, info) => bars.update(stage, done, info.loss, info.validation),
    onStageEnd: (stage, info) => {
      bars.finish(stage);
      bars.log(stageLine(stage, info, view));
    },
  };
  return { hooks, stop: () => bars.stop() };
}

/** Whether the command line set this option (not its default). */
const given = (key: string) => program.getOptionValueSource(key) === 'cli';

/**
 * With --from: the published model read and verified, the data re-indexed to keep its
 * rows, its name (unless --name is given) and the next version (a --model-version must be
 * later than the published one).
 */
async function continuedStart(dir: string, data: TrainingData, o: TrainFlags): Promise<{ train: TrainingData; start: PipelineStart; name: string; modelVersion: number }> {
  const [{ readModelDirArg }, { continueFrom }] = await Promise.all([import('./check-input'), import('../train/from-model')]);
  const base = await readModelDirArg(dir, '--from');
  const { train, start } = continueFrom(base, data);
  const modelVersion = given('modelVersion') ? o.modelVersion : start.version + 1;
  if (modelVersion <= start.version) {
    const { LocalrecError } = await import('../errors');
    throw new LocalrecError('invalid-argument', `--model-version ${modelVersion} is not later than the published model's ${start.version}`, { modelVersion, from: start.version });
  }
  const f = start.facts;
  console.log(
    `continuing ${start.name} version ${start.version} as version ${modelVersion}: its ${f.known} items keep their rows (${f.absent} of them not in the new data), ` +
      `${f.added} new items start from ${f.contentRows ? 'their content features' : 'zero rows (the model has no content features)'}`,
  );
  return { train, start: { from: start }, name: given('name') ? o.name : start.name, modelVersion };
}

/** --teacher: the file read and checked against the data (its ids, dims, values), with what was found printed. */
async function importedTeacher(file: string, train: TrainingData, maxBadRows: number, opts: PipelineOptions) {
  const { readTeacherFile } = await import('../train/teacher-file');
  const t = await readTeacherFile(file, train, { maxUnknownShare: maxBadRows, pooling: opts.pooling, seed: opts.seed });
  const f = t.facts as { layout: string; d: number; rows: number; unknownIds: number; itemsWithoutVector: number; interactionsCovered: number; scale: number };
  console.log(
    `teacher from ${file} (${f.layout}, ${f.d} dimensions): ${f.rows} rows, ${f.unknownIds} ids not in the data (dropped), ${f.itemsWithoutVector} items without a vector, ` +
      `${(100 * f.interactionsCovered).toFixed(1)}% of interactions covered; scores scaled by ${f.scale.toPrecision(3)} (calibrated on training positions)`,
  );
  return t;
}

async function main(): Promise<void> {
  const parsed = program.parse().opts();
  const o = parsed as TrainFlags;
  const flags = pipelineFlags(parsed);
  // A continued model starts trained: one student epoch and a third of the meta steps unless the flags say otherwise (continue-defaults.ts).
  if (o.from !== undefined) {
    if (!given('studentEpochs')) flags.studentEpochs = CONTINUE_DEFAULTS.studentEpochs;
    if (!given('metaSteps')) flags.metaSteps = CONTINUE_DEFAULTS.metaSteps;
  }
  const opts = pipelineOptionsFrom(flags, o.seed);
  // Every input is checked before tfjs loads or a stage starts: data, then where the model goes.
  const { checkNotInside, checkOutputDir, checkOutputFile } = await import('./check-input');
  const loaded = await loadTrainingData(o.data, o.maxBadRows, opts.validationKs);
  const continued = o.from === undefined ? null : await continuedStart(o.from, loaded.train, o);
  const { name } = loaded;
  const train = continued?.train ?? loaded.train;
  const modelName = continued?.name ?? o.name;
  const modelVersion = continued?.modelVersion ?? o.modelVersion;
  const teacher = o.teacher === undefined ? undefined : await importedTeacher(o.teacher, train, o.maxBadRows, opts);
  const outDir = await checkOutputDir(o.out ?? join('public', 'models', modelName), { force: o.force, replacedWhole: true });
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
  console.log(`training on ${name} with the tfjs ${backend} backend`);

  // Keyed by the data's content: an edited file never resumes from another file's stages (stage names carry the options).
  const key = trainingDataHash(train);
  const checkpoints = o.checkpoint ? new CheckpointStore(resolve(o.checkpointDir, `${modelName}-${key.slice(0, 16)}`), key) : undefined;
  const progress = await stageHooks(opts.validationView);
  const t0 = performance.now();
  const { encoded, report } = await buildModel({ data: o.data, name: modelName, modelVersion, train, opts, checkpoints, hooks: progress.hooks, start: { ...continued?.start, teacher } });
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
  const { nextSteps, trainingWarnings } = await import('./ingest-summary');
  for (const line of trainingWarnings(report, opts.validationView)) console.warn(line);
  const defaultDir = outDir === resolve(join('public', 'models', modelName));
  for (const line of nextSteps(outDir, modelName, defaultDir)) console.log(line);
  // Atomic like the model: a run killed while writing its report leaves the previous report, not half of one.
  if (o.report) {
    const file = resolve(o.report);
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify({ seconds, ...report }, null, 2), dirname(file));
  }
}

main().catch((e: unknown) => {
  console.error(failureLine(e));
  process.exit(1);
});
