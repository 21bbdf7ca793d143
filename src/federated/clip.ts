/**
 * Per-client L2 clipping and Gaussian noise (the Gaussian mechanism of DP-FedAvg).
 * Noise on a real upload must come from a cryptographic source: a seeded PRNG would let
 * anyone who learns the seed subtract the noise again. Tests pass a seeded source.
 */
import { l2Norm } from './delta';

export type NormalSource = () => number;

/** Scales v in place so that ‖v‖₂ ≤ bound; returns the norm before clipping. */
export function clipL2(v: Float32Array, bound: number): number {
  const norm = l2Norm(v);
  if (norm > bound && norm > 0) {
    const s = bound / norm;
    for (let i = 0; i < v.length; i++) v[i] *= s;
  }
  return norm;
}

/** Adds N(0, std²) to every coordinate in place. */
export function addGaussianNoise(v: Float32Array, std: number, normal: NormalSource): void {
  if (std <= 0) return;
  for (let i = 0; i < v.length; i++) v[i] += std * normal();
}

/** Standard normal draws from crypto.getRandomValues (Box–Muller on 32-bit uniforms). */
export function cryptoNormal(): NormalSource {
  const buf = new Uint32Array(256);
  let pos = buf.length;
  let spare: number | null = null;
  const uniform = () => {
    if (pos === buf.length) {
      globalThis.crypto.getRandomValues(buf);
      pos = 0;
    }
    return (buf[pos++] + 0.5) / 4294967296; // (0, 1): log(0) cannot happen
  };
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
}

/**
 * The largest norm a correctly clipped and locally noised upload can plausibly have:
 * ‖clip + noise‖ ≤ C + ‖noise‖, and ‖N(0, σ²C² I_n)‖ concentrates at σC√n with a
 * standard deviation of about σC/√2, so +8σC leaves a false rejection chance far below 1e-12.
 */
export function normBound(clip: number, localNoiseMultiplier: number, length: number): number {
  const tol = 1e-4 * clip; // float32 rounding on the wire
  if (localNoiseMultiplier <= 0) return clip + tol;
  return clip + localNoiseMultiplier * clip * (Math.sqrt(length) + 8) + tol;
}
