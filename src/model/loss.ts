import * as tf from '@tensorflow/tfjs-core';

/**
 * Weighted softmax cross-entropy, summed over rows:
 * Σ_b Σ_j targets_bj · (logsumexp(logits_b) − logits_bj). A row's targets may sum to
 * less than 1 (its share of a user's weight) or to 0 (padding, which then costs nothing).
 * Summing (not averaging) over rows keeps each user's gradient independent of the batch
 * size, so adapting B users at once equals adapting each alone.
 */
export function softmaxCrossEntropySum(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const lse = tf.logSumExp(logits, 1);
  return tf.sum(tf.sub(tf.mul(lse, tf.sum(targets, 1)), tf.sum(tf.mul(targets, logits), 1)));
}

/**
 * BPR loss, mean over pairs: softplus(neg − pos) = −log σ(pos − neg). Written with
 * softplus because tf.logSigmoid's gradient fails inside minimize in tfjs 4.22.
 */
export function bprLoss(pos: tf.Tensor, neg: tf.Tensor): tf.Scalar {
  return tf.mean(tf.softplus(tf.sub(neg, pos)));
}
