/**
 * On-device personalisation: the meta-training inner loop (ModelSession.adapt → adaptTower,
 * the same function Reptile optimises the initialisation for), always started from the
 * model's meta-initialised tower on the shopper's whole stored history, so the result
 * depends on the history and not on how often it ran.
 */
import { MODEL_BOUNDS } from '../model/bounds';
import type { IndexedEvent } from '../model/pooling';
import type { ModelSession } from '../model/session';
import type { TowerParams } from '../model/weights';

/** The cap of personalise({ steps }) (checked by its schema), the same as a model's `inner.steps` bound. */
export const MAX_STEPS = MODEL_BOUNDS.maxInnerSteps;

export interface PersonaliseRun {
  tower: TowerParams;
  steps: number;
  lr: number;
  ms: number;
}

/** `steps` as the handler table checked it; by default the model's own (within the model bounds). */
export async function runInnerLoop(session: ModelSession, history: readonly IndexedEvent[], steps = session.config.inner.steps): Promise<PersonaliseRun> {
  const lr = session.config.inner.lr;
  const t0 = performance.now();
  // Everything but the step count comes from the model, so the device runs the inner loop it was meta-trained for.
  const [tower] = session.adapt(session.weights.tower, [history], { ...session.config.inner, steps });
  return { tower, steps, lr, ms: performance.now() - t0 };
}
