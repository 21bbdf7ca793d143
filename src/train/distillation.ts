import * as tf from '@tensorflow/tfjs-core';
import type { UserSequence } from '../data/split';
import type { PoolingConfig } from '../model/manifest';
import { poolBatch } from '../model/pooling';
import { itemScores, towerToTensors, userVectors } from '../model/tower';
import { candidateRows } from './candidates';
import type { TableModel } from '../model/weights';

/** A trained model whose scores the student learns from, softened by `temperature`. */
export interface DistillationTeacher {
  model: TableModel;
  /** Share of the distillation term in the loss (the data term gets 1 − weight). */
  weight: number;
  temperature: number;
}

/**
 * The teacher's distribution over the batch's candidates (B×m): softmax of its
 * logQ-corrected scores divided by the temperature, from the same contexts the student sees.
 */
export function teacherTargets(
  teacher: DistillationTeacher,
  contexts: readonly UserSequence['events'][],
  candidates: Int32Array,
  correction: tf.Tensor1D | null,
  pooling: PoolingConfig,
): tf.Tensor2D {
  const tm = teacher.model;
  const B = contexts.length;
  const m = candidates.length;
  const pooled = poolBatch(contexts, tm.itemIn, tm.d, pooling);
  const { rows, bias } = candidateRows(tm, candidates);
  return tf.tidy(() => {
    const tower = towerToTensors(tm.tower, tm.d, tm.hidden);
    let logits = itemScores(userVectors(tower, tf.tensor2d(pooled, [B, tm.d])), tf.tensor2d(rows, [m, tm.d]), tf.tensor1d(bias));
    if (correction) logits = tf.sub(logits, correction);
    return tf.softmax(tf.div(logits, teacher.temperature)) as tf.Tensor2D;
  });
}
