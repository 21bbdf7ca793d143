import { LocalrecError } from '../errors';
import type { InnerLoopConfig } from '../model/manifest';
import { ModelSession } from '../model/session';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';
import type { ColdStartMethod, HyperParams, IndexedEvent, TrainingData } from './method';

/** What a model-based method needs once fitted: weights, config and the tower to start from. */
export interface FittedModel {
  weights: ModelWeights;
  config: ModelConfig;
  tower: TowerParams;
}

/**
 * A model evaluated through the same ModelSession the browser Worker uses: with `inner`
 * the user's tower is first adapted by the on-device inner loop on the support events,
 * without it the shared tower scores them as is (0 steps).
 */
export class ModelMethod implements ColdStartMethod {
  private session: ModelSession | null = null;
  private fitted: FittedModel | null = null;

  constructor(
    readonly name: string,
    private readonly fitModel: (train: TrainingData) => Promise<FittedModel>,
    private readonly inner: InnerLoopConfig | null,
    /** Facts about how the model was trained, for the report. */
    private readonly info: HyperParams = {},
  ) {}

  params(): HyperParams {
    return { ...this.info, ...(this.inner ? { innerSteps: this.inner.steps, innerLr: this.inner.lr } : { innerSteps: 0 }) };
  }

  async fit(train: TrainingData): Promise<void> {
    this.session?.dispose();
    this.fitted = await this.fitModel(train);
    this.session = new ModelSession(this.fitted.weights, this.fitted.config);
  }

  /** Frees the item tensors (callers that fit many models in one process). */
  dispose(): void {
    this.session?.dispose();
    this.session = null;
  }

  async scoreUser(support: readonly IndexedEvent[]): Promise<Float32Array> {
    if (!this.session || !this.fitted) throw new LocalrecError('invalid-state', `${this.name}: scoreUser before fit`);
    if (this.inner && this.inner.steps > 0) {
      return (await this.session.adaptAndScore(this.fitted.tower, [support], this.inner)).scores;
    }
    return this.session.scoreShared(this.fitted.tower, [support]);
  }
}
