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
import { sampledGaussianEpsilon } from './accountant';
import type { Aggregator } from './aggregate';

export interface PrivacyReport {
  accountant: 'rdp-sampled-gaussian';
  delta: number;
  /** Against anyone who sees the published models, over `rounds` rounds (null = no guarantee: no central noise, or not the mean). */
  central: { noise: number; rounds: number; samplingRate: number; epsilon: number | null };
  /** Against the server, for one upload (null = no local noise). */
  local: { noise: number; epsilonPerUpload: number | null };
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
}

const finite = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);

/** Assumes the current settings held in every past round (change them only with a fresh store). */
export function privacyReport(s: PrivacySettings): PrivacyReport {
  const central =
    s.centralNoise > 0 && s.aggregator === 'mean' ? finite(sampledGaussianEpsilon(s.samplingRate, s.centralNoise, Math.max(0, s.rounds), s.delta).epsilon) : null;
  const local = s.localNoise > 0 ? finite(sampledGaussianEpsilon(1, s.localNoise / 2, 1, s.delta).epsilon) : null;
  return {
    accountant: 'rdp-sampled-gaussian',
    delta: s.delta,
    central: { noise: s.centralNoise, rounds: s.rounds, samplingRate: s.samplingRate, epsilon: central },
    local: { noise: s.localNoise, epsilonPerUpload: local },
  };
}
