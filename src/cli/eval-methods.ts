/**
 * The model-based methods of the evaluation: the training pipeline runs once on the
 * split's training users (its stages early-stop on validation users only) and every
 * variant below reads from that one run, so all of them share the same split, tables and
 * seeds as the baselines.
 */
import { resolve } from 'node:path';
import type { MultiBar } from 'cli-progress';
import { createRng } from '../data/random';
import type { TrainingData } from '../data/split';
import type { ColdStartMethod } from '../eval/method';
import { ModelMethod, type FittedModel } from '../eval/model-method';
import { decodeModel, encodeModel } from '../model/format';
import { initTower } from '../model/weights';
import { CheckpointStore, trainingDataHash } from '../train/checkpoint';
import { trainPipeline, type PipelineHooks, type PipelineOptions, type PipelineResult } from '../train/pipeline';
import type { RecencyChoice } from '../train/recency-choice';
import { initNodeTf } from '../train/tf-node';
import { BackgroundTraining } from './background-training';
import { StageBars } from './progress';

export interface ModelMethodsContext {
  /** The --data spec the CLI was given ('movielens', 'shop', a path). */
  data: string;
  seed: number;
  /** Directory the report goes to (e.g. to find or cache trained models). */
  outDir: string;
  /** The training pipeline's options (the same `train` would use for the same flags). */
  opts: PipelineOptions;
  /** Where stage checkpoints go (keyed by the training data's content), or null for none (`--no-checkpoint`). */
  checkpointDir?: string | null;
  /** The evaluation's own progress bars on a TTY, which the training stages' bars join. */
  bars?: MultiBar;
}

export const SHIPPED = 'meta+k steps';
/** The shipped method on the weights as the model file stores them: format version 1 (int8 rows) and 2 (4-bit rows). */
export const SHIPPED_INT8_FILE = 'meta+k steps (int8 file)';
export const SHIPPED_4BIT_FILE = 'meta+k steps (4-bit file)';

/** The weights a model file of `formatVersion` gives back after encoding and decoding (what the browser scores with). */
async function asStored(r: PipelineResult, formatVersion: 1 | 2): Promise<FittedModel> {
  const items = Array.from({ length: r.weights.n }, (_, i) => ({ id: `i${i}`, title: '', categories: [] }));
  const encoded = await encodeModel({ name: 'eval', modelVersion: 0, weights: { ...r.weights, tower: r.metaTower }, config: r.config, items }, { formatVersion });
  const loaded = await decodeModel(JSON.parse(JSON.stringify(encoded.manifest)) as unknown, encoded.files);
  return { weights: loaded.weights, config: r.config, tower: loaded.weights.tower };
}

/**
 * The stage checkpoints of the evaluation's pipeline run, keyed by the content of the
 * split's training data (stage names carry the options). `simulate` reads the same ones,
 * so it compares with the very models `eval` scores.
 */
export function evalCheckpoints(dir: string, data: TrainingData): CheckpointStore {
  const key = trainingDataHash(data);
  return new CheckpointStore(resolve(dir, `eval-${key.slice(0, 16)}`), key);
}

/** The evaluation's pipeline run on `data`, with its stage checkpoints unless `checkpointDir` is null. */
export function trainForEval(data: TrainingData, opts: PipelineOptions, checkpointDir: string | null, hooks: PipelineHooks): Promise<PipelineResult> {
  return trainPipeline(data, opts, hooks, checkpointDir === null ? undefined : evalCheckpoints(checkpointDir, data));
}

export interface ModelMethodSet {
  methods: ColdStartMethod[];
  /**
   * Starts training the pipeline on a worker thread now, so that it runs while the
   * baselines are tuned; the methods then use its result (see background-training.ts).
   */
  trainAhead(): void;
  dispose(): Promise<void>;
}

/**
 * One pipeline run per training data set, shared by every model method: the worker
 * thread's once `trainAhead` started it and it trained on the same data, else here.
 */
function pipelineRuns(ctx: ModelMethodsContext): Omit<ModelMethodSet, 'methods'> & { train: (data: TrainingData) => Promise<PipelineResult> } {
  const dir = ctx.checkpointDir === undefined ? '.cache/checkpoints' : ctx.checkpointDir;
  const runs = new Map<TrainingData, Promise<PipelineResult>>();
  let ahead: { run: BackgroundTraining; bars: StageBars } | null = null;
  const trainOnce = async (data: TrainingData): Promise<PipelineResult> => {
    if (ahead) {
      const fromWorker = await ahead.run.resultFor(data);
      ahead.bars.stop();
      if (fromWorker) return fromWorker;
      console.error('background training used other data than this fit; training again here');
    }
    const bars = new StageBars(ctx.bars);
    return trainForEval(data, ctx.opts, dir, bars.pipelineHooks()).finally(() => bars.stop());
  };
  return {
    train: (data) => {
      let run = runs.get(data);
      if (!run) {
        run = trainOnce(data).then((r) => {
          const { recency } = r.report as { recency?: RecencyChoice };
          if (recency) console.error(`recency half-life (${recency.chosen}): ${recency.halfLife ?? 'off (plain mean)'} positions, ${recency.halfLifeHours ?? 'no'} hours`);
          return r;
        });
        runs.set(data, run);
      }
      return run;
    },
    trainAhead: () => {
      if (ahead) return;
      const bars = new StageBars(ctx.bars);
      ahead = { run: new BackgroundTraining({ data: ctx.data, opts: ctx.opts, checkpointDir: dir }, bars.pipelineHooks()), bars };
    },
    dispose: async () => {
      ahead?.bars.stop();
      await ahead?.run.dispose();
    },
  };
}

/** Model-based methods to evaluate next to the baselines. */
export async function modelMethods(ctx: ModelMethodsContext): Promise<ModelMethodSet> {
  await initNodeTf();
  const { opts } = ctx;
  const { train, trainAhead, dispose } = pipelineRuns(ctx);
  const from = (pick: (r: PipelineResult) => FittedModel) => async (data: TrainingData) => pick(await train(data));
  const inner = opts.inner;
  const randomTower = (r: PipelineResult) => {
    const rng = createRng(ctx.seed + 7);
    return initTower(r.weights.d, r.weights.hidden, () => rng.normal());
  };
  const student = (r: PipelineResult): FittedModel => ({ weights: { ...r.student, contentProj: r.weights.contentProj }, config: r.config, tower: r.student.tower });
  const teacher = (r: PipelineResult): FittedModel => ({ weights: { ...r.teacher, contentProj: new Float32Array(0) }, config: r.config, tower: r.teacher.tower });
  const info = { meta: opts.meta.algorithm, metaSteps: opts.meta.steps, metaLr: opts.meta.metaLr, queryMax: opts.meta.queryMax, queryViews: opts.meta.queryViews, innerDebias: opts.inner.debias === true, itemFeatures: opts.itemFeatures, sampleContexts: opts.sampleContexts, averageWeights: opts.averageWeights, validationKs: opts.validationKs.join(' ') };
  const methods = [
    new ModelMethod('teacher 0 steps', from(teacher), null),
    new ModelMethod('teacher+k steps', from(teacher), inner),
    new ModelMethod('student 0 steps', from(student), null),
    new ModelMethod('random+k steps', from((r) => ({ ...student(r), tower: randomTower(r) })), inner),
    new ModelMethod('pretrained+k steps', from(student), inner),
    new ModelMethod('meta 0 steps', from((r) => ({ weights: r.weights, config: r.config, tower: r.metaTower })), null, info),
    new ModelMethod(SHIPPED, from((r) => ({ weights: r.weights, config: r.config, tower: r.metaTower })), inner, info),
    new ModelMethod(SHIPPED_INT8_FILE, async (data) => asStored(await train(data), 1), inner, info),
    new ModelMethod(SHIPPED_4BIT_FILE, async (data) => asStored(await train(data), 2), inner, info),
  ];
  return { methods, trainAhead, dispose };
}

/** Paired differences [a, b] (a − b) that decide whether the shipped method works. */
export function modelPairs(): [string, string][] {
  return [
    [SHIPPED, 'meta 0 steps'],
    [SHIPPED, 'student 0 steps'],
    [SHIPPED, 'pretrained+k steps'],
    [SHIPPED, 'ease'],
    ['pretrained+k steps', 'student 0 steps'],
    // What 4-bit item rows cost against the int8 file and the float model.
    [SHIPPED_4BIT_FILE, SHIPPED_INT8_FILE],
    [SHIPPED_4BIT_FILE, SHIPPED],
  ];
}
