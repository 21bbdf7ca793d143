import { describe, expect, it } from 'vitest';
import { epsilonFromRdp, sampledGaussianEpsilon, sampledGaussianRdp } from '../../../src/federated/accountant';

/*
 * Reference values printed by Google's dp_accounting (python/dp_accounting/dp_accounting/rdp/
 * rdp_privacy_accountant_test.py in google/differential-privacy):
 * - test_compute_rdp_poisson_sampled_gaussian: q = 0.01, σ = 2.5, 50 compositions, RDP at
 *   orders 5, 50, 100 = 2.18075656e-03, 2.38460375e-02, 1.67416308e02 (rtol 1e-4 there);
 * - test_compute_epsilon_delta_pure_dp: RDP 1.1 at every order 2..32, δ = 1e-5 →
 *   ε = 1.32783806176 at order 32.
 */
describe('the RDP accountant of the sampled Gaussian mechanism', () => {
  it('matches dp_accounting at integer orders for q = 0.01, σ = 2.5, 50 rounds', () => {
    const expected: [number, number][] = [
      [5, 2.18075656e-3],
      [50, 2.38460375e-2],
      [100, 1.67416308e2],
    ];
    for (const [order, rdp] of expected) expect(Math.abs(50 * sampledGaussianRdp(0.01, 2.5, order) - rdp) / rdp).toBeLessThan(1e-4);
  });

  it('converts RDP to (ε, δ) as dp_accounting does (pure-DP case)', () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const r = epsilonFromRdp(orders, orders.map(() => 1.1), 1e-5);
    expect(r.epsilon).toBeCloseTo(1.32783806176, 9);
    expect(r.order).toBe(32);
  });

  it('reduces to the plain Gaussian mechanism (α / 2σ²) without sampling', () => {
    expect(sampledGaussianRdp(1, 2, 7)).toBeCloseTo(7 / 8, 12);
  });

  it('gives ε = 0 without sampling anyone and ε = ∞ without noise', () => {
    expect(sampledGaussianEpsilon(0, 1, 100, 1e-5).epsilon).toBe(0);
    expect(sampledGaussianEpsilon(0.1, 0, 100, 1e-5).epsilon).toBe(Infinity);
  });

  it('spends more privacy with more rounds, a higher sampling rate or less noise', () => {
    const base = sampledGaussianEpsilon(0.05, 1, 100, 1e-4).epsilon;
    expect(sampledGaussianEpsilon(0.05, 1, 200, 1e-4).epsilon).toBeGreaterThan(base);
    expect(sampledGaussianEpsilon(0.1, 1, 100, 1e-4).epsilon).toBeGreaterThan(base);
    expect(sampledGaussianEpsilon(0.05, 0.8, 100, 1e-4).epsilon).toBeGreaterThan(base);
  });

  it('refuses rates, orders and deltas outside their ranges with a typed error', () => {
    expect(() => sampledGaussianRdp(1.5, 1, 2)).toHaveCode('invalid-argument');
    expect(() => sampledGaussianRdp(0.1, 1, 1.5)).toHaveCode('invalid-argument');
    expect(() => sampledGaussianEpsilon(0.1, 1, 10, 0)).toHaveCode('invalid-argument');
  });
});
