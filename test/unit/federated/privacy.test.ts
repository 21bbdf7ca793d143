import { describe, expect, it } from 'vitest';
import { centralRho, epsilonFromRho, localRhoPerUpload, privacyReport } from '../../../src/federated/privacy';

describe('zCDP privacy accounting', () => {
  it('gives ρ = T/(2z²) for T rounds of central noise z and converts it to ε at δ', () => {
    expect(centralRho(1, 1)).toBe(0.5);
    expect(centralRho(10, 2)).toBe(1.25);
    // 0.5 + 2·√(0.5·ln 1e5) = 5.2985…
    expect(epsilonFromRho(0.5, 1e-5)).toBeCloseTo(5.2985, 3);
  });

  it('grows ε with the number of rounds and shrinks it with more noise', () => {
    const e = (t: number, z: number) => epsilonFromRho(centralRho(t, z), 1e-5);
    expect(e(100, 1)).toBeGreaterThan(e(10, 1));
    expect(e(10, 4)).toBeLessThan(e(10, 1));
  });

  it('reports no guarantee (null) without noise, and zero before any round', () => {
    expect(privacyReport(3, 0, 0, 1e-5)).toEqual({ delta: 1e-5, central: { noise: 0, rounds: 3, epsilon: null }, local: { noise: 0, epsilonPerUpload: null } });
    expect(privacyReport(0, 1, 0, 1e-5).central.epsilon).toBe(0);
    expect(localRhoPerUpload(2)).toBe(0.5);
  });
});
