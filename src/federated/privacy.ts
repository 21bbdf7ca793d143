/**
 * Privacy accounting in zero-concentrated DP (Bun & Steinke 2016): a Gaussian mechanism
 * with L2 sensitivity Δ and noise std σ is Δ²/(2σ²)-zCDP; zCDP composes by adding ρ;
 * ρ-zCDP implies (ρ + 2√(ρ·ln(1/δ)), δ)-DP.
 *
 * Central (DP-FedAvg): each round releases the clipped sum plus N(0, (z·C)²); adding or
 * removing one device changes the sum by at most C, so ρ = 1/(2z²) per round, and the
 * rounds a device takes part in compose. No amplification by sampling is claimed: devices
 * choose to take part, so the server cannot promise a sampling rate.
 * Local: each upload releases the clipped delta plus N(0, (σ·C)²) to the server; two
 * different histories can move the clipped delta by up to 2C, so ρ = 2/σ² per upload.
 */
export function epsilonFromRho(rho: number, delta: number): number {
  if (rho === 0) return 0;
  if (!Number.isFinite(rho)) return Infinity;
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

export function centralRho(rounds: number, multiplier: number): number {
  if (rounds <= 0) return 0;
  return multiplier > 0 ? rounds / (2 * multiplier * multiplier) : Infinity;
}

export function localRhoPerUpload(multiplier: number): number {
  return multiplier > 0 ? 2 / (multiplier * multiplier) : Infinity;
}

export interface PrivacyReport {
  delta: number;
  /** Against anyone who sees the published models, over `rounds` rounds (null = no guarantee: no central noise). */
  central: { noise: number; rounds: number; epsilon: number | null };
  /** Against the server, for one upload (null = no local noise). */
  local: { noise: number; epsilonPerUpload: number | null };
}

const finite = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);

/** Assumes the current noise settings held in every past round (change them only with a fresh store). */
export function privacyReport(rounds: number, centralNoise: number, localNoise: number, delta: number): PrivacyReport {
  return {
    delta,
    central: { noise: centralNoise, rounds, epsilon: finite(epsilonFromRho(centralRho(rounds, centralNoise), delta)) },
    local: { noise: localNoise, epsilonPerUpload: finite(epsilonFromRho(localRhoPerUpload(localNoise), delta)) },
  };
}
