/**
 * The server's privacy report: user-level (ε, δ) from the RDP accountant of the
 * Poisson-subsampled Gaussian mechanism (accountant.ts), composed over the rounds the
 * store has run.
 *
 * Central (DP-FedAvg): each round releases the sum of clipped deltas plus N(0, (z·C)²),
 * divided by a fixed denominator (the expected count). Adding or removing one device moves
 * the sum by at most C. The sampling rate q is the operator's: expected clients per round /
 * population estimate; without a population estimate q = 1 (no amplification claimed),
 * which is the plain Gaussian mechanism composed over rounds. The bound holds for the mean
 * only: trimmed mean and median have no sensitivity the noise is calibrated to, so the
 * report gives no central ε for them (null).
 * Local: each upload releases the clipped delta plus N(0, (σ·C)²) to the server; two
 * histories can move the clipped delta by up to 2C, so one upload is the Gaussian mechanism
 * with noise multiplier σ/2 (no sampling).
 */
import { composedEpsilon, sampledGaussianEpsilon, type GaussianReleases } from './accountant';
import type { Aggregator } from './aggregate';

export interface PrivacyReport {
  accountant: 'rdp-sampled-gaussian';
  delta: number;
  /** Against anyone who sees the published models, over `rounds` rounds (null = no guarantee: no central noise, or not the mean). */
  central: { noise: number; rounds: number; samplingRate: number; epsilon: number | null };
  /** Against the server, for one upload (null = no local noise). */
  local: { noise: number; epsilonPerUpload: number | null };
  /**
   * The privacy budget: `spent` is the central ε of the rounds already published (null = no
   * guarantee); `exhausted` when publishing the open round would take ε above `maxEpsilon`
   * (null = no budget: DP turned off). The server then opens no more rounds.
   */
  budget: { maxEpsilon: number | null; spent: number | null; exhausted: boolean };
}

export interface PrivacySettings {
  /** Rounds composed (the open one included: the figure holds once it is published). */
  rounds: number;
  centralNoise: number;
  localNoise: number;
  delta: number;
  /** Expected clients per round / population (1 = no amplification). */
  samplingRate: number;
  aggregator: Aggregator;
  /** The budget on central ε (Infinity = none). */
  maxEpsilon: number;
  /**
   * Noise multiplier of the quality reports' release (guard.ts), one release per round at
   * the same sampling rate; 0 or absent = no reports. Composed with the deltas in one accountant.
   */
  reportNoise?: number;
}

const finite = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);

/** Assumes the current settings held in every past round (change them only with a fresh store). */
export function privacyReport(s: PrivacySettings): PrivacyReport {
  const central = (rounds: number) => {
    if (!(s.centralNoise > 0 && s.aggregator === 'mean')) return null;
    const count = Math.max(0, rounds);
    // Every published round releases its deltas and (with reports on) the reports on the version it trained.
    const releases: GaussianReleases[] = [{ samplingRate: s.samplingRate, noiseMultiplier: s.centralNoise, count }];
    if (s.reportNoise) releases.push({ samplingRate: s.samplingRate, noiseMultiplier: s.reportNoise, count });
    return finite(composedEpsilon(releases, s.delta).epsilon);
  };
  const next = central(s.rounds);
  const local = s.localNoise > 0 ? finite(sampledGaussianEpsilon(1, s.localNoise / 2, 1, s.delta).epsilon) : null;
  const maxEpsilon = Number.isFinite(s.maxEpsilon) ? s.maxEpsilon : null;
  return {
    accountant: 'rdp-sampled-gaussian',
    delta: s.delta,
    central: { noise: s.centralNoise, rounds: s.rounds, samplingRate: s.samplingRate, epsilon: next },
    local: { noise: s.localNoise, epsilonPerUpload: local },
    // Without a guarantee (no noise, not the mean) a budget can never be met: exhausted at once.
    budget: { maxEpsilon, spent: central(s.rounds - 1), exhausted: maxEpsilon !== null && (next === null || next > maxEpsilon) },
  };
}

/** How many rounds the budget allows with these settings (Infinity without a budget; capped at `limit`). */
export function roundsWithinBudget(s: Omit<PrivacySettings, 'rounds'>, limit = 100_000): number {
  if (!Number.isFinite(s.maxEpsilon)) return Infinity;
  return lastFittingRound((rounds) => !privacyReport({ ...s, rounds }).budget.exhausted, limit);
}

/**
 * The last round count (≤ limit) for which `fits` holds, 0 when not even one round does;
 * `fits` must hold up to some count and not after, as "ε within the budget" does because ε
 * grows with the rounds: double, then bisect.
 */
export function lastFittingRound(fits: (rounds: number) => boolean, limit = 100_000): number {
  if (!fits(1)) return 0;
  let lo = 1;
  let hi = 2;
  while (hi <= limit && fits(hi)) [lo, hi] = [hi, hi * 2];
  if (hi > limit) return limit;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
