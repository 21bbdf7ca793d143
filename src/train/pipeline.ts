import type { TrainingData, UserSequence } from '../data/split';
import { VALIDATION_FOLD, fnv1a32, userFold } from '../data/split';
import type { ItemMeta } from '../data/types';
import type { InnerLoopConfig, InnerObjective, PoolingConfig } from '../model/manifest';
import { dequantiseRows, quantiseRows } from '../model/quantise';
import { DEFAULT_CONTENT, DEFAULT_INNER, DEFAULT_POOLING, type ModelConfig, type ModelWeights, type TowerParams } from '../model/weights';
import type { CheckpointStore } from './checkpoint';
import { fitContentProjection } from './content';
import { contentTokens, hashFeatures } from '../model/features';
import { fitEaseTeacher, type EaseTeacher } from './ease-teacher';
import { metaTrain, type MetaAlgorithm } from './meta';
import { pretrain, type PretrainProgress, type TableModel } from './pretrain';
import { coldStartNdcg, type ValidationView } from './validate';

export interface StageOptions {
  d: number;
  hidden: number;
  epochs: number;
  lr: number;
}

export interface PipelineOptions {
  seed: number;
  teacher: StageOptions;
  /** easeShare: EASE's share of the distillation target (0 = the neural teacher only). */
  student: StageOptions & { distillWeight: number; temperature: number; easeShare: number };
  meta: { algorithm: MetaAlgorithm; steps: number; tasksPerStep: number; metaLr: number; supportSizes: number[]; queryMax: number; lrScaleLr: number; maxHeldOut: number; learnBias: boolean; adapt: 'tower' | 'offset'; offsetScale: number };
  pooling: PoolingConfig;
  inner: InnerLoopConfig;
  contentBuckets: number;
  /** Item rows = free rows + hashed content-feature rows during pre-training (see pretrain). */
  itemFeatures: boolean;
  /** Weight averaging in pre-training (EMA decay per step; 0 = off), see pretrain. */
  ema: number;
  batchSize: number;
  negatives: number;
  fullSoftmaxMaxItems: number;
  weightDecay: number;
  /**
   * Support sizes at which validation NDCG@10 is measured for early stopping and selection
   * (the criterion is their mean; the first is also used for EASE's λ and the
   * quantisation check).
   */
  validationKs: number[];
  /** Which query view early stopping and selection read (see coldStartNdcg). */
  validationView: ValidationView;
}

export const DEFAULT_PIPELINE: PipelineOptions = {
  seed: 42,
  // Up to 10 epochs: early stopping on both views decides (it stops MovieLens at ~2–4).
  teacher: { d: 64, hidden: 128, epochs: 10, lr: 2e-3 },
  student: { d: 32, hidden: 64, epochs: 10, lr: 2e-3, distillWeight: 0.5, temperature: 2, easeShare: 0 },
  meta: { algorithm: 'fomaml', steps: 300, tasksPerStep: 32, metaLr: 1e-3, supportSizes: [1, 3, 5, 10, 20], queryMax: 50, lrScaleLr: 0, maxHeldOut: 5, learnBias: false, adapt: 'tower', offsetScale: 1 },
  pooling: DEFAULT_POOLING,
  inner: DEFAULT_INNER,
  contentBuckets: DEFAULT_CONTENT.buckets,
  // Content features: shop 0.247 → 0.277 over three seeds; on MovieLens within seed noise (docs/evaluation.md).
  itemFeatures: true,
  ema: 0,
  batchSize: 256,
  negatives: 2048,
  fullSoftmaxMaxItems: 3000,
  weightDecay: 1e-4,
  // Averaging k = 3, 5, 10 makes early stopping less noisy: MovieLens seeds 1 and 2 gave
  // 0.409 and 0.415 with it against 0.414 and 0.384 with k = 5 alone (docs/evaluation.md).
  validationKs: [3, 5, 10],
  // The full view alone rewarded popularity-like snapshots on the drifting shop (docs/evaluation.md).
  validationView: 'both',
};

/** The method choices a command line may change; everything else comes from DEFAULT_PIPELINE. */
export interface PipelineOverrides {
  seed?: number;
  teacherEpochs?: number;
  studentEpochs?: number;
  easeShare?: number;
  algorithm?: MetaAlgorithm;
  metaSteps?: number;
  metaLr?: number;
  lrScaleLr?: number;
  queryMax?: number;
  metaBias?: boolean;
  adapt?: 'tower' | 'offset';
  offsetScale?: number;
  innerSteps?: number;
  innerLr?: number;
  innerDebias?: boolean;
  innerObjective?: InnerObjective;
  validationView?: ValidationView;
  validationKs?: number[];
  itemFeatures?: boolean;
  ema?: number;
}

/** DEFAULT_PIPELINE with overrides; the train and eval commands both build their options here. */
export function pipelineOptions(o: PipelineOverrides = {}): PipelineOptions {
  const d = DEFAULT_PIPELINE;
  return {
    ...d,
    seed: o.seed ?? d.seed,
    validationView: o.validationView ?? d.validationView,
    validationKs: o.validationKs ?? d.validationKs,
    itemFeatures: o.itemFeatures ?? d.itemFeatures,
    ema: o.ema ?? d.ema,
    teacher: { ...d.teacher, epochs: o.teacherEpochs ?? d.teacher.epochs },
    student: { ...d.student, epochs: o.studentEpochs ?? d.student.epochs, easeShare: o.easeShare ?? d.student.easeShare },
    meta: {
      ...d.meta,
      algorithm: o.algorithm ?? d.meta.algorithm,
      steps: o.metaSteps ?? d.meta.steps,
      metaLr: o.metaLr ?? d.meta.metaLr,
      lrScaleLr: o.lrScaleLr ?? d.meta.lrScaleLr,
      queryMax: o.queryMax ?? d.meta.queryMax,
      learnBias: o.metaBias ?? d.meta.learnBias,
      adapt: o.adapt ?? d.meta.adapt,
      offsetScale: o.offsetScale ?? d.meta.offsetScale,
    },
    inner: {
      steps: o.innerSteps ?? d.inner.steps,
      lr: o.innerLr ?? d.inner.lr,
      debias: o.innerDebias ?? d.inner.debias,
      ...(o.innerObjective && o.innerObjective !== 'support' ? { objective: o.innerObjective } : {}),
    },
  };
}

export type Stage = 'teacher' | 'student' | 'meta' | 'export';

export interface PipelineHooks {
  onStageStart?: (stage: Stage, total: number) => void;
  onProgress?: (stage: Stage, done: number, info: { loss: number; validation?: number }) => void;
  onStageEnd?: (stage: Stage, info: Record<string, unknown>) => void;
}

export interface PipelineResult {
  teacher: TableModel;
  /** The distilled student with its plain pre-trained tower. */
  student: TableModel;
  metaTower: TowerParams;
  /** Meta-learned inner step-size multipliers (Meta-SGD), when enabled. */
  lrScale?: TowerParams;
  /** Student tables + meta-initialised tower + content projection: what ships. */
  weights: ModelWeights;
  config: ModelConfig;
  report: Record<string, unknown>;
}

function withProj(m: TableModel & { innerLrScale?: TowerParams }, contentProj = new Float32Array(0)): ModelWeights {
  return { ...m, contentProj };
}

async function meanOverKs(ks: readonly number[], f: (k: number) => Promise<number>): Promise<number> {
  let sum = 0;
  for (const k of ks) sum += await f(k);
  return sum / ks.length;
}

/** A short stable hash of JSON-able options (FNV-1a over the JSON text). */
function fingerprint(value: unknown): string {
  return fnv1a32(JSON.stringify(value)).toString(16).padStart(8, '0');
}

/** Splits training users into fitting users and the validation fold used for early stopping. */
export function validationSplit(users: readonly UserSequence[]): { fit: UserSequence[]; validation: UserSequence[] } {
  return {
    fit: users.filter((u) => userFold(u.user) !== VALIDATION_FOLD),
    validation: users.filter((u) => userFold(u.user) === VALIDATION_FOLD),
  };
}

/**
 * teacher (wide, trained on data) → student (small, data + score distillation) → Reptile/
 * FOMAML meta-initialisation of the student's tower (tables frozen, the browser's own
 * inner loop) → content projection for unseen items. Every stage early-stops on
 * validation users that it never fits on.
 */
export async function trainPipeline(
  train: TrainingData,
  opts: PipelineOptions,
  hooks: PipelineHooks = {},
  checkpoints?: CheckpointStore,
): Promise<PipelineResult> {
  const { fit, validation } = validationSplit(train.users);
  // Each stage's checkpoint is named by the options it depends on, so changing a later
  // stage (say, meta-training) still resumes from the earlier ones.
  const shared = {
    seed: opts.seed,
    pooling: opts.pooling,
    batchSize: opts.batchSize,
    negatives: opts.negatives,
    full: opts.fullSoftmaxMaxItems,
    wd: opts.weightDecay,
    k: opts.validationKs.length === 1 ? opts.validationKs[0] : opts.validationKs,
    // Absent for 'full' so checkpoints made before the option existed keep their names.
    ...(opts.validationView !== 'full' ? { view: opts.validationView } : {}),
    ...(opts.itemFeatures ? { features: opts.contentBuckets } : {}),
    ...(opts.ema > 0 ? { ema: opts.ema } : {}),
  };
  const stageKey = {
    teacher: fingerprint({ shared, teacher: opts.teacher }),
    student: fingerprint({ shared, teacher: opts.teacher, student: opts.student }),
    meta: fingerprint({ shared, teacher: opts.teacher, student: opts.student, meta: opts.meta, inner: opts.inner }),
  };
  const config: ModelConfig = { pooling: opts.pooling, inner: opts.inner, content: { buckets: opts.contentBuckets } };
  const report: Record<string, unknown> = { fitUsers: fit.length, validationUsers: validation.length, items: train.catalogue.ids.length };
  const val = (m: TableModel & { innerLrScale?: TowerParams }, tower: TowerParams, inner: InnerLoopConfig | null) =>
    meanOverKs(opts.validationKs, (k) => coldStartNdcg(withProj(m), config, tower, validation, k, inner, opts.validationView));

  const itemFeatures = opts.itemFeatures
    ? {
        buckets: opts.contentBuckets,
        features: train.catalogue.ids.map((id) => {
          const meta = train.items.get(id);
          return meta ? hashFeatures(contentTokens(meta), opts.contentBuckets) : { buckets: [], weights: [] };
        }),
      }
    : undefined;
  const runPretrain = async (
    stage: 'teacher' | 'student',
    s: StageOptions,
    teacher?: PipelineOptions['student'] & { model: TableModel; ease?: EaseTeacher },
  ) => {
    const cached = await checkpoints?.load(`${stage}-${stageKey[stage]}`);
    if (cached) {
      hooks.onStageEnd?.(stage, { ...cached.info, resumed: true });
      report[stage] = { ...cached.info, resumed: true };
      return cached.model;
    }
    const t0 = performance.now();
    const stepsPerEpoch = Math.ceil(fit.reduce((a, u) => a + Math.max(0, u.events.length - 1), 0) / opts.batchSize);
    hooks.onStageStart?.(stage, stepsPerEpoch * s.epochs);
    const res = await pretrain(fit, train.itemCounts, {
      d: s.d,
      hidden: s.hidden,
      epochs: s.epochs,
      batchSize: opts.batchSize,
      lr: s.lr,
      weightDecay: opts.weightDecay,
      negatives: opts.negatives,
      fullSoftmaxMaxItems: opts.fullSoftmaxMaxItems,
      pooling: opts.pooling,
      seed: opts.seed + (stage === 'teacher' ? 1 : 2),
      teacher: teacher
        ? {
            model: teacher.model,
            weight: teacher.distillWeight,
            temperature: teacher.temperature,
            ...(teacher.ease ? { ease: { teacher: teacher.ease, share: teacher.easeShare } } : {}),
          }
        : undefined,
      content: itemFeatures,
      ema: opts.ema,
      validate: validation.length ? (m) => val(m, m.tower, null) : undefined,
      evalsPerEpoch: 2,
      patience: 3,
      onProgress: (p: PretrainProgress) => hooks.onProgress?.(stage, p.epoch * p.stepsPerEpoch + p.step, { loss: p.loss, validation: p.validation }),
    });
    const info = { seconds: (performance.now() - t0) / 1000, bestEpoch: res.best.epoch, validationNdcg10: res.best.validation, history: res.history };
    report[stage] = info;
    hooks.onStageEnd?.(stage, info);
    await checkpoints?.save(`${stage}-${stageKey[stage]}`, res.model, info);
    return res.model;
  };

  const teacher = await runPretrain('teacher', opts.teacher);
  let ease: EaseTeacher | undefined;
  if (opts.student.easeShare > 0 && !(await checkpoints?.load(`student-${stageKey.student}`))) {
    ease = await fitEaseTeacher(train, fit, validation, { k: opts.validationKs[0], maxContext: opts.pooling.maxItems });
    report.easeTeacher = { lambda: ease.lambda, alpha: ease.alpha, gamma: ease.gamma };
  }
  const student = await runPretrain('student', opts.student, { ...opts.student, model: teacher, ease });

  let metaTower: TowerParams;
  let metaBias: Float32Array;
  let lrScale: TowerParams | undefined;
  const cachedMeta = await checkpoints?.load(`meta-${stageKey.meta}`);
  if (cachedMeta) {
    metaTower = cachedMeta.model.tower;
    metaBias = cachedMeta.model.itemBias;
    lrScale = (await checkpoints?.load(`meta-lrscale-${stageKey.meta}`))?.model.tower;
    report.meta = { ...cachedMeta.info, resumed: true };
    hooks.onStageEnd?.('meta', { ...cachedMeta.info, resumed: true });
  } else {
    const t0 = performance.now();
    hooks.onStageStart?.('meta', opts.meta.steps);
    const res = await metaTrain(student, student.tower, fit, {
      ...opts.meta,
      inner: opts.inner,
      pooling: opts.pooling,
      seed: opts.seed + 3,
      evalEvery: Math.max(1, Math.floor(opts.meta.steps / 6)),
      validate: validation.length ? (t, scale, itemBias) => val({ ...student, itemBias: itemBias ?? student.itemBias, innerLrScale: scale }, t, opts.inner) : undefined,
      onProgress: (p) => hooks.onProgress?.('meta', p.step, { loss: p.loss, validation: p.validation }),
    });
    metaTower = res.tower;
    metaBias = res.itemBias;
    lrScale = res.lrScale;
    const info = { seconds: (performance.now() - t0) / 1000, bestStep: res.best.step, validationNdcg10: res.best.validation, history: res.history };
    report.meta = info;
    hooks.onStageEnd?.('meta', info);
    await checkpoints?.save(`meta-${stageKey.meta}`, { ...student, itemBias: metaBias, tower: metaTower }, info);
    if (lrScale) await checkpoints?.save(`meta-lrscale-${stageKey.meta}`, { ...student, tower: lrScale }, {});
  }

  hooks.onStageStart?.('export', 1);
  const items: ItemMeta[] = train.catalogue.ids.map((id) => train.items.get(id) ?? { id, title: id, categories: [] });
  const contentProj = fitContentProjection({ ...student, itemBias: metaBias }, items, train.itemCounts, opts.contentBuckets);
  const weights: ModelWeights = { ...student, itemBias: metaBias, tower: metaTower, contentProj, ...(lrScale ? { innerLrScale: lrScale } : {}) };
  report.quantisation = await quantisationLoss(weights, config, validation, opts.validationKs[0]);
  hooks.onProgress?.('export', 1, { loss: NaN });
  hooks.onStageEnd?.('export', report.quantisation as Record<string, unknown>);
  return { teacher, student, metaTower, lrScale, weights, config, report };
}

/** What int8 item tables cost: largest entry error and validation NDCG@10 (after the inner loop) float32 vs int8. */
export async function quantisationLoss(weights: ModelWeights, config: ModelConfig, validation: readonly UserSequence[], k: number) {
  const { n, d } = weights;
  const itemIn = dequantiseRows(quantiseRows(weights.itemIn, n, d), d);
  const itemOut = dequantiseRows(quantiseRows(weights.itemOut, n, d), d);
  let maxAbsError = 0;
  for (let i = 0; i < itemIn.length; i++) {
    maxAbsError = Math.max(maxAbsError, Math.abs(itemIn[i] - weights.itemIn[i]), Math.abs(itemOut[i] - weights.itemOut[i]));
  }
  const float32 = await coldStartNdcg(weights, config, weights.tower, validation, k, config.inner);
  const int8 = await coldStartNdcg({ ...weights, itemIn, itemOut }, config, weights.tower, validation, k, config.inner);
  return { maxAbsError, validationNdcg10Float32: float32, validationNdcg10Int8: int8, ndcgLoss: float32 - int8, k };
}
