/**
 * User-level privacy accounting for DP-FedAvg with client sampling: Rényi DP of the
 * Poisson-sampled Gaussian mechanism (Mironov, Talwar & Zhang 2019, "Rényi Differential
 * Privacy of the Sampled Gaussian Mechanism", §3.3, integer orders), composed over rounds
 * by adding RDP, and converted to (ε, δ) with the conversion of Balle et al. 2020 /
 * Canonne, Kamath & Steinke 2020 (Prop. 12), the one Google's dp_accounting uses.
 *
 * Neighbouring data sets differ by adding or removing one client's whole data (user-level),
 * each round includes every client independently with probability q, and the round's
 * release is the clipped sum plus N(0, (z·C)²) per coordinate (sensitivity C). No npm
 * package does this (checked); tests pin it to values printed by dp_accounting.
 */
import { LocalrecError } from '../errors';

/** Integer Rényi orders the accountant optimises over (the formula below is exact at integer orders). */
export const RDP_ORDERS: readonly number[] = Array.from({ length: 255 }, (_, i) => i + 2);

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/**
 * RDP at integer order α ≥ 2 of one round: log A_α / (α − 1), with
 * A_α = Σ_k C(α, k) (1 − q)^(α−k) q^k exp((k² − k) / (2z²)), summed in log space.
 */
export function sampledGaussianRdp(q: number, noiseMultiplier: number, order: number): number {
  if (!(q >= 0 && q <= 1)) throw new LocalrecError('invalid-argument', `sampling rate must be in [0, 1], got ${q}`);
  if (!Number.isInteger(order) || order < 2) throw new LocalrecError('invalid-argument', `Rényi order must be an integer ≥ 2, got ${order}`);
  if (!(noiseMultiplier >= 0)) throw new LocalrecError('invalid-argument', `noise multiplier must be ≥ 0, got ${noiseMultiplier}`);
  if (q === 0) return 0;
  if (noiseMultiplier === 0) return Infinity;
  if (q === 1) return order / (2 * noiseMultiplier * noiseMultiplier);
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logBinom = 0; // log C(α, 0)
  let logA = -Infinity;
  for (let k = 0; k <= order; k++) {
    if (k > 0) logBinom += Math.log(order - k + 1) - Math.log(k);
    const term = logBinom + k * logQ + (order - k) * log1mQ + (k * k - k) / (2 * noiseMultiplier * noiseMultiplier);
    logA = logAddExp(logA, term);
  }
  return logA / (order - 1);
}

/** (ε, δ) from an RDP curve: min over α of rdp(α) + log((α−1)/α) − (log δ + log α)/(α − 1). */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): { epsilon: number; order: number } {
  if (!(delta > 0 && delta < 1)) throw new LocalrecError('invalid-argument', `δ must be in (0, 1), got ${delta}`);
  if (orders.length !== rdp.length || orders.length === 0) throw new LocalrecError('invalid-argument', 'orders and RDP values must be non-empty and of one length');
  // No privacy loss at all (nobody sampled): the conversion's slack would otherwise report ε > 0.
  if (rdp.every((r) => r === 0)) return { epsilon: 0, order: orders[0] };
  let best = { epsilon: Infinity, order: orders[0] };
  orders.forEach((a, i) => {
    if (!Number.isFinite(rdp[i])) return;
    const eps = rdp[i] + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: a };
  });
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

export interface SampledGaussianAccount {
  accountant: 'rdp-sampled-gaussian';
  samplingRate: number;
  noiseMultiplier: number;
  rounds: number;
  delta: number;
  epsilon: number;
  /** The Rényi order the bound was attained at (at the edge of RDP_ORDERS the bound could be loose). */
  order: number;
}

/** ε after `rounds` rounds of Poisson sampling at rate q with noise multiplier z (user-level, add/remove one client). */
export function sampledGaussianEpsilon(q: number, noiseMultiplier: number, rounds: number, delta: number, orders: readonly number[] = RDP_ORDERS): SampledGaussianAccount {
  if (!Number.isInteger(rounds) || rounds < 0) throw new LocalrecError('invalid-argument', `rounds must be a non-negative integer, got ${rounds}`);
  const rdp = orders.map((a) => (rounds === 0 ? 0 : rounds * sampledGaussianRdp(q, noiseMultiplier, a)));
  const { epsilon, order } = epsilonFromRdp(orders, rdp, delta);
  return { accountant: 'rdp-sampled-gaussian', samplingRate: q, noiseMultiplier, rounds, delta, epsilon, order };
}

/** One kind of release: `count` Poisson-sampled Gaussian mechanisms at rate q with noise multiplier z (sensitivity 1 after scaling). */
export interface GaussianReleases {
  samplingRate: number;
  noiseMultiplier: number;
  count: number;
}

/**
 * ε of several kinds of release together (e.g. the model deltas of every round and the
 * quality reports of every guard decision): RDP adds up at each order across mechanisms, as
 * it does across rounds, then one conversion to (ε, δ).
 */
export function composedEpsilon(releases: readonly GaussianReleases[], delta: number, orders: readonly number[] = RDP_ORDERS): { epsilon: number; order: number } {
  for (const r of releases) {
    if (!Number.isInteger(r.count) || r.count < 0) throw new LocalrecError('invalid-argument', `release count must be a non-negative integer, got ${r.count}`);
  }
  const rdp = orders.map((a) => releases.reduce((sum, r) => sum + (r.count === 0 ? 0 : r.count * sampledGaussianRdp(r.samplingRate, r.noiseMultiplier, a)), 0));
  return epsilonFromRdp(orders, rdp, delta);
}
