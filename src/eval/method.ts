/**
 * The one interface every evaluated method implements, baselines and the lead's
 * model-based methods alike. A method fits on training users only and then scores the
 * whole catalogue for a new user from that user's support events alone.
 */
import type { IndexedEvent, TrainingData } from '../data/split';
import type { Axes, Point, SearchResult } from './grid-search';

export type { IndexedEvent, TrainingData } from '../data/split';

/** One point of a hyper-parameter grid. */
export type HyperParams = Readonly<Record<string, number | string | boolean>>;

export interface ColdStartMethod {
  /** Unique within a run; used to name pairs for paired differences. */
  readonly name: string;
  /**
   * The hyper-parameters `tuneMethod` searches (see searchGrid: axes extend until the best
   * value is interior). Absent = nothing to tune.
   */
  readonly axes?: Axes;
  /** Applies a search point; called before `fit`. */
  setParams?(params: Point): void;
  /** The parameters in use, for the report. */
  params?(): HyperParams;
  /** Fits on training users; called again after tuning with all training users. */
  fit(train: TrainingData): void | Promise<void>;
  /**
   * Scores over the catalogue of the last `fit` (length = catalogue size; higher = better).
   * Support items are excluded by the evaluator, so they may score anything.
   * The returned array may be reused by the method between calls.
   */
  scoreUser(support: readonly IndexedEvent[]): Float32Array | Promise<Float32Array>;
}

export interface TuneResult {
  params: HyperParams;
  /** The validation criterion of each tried point, for the report. */
  trials: { params: HyperParams; score: number }[];
  /** Per parameter: 'interior', or where the search stopped (see SearchResult.position). */
  position: SearchResult['position'];
}
