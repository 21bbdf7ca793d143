import type { TrainingData, UserSequence } from '../data/split';
import { VALIDATION_FOLD, fnv1a32, userFold } from '../data/split';
import { createRng } from '../data/random';
import type { ItemMeta } from '../data/types';
import type { InnerLoopConfig, PoolingConfig } from '../model/manifest';
import { contentTokens, hashFeatures, type SparseFeatures } from '../model/features';
import { dequantiseRows, quantiseRows } from '../model/quantise';
import { cloneTables, type ModelConfig, type ModelWeights, type TableModel, type TowerParams } from '../model/weights';
import type { CheckpointStore } from './checkpoint';
import { fitContentProjection } from './content';
import type { DistillationTeacher } from './distillation';
import { metaTrain } from './meta';
import { DEFAULT_PIPELINE, type PipelineOptions, type StageOptions } from './options';
import { pretrain } from './pretrain';
import { ValidationCriterion } from '../eval/validation';
import { coldStartNdcg, modelRanker } from './validate';
import { chooseBiasScale, scaleBias } from './bias-scale';
import { chooseRecency, withRecency } from './recency-choice';
import { TrainPool } from './pool';
import type { ContinuedModel } from './from-model';

export { DEFAULT_PIPELINE, type PipelineOptions, type StageOptions } from './options';

export type Stage = 'teacher' | 'student' | 'meta' | 'export';

/** Item embeddings from another engine that stand in for the trained teacher (train --teacher, src/train/teacher-file.ts). */
export interface ImportedTeacher {
  /** Its rows in the catalogue's order, scored through an identity tower (see teacher-file.ts). */
  model: TableModel;
  /** Identifies the embeddings (a hash of their values), so stage checkpoints of another teacher never resume. */
  key: string;
  /** What the import found (file, format, dims, coverage): reported with the teacher stage. */
  facts: Record<string, unknown>;
}

/** Where a run starts other than from scratch. */
export interface PipelineStart {
  /** Distil from these embeddings instead of training a teacher. */
  teacher?: ImportedTeacher;
  /** Continue a published model: no teacher (unless imported), its tables and tower fine-tuned, its on-device settings kept. */
  from?: ContinuedModel;
}

export interface PipelineHooks {
  onStageStart?: (stage: Stage, total: number) => void;
  onProgress?: (stage: Stage, done: number, info: { loss: number; validation?: number }) => void;
  onStageEnd?: (stage: Stage, info: Record<string, unknown>) => void;
}

export interface PipelineResult {
  /** The trained teacher, the imported one (train --teacher), or with neither the published model a run continued (train --from). */
  teacher: TableModel;
  /** The distilled student with its plain pre-trained tower. */
  student: TableModel;
  metaTower: TowerParams;
  /** Student tables + meta-initialised tower + content projection: what ships. */
  weights: ModelWeights;
  config: ModelConfig;
  report: Record<string, unknown>;
}

/** What every stage of one pipeline run reads. */
interface RunContext {
  train: TrainingData;
  fit: UserSequence[];
  validation: UserSequence[];
  opts: PipelineOptions;
  config: ModelConfig;
  hooks: PipelineHooks;
  checkpoints?: CheckpointStore;
  report: Record<string, unknown>;
  keys: Record<'teacher' | 'student' | 'meta', string>;
  criterion: ValidationCriterion;
  /** Worker threads for validation and meta-training; null with one thread. */
  pool: TrainPool | null;
  start: PipelineStart;
}

/** A short stable hash of JSON-able options (FNV-1a over the JSON text). */
function fingerprint(value: unknown): string {
  return fnv1a32(JSON.stringify(value)).toString(16).padStart(8, '0');
}

/** The pooling as stage keys spelt it before its half-lives named their units (days, positions), so checkpoints made before the rename still resume. */
function poolingKey({ halfLifeHours, halfLifePositions, ...rest }: PoolingConfig): Record<string, unknown> {
  return { ...rest, halfLifeDays: halfLifeHours === null ? null : halfLifeHours / 24, ...(halfLifePositions === null ? {} : { recencyHalfLife: halfLifePositions }) };
}

/**
 * Each stage's checkpoint is named by the options it depends on, so changing a later
 * stage (say, meta-training) still resumes from the earlier ones.
 */
function stageKeys(opts: PipelineOptions, sampled: boolean, start: PipelineStart): RunContext['keys'] {
  // biasScale is chosen after the last stage, so it keys none of them; the recency choice
  // is made after the student, so it keys only the meta stage.
  // threads changes how fast, not what: it keys nothing.
  const { teacher, student, meta, inner, biasScale: _after, threads: _speed, validationUsers, chooseRecency, chooseTimeRecency, sampleContexts, averageWeights, ...rest } = opts;
  // Options added later key the stages only when set (the validation sample: when it leaves users out), so checkpoints made before they existed still resume.
  const starts = { ...(start.teacher ? { teacherKey: start.teacher.key } : {}), ...(start.from ? { fromKey: start.from.key } : {}) };
  const shared = { ...rest, pooling: poolingKey(rest.pooling), ...(sampleContexts ? { sampleContexts } : {}), ...(averageWeights ? { averageWeights } : {}), ...(sampled ? { validationUsers } : {}), ...starts };
  const { queryViews, ...metaRest } = meta;
  const metaKey = queryViews ? meta : metaRest;
  return {
    teacher: fingerprint({ shared, teacher }),
    student: fingerprint({ shared, teacher, student }),
    meta: fingerprint({ shared, teacher, student, meta: metaKey, inner, ...(chooseRecency ? { chooseRecency } : {}), ...(chooseRecency && chooseTimeRecency ? { chooseTimeRecency } : {}) }),
  };
}

/**
 * Splits training users into fitting users and the validation fold used for early
 * stopping; past `max` validation users, a sample of `max` of them drawn with the seed
 * (in their original order). The users left out are not fitted on either.
 */
function validationSplit(users: readonly UserSequence[], max: number, seed: number): { fit: UserSequence[]; validation: UserSequence[]; validationTotal: number } {
  const fold = users.filter((u) => userFold(u.user) === VALIDATION_FOLD);
  const fit = users.filter((u) => userFold(u.user) !== VALIDATION_FOLD);
  if (fold.length <= max) return { fit, validation: fold, validationTotal: fold.length };
  const keep = createRng(seed).shuffle(fold.map((_, i) => i)).slice(0, max).sort((a, b) => a - b);
  return { fit, validation: keep.map((i) => fold[i]), validationTotal: fold.length };
}

/**
 * teacher (wide, trained on data) → student (small, data + score distillation) → Reptile/
 * FOMAML meta-initialisation of the student's tower (tables frozen, the browser's own
 * inner loop) → content projection for unseen items. Every stage early-stops on
 * validation users that it never fits on.
 */
export async function trainPipeline(
  train: TrainingData,
  opts: PipelineOptions = DEFAULT_PIPELINE,
  hooks: PipelineHooks = {},
  checkpoints?: CheckpointStore,
  start: PipelineStart = {},
): Promise<PipelineResult> {
  const { fit, validation, validationTotal } = validationSplit(train.users, opts.validationUsers, opts.seed);
  const config: ModelConfig = start.from ? structuredClone(start.from.config) : { pooling: opts.pooling, inner: opts.inner, content: { buckets: opts.contentBuckets } };
  const report: Record<string, unknown> = { fitUsers: fit.length, validationUsers: validation.length, items: train.catalogue.ids.length };
  if (validationTotal > validation.length) report.validationUsersInFold = validationTotal;
  const criterion = new ValidationCriterion(validation, itemCountsOf(fit, train.catalogue.ids.length), opts.validationKs, opts.validationView);
  const pool = opts.threads > 1 ? new TrainPool(opts.threads) : null;
  try {
    return await runStages({ train, fit, validation, opts, config, hooks, checkpoints, report, keys: stageKeys(opts, validationTotal > validation.length, start), criterion, pool, start });
  } finally {
    await pool?.close();
  }
}

async function runStages(ctx: RunContext): Promise<PipelineResult> {
  const { train, validation, opts, config, hooks, report, pool, start } = ctx;
  const teacher = start.teacher ? await importedTeacherStage(ctx, start.teacher) : start.from ? null : await pretrainStage(ctx, 'teacher', opts.teacher);
  const distill = teacher && { model: teacher, weight: opts.student.distillWeight, temperature: opts.student.temperature };
  const student = start.from
    ? await pretrainStage(ctx, 'student', { ...opts.student, d: start.from.model.d, hidden: start.from.model.hidden }, distill ?? undefined, start.from.model)
    : await pretrainStage(ctx, 'student', opts.student, distill ?? undefined);
  // A continued model keeps the pooling devices already run (config is the published model's).
  if (!start.from) await recencyStage(ctx, student);
  const metaTower = await metaStage(ctx, student, start.from?.model.tower ?? student.tower);

  hooks.onStageStart?.('export', 1);
  const items: ItemMeta[] = train.catalogue.ids.map((id) => train.items.get(id) ?? { id, title: id, categories: [] });
  const contentProj = fitContentProjection(student, items, train.itemCounts, config.content.buckets);
  const biasScale = await chooseBiasScale(opts.biasScale, validation.length ? ctx.criterion : null, { ...student, contentProj }, config, metaTower, opts.inner, pool);
  report.biasScale = biasScale;
  const weights: ModelWeights = scaleBias({ ...student, tower: metaTower, contentProj }, biasScale.value);
  report.quantisation = await quantisationLoss(weights, config, validation, opts.validationKs[0], pool);
  hooks.onProgress?.('export', 1, { loss: NaN });
  hooks.onStageEnd?.('export', report.quantisation as Record<string, unknown>);
  return { teacher: teacher ?? start.from!.model, student, metaTower, weights, config, report };
}

/** Chooses the device's recency half-lives on validation users (src/train/recency-choice.ts) and sets them in the config. */
async function recencyStage(ctx: RunContext, student: TableModel): Promise<void> {
  const { opts, config } = ctx;
  const t0 = performance.now();
  const recency = await chooseRecency(
    { positions: opts.chooseRecency, hours: opts.chooseTimeRecency },
    ctx.validation.length ? ctx.criterion : null,
    { ...student, contentProj: new Float32Array(0) },
    config,
    student.tower,
    opts.inner,
    ctx.pool,
  );
  ctx.report.recency = { ...recency, seconds: (performance.now() - t0) / 1000 };
  config.pooling = withRecency(config.pooling, recency.halfLife, recency.halfLifeHours);
}

/** An imported teacher takes the teacher stage's place: its validation score is reported like a trained one's. */
async function importedTeacherStage(ctx: RunContext, t: ImportedTeacher): Promise<TableModel> {
  ctx.hooks.onStageStart?.('teacher', 1);
  const validationNdcg10 = ctx.validation.length ? await validate(ctx, t.model, t.model.tower, null) : NaN;
  const info = { imported: true, validationNdcg10, import: t.facts };
  ctx.report.teacher = info;
  ctx.hooks.onProgress?.('teacher', 1, { loss: NaN, validation: validationNdcg10 });
  ctx.hooks.onStageEnd?.('teacher', info);
  return t.model;
}

/** The validation criterion (averaged over the validation ks) of every stage. */
async function validate(ctx: RunContext, m: TableModel, tower: TowerParams, inner: InnerLoopConfig | null): Promise<number> {
  return ctx.criterion.score(modelRanker({ ...m, contentProj: new Float32Array(0) }, ctx.config, tower, inner, ctx.pool));
}

function itemCountsOf(users: readonly UserSequence[], n: number): Int32Array {
  const counts = new Int32Array(n);
  for (const u of users) for (const e of u.events) counts[e.index]++;
  return counts;
}

/** Loads a stage's checkpoint, or runs the stage, reports it and saves its checkpoint. */
async function resumableStage(
  ctx: RunContext,
  stage: 'teacher' | 'student' | 'meta',
  run: () => Promise<{ model: TableModel; info: Record<string, unknown> }>,
): Promise<TableModel> {
  const name = `${stage}-${ctx.keys[stage]}`;
  const cached = await ctx.checkpoints?.load(name);
  const { model, info } = cached ? { model: cached.model, info: { ...cached.info, resumed: true } } : await run();
  ctx.report[stage] = info;
  ctx.hooks.onStageEnd?.(stage, info);
  if (!cached) await ctx.checkpoints?.save(name, model, info);
  return model;
}

/** Hashed content features of every catalogue item, when pre-training uses them. */
function itemFeatures(ctx: RunContext): { features: SparseFeatures[]; buckets: number } | undefined {
  const { train, opts } = ctx;
  if (!opts.itemFeatures) return undefined;
  const features = train.catalogue.ids.map((id) => {
    const meta = train.items.get(id);
    return meta ? hashFeatures(contentTokens(meta), opts.contentBuckets) : { buckets: [], weights: [] };
  });
  return { buckets: opts.contentBuckets, features };
}

/**
 * Pre-trains a stage's tables and tower, from random ones or from `init` (a continued
 * model, which competes: when no evaluation beats its validation score, it is kept as it was).
 */
async function pretrainStage(ctx: RunContext, stage: 'teacher' | 'student', s: StageOptions, teacher?: DistillationTeacher, init?: TableModel): Promise<TableModel> {
  const { opts, fit, hooks } = ctx;
  return resumableStage(ctx, stage, async () => {
    const t0 = performance.now();
    const startValidation = init && ctx.validation.length ? await validate(ctx, init, init.tower, null) : -Infinity;
    const stepsPerEpoch = Math.ceil(fit.reduce((a, u) => a + Math.max(0, u.events.length - 1), 0) / opts.batchSize);
    hooks.onStageStart?.(stage, stepsPerEpoch * s.epochs);
    const res = await pretrain(fit, ctx.train.itemCounts, {
      d: s.d,
      hidden: s.hidden,
      epochs: s.epochs,
      batchSize: opts.batchSize,
      lr: s.lr,
      weightDecay: opts.weightDecay,
      negatives: opts.negatives,
      fullSoftmaxMaxItems: opts.fullSoftmaxMaxItems,
      pooling: opts.pooling,
      sampleContexts: opts.sampleContexts,
      averageWeights: opts.averageWeights,
      pool: ctx.pool,
      seed: opts.seed + (stage === 'teacher' ? 1 : 2),
      teacher,
      init,
      // A continued model's rows already hold their content part (the published rows are sums).
      content: init ? undefined : itemFeatures(ctx),
      validate: ctx.validation.length ? (m) => validate(ctx, m, m.tower, null) : undefined,
      evalsPerEpoch: 2,
      patience: 3,
      onProgress: (p) => hooks.onProgress?.(stage, p.epoch * p.stepsPerEpoch + p.step, { loss: p.loss, validation: p.validation }),
    });
    const keepStart = init !== undefined && ctx.validation.length > 0 && !(res.best.validation > startValidation);
    const best = keepStart ? { epoch: 0, validation: startValidation } : res.best;
    const info = { seconds: (performance.now() - t0) / 1000, bestEpoch: best.epoch, validationNdcg10: best.validation, history: res.history, ...(init ? { startValidationNdcg10: startValidation } : {}) };
    return { model: keepStart ? cloneTables(init) : res.model, info };
  });
}

/** Meta-trains the student's tower; the checkpoint holds the student's tables with it. */
async function metaStage(ctx: RunContext, student: TableModel, start: TowerParams): Promise<TowerParams> {
  const { opts, hooks } = ctx;
  const model = await resumableStage(ctx, 'meta', async () => {
    const t0 = performance.now();
    hooks.onStageStart?.('meta', opts.meta.steps);
    const res = await metaTrain(student, start, ctx.fit, {
      ...opts.meta,
      inner: opts.inner,
      pooling: ctx.config.pooling,
      seed: opts.seed + 3,
      evalEvery: Math.max(1, Math.floor(opts.meta.steps / 6)),
      pool: ctx.pool,
      validate: ctx.validation.length ? (t) => validate(ctx, student, t, opts.inner) : undefined,
      onProgress: (p) => hooks.onProgress?.('meta', p.step, { loss: p.loss, validation: p.validation }),
    });
    const info = { seconds: (performance.now() - t0) / 1000, bestStep: res.best.step, validationNdcg10: res.best.validation, history: res.history };
    return { model: { ...student, tower: res.tower }, info };
  });
  return model.tower;
}

/** What int8 item tables cost: largest entry error and validation NDCG@10 (after the inner loop) float32 vs int8. */
export async function quantisationLoss(weights: ModelWeights, config: ModelConfig, validation: readonly UserSequence[], k: number, pool?: TrainPool | null) {
  const { n, d } = weights;
  const itemIn = dequantiseRows(quantiseRows(weights.itemIn, n, d), d);
  const itemOut = dequantiseRows(quantiseRows(weights.itemOut, n, d), d);
  let maxAbsError = 0;
  for (let i = 0; i < itemIn.length; i++) {
    maxAbsError = Math.max(maxAbsError, Math.abs(itemIn[i] - weights.itemIn[i]), Math.abs(itemOut[i] - weights.itemOut[i]));
  }
  const float32 = await coldStartNdcg(weights, config, weights.tower, validation, k, config.inner, 'full', pool);
  const int8 = await coldStartNdcg({ ...weights, itemIn, itemOut }, config, weights.tower, validation, k, config.inner, 'full', pool);
  return { maxAbsError, validationNdcg10Float32: float32, validationNdcg10Int8: int8, ndcgLoss: float32 - int8, k };
}
