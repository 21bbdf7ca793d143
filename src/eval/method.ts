/**
 * The one interface every evaluated method implements, baselines and the lead's
 * model-based methods alike. A method fits on training users only and then scores the
 * whole catalogue for a new user from that user's support events alone.
 */
import type { IndexedEvent, TrainingData, FoldSplit } from '../data/split';

export type { IndexedEvent, TrainingData } from '../data/split';

/** One point of a hyper-parameter grid. */
export type HyperParams = Readonly<Record<string, number | string | boolean>>;

export interface ColdStartMethod {
  /** Unique within a run; used to name pairs for paired differences. */
  readonly name: string;
  /** Grid searched by `tuneMethod` (validation NDCG@10 at k=5). Absent = nothing to tune. */
  readonly grid?: readonly HyperParams[];
  /** Applies a grid point; called before `fit`. */
  setParams?(params: HyperParams): void;
  /** The parameters in use, for the report. */
  params?(): HyperParams;
  /**
   * Custom tuning in place of the grid search (e.g. tune an on-device step size without
   * refitting). Must only use `ctx.validation`; the evaluator refits on `ctx.test.train`
   * afterwards unless it returns `{ refit: false }`.
   */
  tune?(ctx: TuneContext): Promise<TuneResult> | TuneResult;
  /** Fits on training users; called again after tuning with all training users. */
  fit(train: TrainingData): void | Promise<void>;
  /**
   * Scores over the catalogue of the last `fit` (length = catalogue size; higher = better).
   * Support items are excluded by the evaluator, so they may score anything.
   * The returned array may be reused by the method between calls.
   */
  scoreUser(support: readonly IndexedEvent[]): Float32Array | Promise<Float32Array>;
}

export interface TuneContext {
  validation: FoldSplit;
  /** Validation NDCG@10 at k (default 5) for the method's current fitted state. */
  validationNdcg(method: ColdStartMethod, k?: number): Promise<number>;
  onProgress?: (done: number, total: number) => void;
}

export interface TuneResult {
  params: HyperParams;
  /** Validation NDCG@10 of each tried point, for the report. */
  trials: { params: HyperParams; ndcg: number }[];
  refit?: boolean;
}
