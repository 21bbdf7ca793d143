/**
 * Federated evaluation, the server's side, and the guard that uses it.
 *
 * The server has no data, so it learns a version's quality from devices (quality.ts). Every
 * `every` rounds the current version becomes the **candidate**; during the next `every`
 * rounds devices that take part report, at most once each, hit@10 under the candidate and
 * under the **reference** (the last version the guard promoted; at first the starting model).
 * From each report the server takes the difference d = candidate − reference clipped to
 * ±DIFFERENCE_CLIP (one more hit of the next ten, at most, either way), d², and the two levels
 * scaled by the clip; one device moves that four-vector by at most REPORT_SENSITIVITY in L2.
 * It releases their sums plus central Gaussian noise, divided by a fixed denominator (the
 * expected number of reports), and decides from the release alone — post-processing, so the
 * decision costs no privacy beyond the release:
 * - the mean difference is below 0 by more than `margin` standard errors (the spread of the
 *   differences, estimated from the released d², plus the noise): **roll back** — the
 *   reference is served (and trained from) again;
 * - above 0 by more than that: **promote** — the candidate becomes the reference;
 * - otherwise **keep**: the candidate stays served, the reference stays the yardstick, so a
 *   slow drift is measured against the last version shown to be good, not against its
 *   immediate predecessor.
 * The accountant counts each release as one Poisson-sampled Gaussian mechanism (a device is
 * in a window's reports if it took part in any of its rounds: rate 1 − (1 − q)^every).
 */
import { LocalrecError } from '../errors';
import type { NormalSource } from './clip';

/** The clip of a device's difference in hit@10: one hit of its next ten interactions. */
export const DIFFERENCE_CLIP = 0.1;
/** L2 bound of (d, d², τ·candidate, τ·reference) with |d| ≤ τ and levels in [0, 1]: τ·√(3 + τ²). */
export const REPORT_SENSITIVITY = DIFFERENCE_CLIP * Math.sqrt(3 + DIFFERENCE_CLIP ** 2);

export interface GuardPolicy {
  /** Rounds between decisions (and the rounds a candidate collects reports over). */
  every: number;
  /** Central noise multiplier on the report sums (std = noise · REPORT_SENSITIVITY). */
  noise: number;
  /** Roll back (promote) when the candidate is worse (better) by more than this many standard errors. */
  margin: number;
  /**
   * What the server step β is multiplied by after a decision in which the devices did not find
   * the candidate better than the reference (1 = never: a constant step). See `nextStepScale`.
   */
  anneal: number;
  /** Decisions in a row without improvement before the step is annealed (each further one anneals it again). */
  patience: number;
}

/**
 * Decisions every 10 rounds; z = 4 on the reports: with a few hundred reports a window the
 * noise on the mean difference is then below the devices' own spread, and the releases cost
 * little next to the deltas' (released every round at z = 1; docs/federated.md, "The guard");
 * a margin of 2 standard errors rolls back a version that is no worse with probability ≈ 2.3%
 * per decision.
 */
export const DEFAULT_GUARD: GuardPolicy = { every: 10, noise: 4, margin: 2, anneal: 0.5, patience: 1 };

/**
 * The server step's scale after a decision. Federated averaging with a constant step and
 * noisy updates keeps moving the model — on MovieLens towards popularity, which raised the
 * full view and cost the next-10 view after ~30 rounds, the drift the devices' reports could
 * not resolve as significant (docs/federated.md). So the step is annealed on the devices'
 * word: halved (by `anneal`) whenever they measure the candidate no better than the last
 * version shown to be good (a roll-back, or a kept candidate whose released difference is
 * ≤ 0), and left as it is while they measure it better. It is reduce-on-plateau with the
 * devices' next-interaction hit@10 as the validation metric: no schedule, no data-set constant.
 * The decision and the scale are post-processing of the noised release: no privacy cost.
 */
export function nextStepScale(scale: number, release: Pick<GuardRelease, 'decision' | 'difference'>, anneal: number): number {
  return foundBetter(release) ? scale : scale * anneal;
}

/** Whether the devices found the candidate better than the reference: promoted, or kept with a positive released difference. */
function foundBetter(release: Pick<GuardRelease, 'decision' | 'difference'>): boolean {
  return release.decision === 'promote' || (release.decision === 'keep' && release.difference > 0);
}

/** The step scale and how many decisions in a row found no improvement. */
export interface Plateau {
  scale: number;
  stalled: number;
}

/**
 * `nextStepScale` with patience: the step is annealed once `patience` decisions in a row found
 * no improvement, and again at each further one (patience 1 is nextStepScale); a decision that
 * finds the candidate better ends the plateau.
 */
export function annealStep(p: Plateau, release: Pick<GuardRelease, 'decision' | 'difference'>, policy: Pick<GuardPolicy, 'anneal' | 'patience'>): Plateau {
  const stalled = foundBetter(release) ? 0 : p.stalled + 1;
  return { scale: stalled >= policy.patience ? p.scale * policy.anneal : p.scale, stalled };
}

export interface ReportSums {
  count: number;
  /** Σ clipped difference, Σ its square, Σ candidate hit@10, Σ reference hit@10. */
  difference: number;
  squaredDifference: number;
  candidate: number;
  reference: number;
}

export const emptySums = (): ReportSums => ({ count: 0, difference: 0, squaredDifference: 0, candidate: 0, reference: 0 });

/** Adds one (validated) report to the window's sums. */
export function addReport(s: ReportSums, candidate: number, reference: number): void {
  if (!(candidate >= 0 && candidate <= 1 && reference >= 0 && reference <= 1)) {
    throw new LocalrecError('invalid-argument', `report values must be in [0, 1], got ${candidate}, ${reference}`);
  }
  const d = Math.max(-DIFFERENCE_CLIP, Math.min(DIFFERENCE_CLIP, candidate - reference));
  s.count++;
  s.difference += d;
  s.squaredDifference += d * d;
  s.candidate += candidate;
  s.reference += reference;
}

export interface GuardRelease {
  /** Mean hit@10 of the candidate and the reference over the window's reports (noised). */
  candidate: number;
  reference: number;
  /** Mean clipped difference candidate − reference, and its standard error (sampling and noise). */
  difference: number;
  standardError: number;
  decision: 'promote' | 'keep' | 'roll-back';
}

/** The noised release of one window's reports and the guard's decision from it. */
export function releaseAndDecide(s: ReportSums, denominator: number, p: GuardPolicy, normal: NormalSource): GuardRelease {
  if (!(denominator > 0)) throw new LocalrecError('invalid-argument', `denominator must be > 0, got ${denominator}`);
  const sd = p.noise * REPORT_SENSITIVITY;
  const difference = (s.difference + sd * normal()) / denominator;
  const meanSquare = (s.squaredDifference + sd * normal()) / denominator;
  // The levels enter the vector scaled by the clip, so their noise is sd / clip once unscaled.
  const candidate = (s.candidate + (sd / DIFFERENCE_CLIP) * normal()) / denominator;
  const reference = (s.reference + (sd / DIFFERENCE_CLIP) * normal()) / denominator;
  const variance = Math.max(0, meanSquare - difference * difference);
  const standardError = Math.sqrt(variance / denominator + (sd / denominator) ** 2);
  const decision = difference < -p.margin * standardError ? 'roll-back' : difference > p.margin * standardError ? 'promote' : 'keep';
  return { candidate, reference, difference, standardError, decision };
}

/** The probability that a device takes part in at least one of `rounds` rounds sampled at rate q. */
export function windowRate(q: number, rounds: number): number {
  return 1 - (1 - q) ** rounds;
}
