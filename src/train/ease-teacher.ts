/**
 * EASE as a second distillation teacher. The neural teacher learns next-item transitions;
 * EASE (the strongest baseline on the drifting shop) captures which items co-occur in a
 * user's history regardless of order. Distilling both gives the small student the
 * co-occurrence signal without shipping an item×item matrix.
 *
 * Each training user is scored by an EASE fitted without their fold, so the teacher never
 * knows the user's own later items (a single fit would leak them through B).
 */
import type { SupportEvent, TrainingData, UserSequence } from '../data/split';
import { ndcgAt, topN } from '../eval/metrics';
import { Ease } from '../eval/baselines/ease';

export const EASE_FOLDS = 5;
const LAMBDAS = [50, 100, 200, 500, 1000, 2000, 5000];
const ALPHAS = [1, 2, 5, 10, 20, 50, 100, 200];

export interface EaseTeacher {
  lambda: number;
  /** Logit scale that makes softmax(alpha · score) best predict the next item (fitted on fit users). */
  alpha: number;
  /** EASE scores (length n) of a context of fit user `user` (an index into the fit users). */
  scores(user: number, context: readonly SupportEvent[]): Float32Array;
}

function subset(train: TrainingData, users: UserSequence[]): TrainingData {
  const itemCounts = new Int32Array(train.catalogue.ids.length);
  let nInteractions = 0;
  for (const u of users) {
    for (const e of u.events) itemCounts[e.index]++;
    nInteractions += u.events.length;
  }
  return { ...train, users, itemCounts, nInteractions };
}

/** Validation NDCG@10 at support size k (all later items), as the baseline tuning measures it. */
function validationNdcg(ease: Ease, validation: readonly UserSequence[], k: number): number {
  const cuts = validation.filter((u) => u.events.length > k);
  let sum = 0;
  for (const u of cuts) {
    const support = u.events.slice(0, k);
    const ranked = topN(ease.scoreUser(support), 10, support.map((e) => e.index));
    sum += ndcgAt(ranked, new Set(u.events.slice(k).map((e) => e.index)), 10);
  }
  return cuts.length ? sum / cuts.length : 0;
}

/**
 * λ by validation NDCG@10 at k (fitted on `fit`), then one EASE per fold of the fit users,
 * then the logit scale α by next-item log-likelihood on a sample of fit examples.
 */
export function fitEaseTeacher(
  train: TrainingData,
  fit: readonly UserSequence[],
  validation: readonly UserSequence[],
  opts: { k: number; maxContext: number },
): EaseTeacher {
  const all = subset(train, [...fit]);
  let lambda = LAMBDAS[0];
  if (validation.length) {
    let best = -Infinity;
    for (const l of LAMBDAS) {
      const e = new Ease({ lambda: l });
      e.fit(all);
      const v = validationNdcg(e, validation, opts.k);
      if (v > best) [best, lambda] = [v, l];
    }
  } else lambda = 500;
  const folds = Array.from({ length: EASE_FOLDS }, (_, f) => {
    const e = new Ease({ lambda });
    e.fit(subset(train, fit.filter((_, i) => i % EASE_FOLDS !== f)));
    return e;
  });
  const scores = (user: number, context: readonly SupportEvent[]) => folds[user % EASE_FOLDS].scoreUser(context);

  // α: mean log-softmax of the next item over a fixed sample of (context → next) pairs.
  const ll = new Float64Array(ALPHAS.length);
  let count = 0;
  for (let ui = 0; ui < fit.length && count < 2000; ui += Math.max(1, Math.floor(fit.length / 400))) {
    const ev = fit[ui].events;
    for (let j = 1; j < ev.length && count < 2000; j += Math.max(1, Math.floor(ev.length / 5))) {
      const s = scores(ui, ev.slice(Math.max(0, j - opts.maxContext), j));
      const t = s[ev[j].index];
      if (!Number.isFinite(t)) continue;
      ALPHAS.forEach((a, i) => {
        let max = -Infinity;
        for (const x of s) if (x * a > max) max = x * a;
        let z = 0;
        for (const x of s) if (Number.isFinite(x)) z += Math.exp(x * a - max);
        ll[i] += a * t - max - Math.log(z);
      });
      count++;
    }
  }
  let alpha = ALPHAS[0];
  ALPHAS.forEach((a, i) => {
    if (ll[i] > ll[ALPHAS.indexOf(alpha)]) alpha = a;
  });
  return { lambda, alpha, scores };
}
