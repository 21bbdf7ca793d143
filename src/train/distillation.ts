import type { TableModel } from '../model/weights';

/**
 * A trained model whose scores the student learns from, softened by `temperature`: on
 * each batch the student's loss mixes in the cross-entropy against the teacher's softmax
 * over the same candidates (its logQ-corrected scores divided by the temperature, from the
 * same contexts), computed with the student's scores in src/train/step-kernel.ts.
 */
export interface DistillationTeacher {
  model: TableModel;
  /** Share of the distillation term in the loss (the data term gets 1 − weight). */
  weight: number;
  temperature: number;
}
