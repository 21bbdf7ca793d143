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
import { validationNdcg } from '../eval/evaluate';
import { Ease } from '../eval/baselines/ease';

export const EASE_FOLDS = 5;
const ALPHAS = [0, 1, 2, 5, 10, 20, 50, 100, 200];
const GAMMAS = [0, 0.25, 0.5, 0.75, 1, 1.5];

export interface EaseTeacher {
  lambda: number;
  /**
   * Teacher logits are alpha · score + gamma · logPop, the scales that best predict a
   * later item of fit users.
   */
  alpha: number;
  gamma: number;
  /** log(1 + training count) per item. */
  logPop: Float32Array;
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

/**
 * λ from the EASE baseline's grid by validation NDCG@10 at k (fitted on `fit`), then one
 * EASE per fold of the fit users, then the logit scales α, γ by the log-likelihood of a
 * later item on a sample of fit examples.
 */
export async function fitEaseTeacher(
  train: TrainingData,
  fit: readonly UserSequence[],
  validation: readonly UserSequence[],
  opts: { k: number; maxContext: number },
): Promise<EaseTeacher> {
  const all = subset(train, [...fit]);
  let lambda = 500;
  if (validation.length) {
    let best = -Infinity;
    for (const point of new Ease().grid) {
      const l = Number(point.lambda);
      const e = new Ease({ lambda: l });
      e.fit(all);
      const v = await validationNdcg(e, validation, opts.k);
      if (v > best) [best, lambda] = [v, l];
    }
  }
  const folds = Array.from({ length: EASE_FOLDS }, (_, f) => {
    const e = new Ease({ lambda });
    e.fit(subset(train, fit.filter((_, i) => i % EASE_FOLDS !== f)));
    return e;
  });
  const scores = (user: number, context: readonly SupportEvent[]) => folds[user % EASE_FOLDS].scoreUser(context);

  // α, γ: mean log-softmax of a later item under α·score + γ·log(1 + count) over a
  // fixed sample of (context → next) pairs. EASE scores are ranking scores, not log
  // probabilities: without the popularity term the best α still leaves a nearly flat
  // distribution.
  const logPop = Float64Array.from(all.itemCounts, (c) => Math.log1p(c));
  const grid = ALPHAS.flatMap((a) => GAMMAS.map((g) => [a, g] as const));
  const ll = new Float64Array(grid.length);
  const z = new Float64Array(logPop.length);
  let count = 0;
  for (let ui = 0; ui < fit.length && count < 1000; ui += Math.max(1, Math.floor(fit.length / 300))) {
    const ev = fit[ui].events;
    for (let j = 1; j < ev.length && count < 1000; j += Math.max(1, Math.floor(ev.length / 4))) {
      const s = scores(ui, ev.slice(Math.max(0, j - opts.maxContext), j));
      // A later item, not just the next one: EASE's strength is what the user takes up
      // later (the full-query metric), which the next-item loss already covers poorly.
      const t = ev[j + ((count * 7919) % Math.min(50, ev.length - j))].index;
      if (!Number.isFinite(s[t])) continue;
      grid.forEach(([a, g], i) => {
        let max = -Infinity;
        for (let c = 0; c < z.length; c++) {
          z[c] = Number.isFinite(s[c]) ? a * s[c] + g * logPop[c] : -Infinity;
          if (z[c] > max) max = z[c];
        }
        let sum = 0;
        for (let c = 0; c < z.length; c++) sum += Math.exp(z[c] - max);
        ll[i] += z[t] - max - Math.log(sum);
      });
      count++;
    }
  }
  let best = 0;
  for (let i = 1; i < grid.length; i++) if (ll[i] > ll[best]) best = i;
  const [alpha, gamma] = grid[best];
  return { lambda, alpha, gamma, logPop: Float32Array.from(logPop), scores };
}
