import { describe, expect, it } from 'vitest';
import { sampledGaussianEpsilon, sampledGaussianRdp } from '../../../src/federated/accountant';
import { privacyReport, type PrivacySettings } from '../../../src/federated/privacy';
import { checkPolicy, DEFAULT_POLICY, samplingRateOf } from '../../../src/federated/round';

const base: PrivacySettings = { rounds: 50, centralNoise: 2.5, localNoise: 0, delta: 1e-5, samplingRate: 0.01, aggregator: 'mean', maxEpsilon: Infinity };

describe("the server's privacy report", () => {
  it('composes the sampled-Gaussian RDP of dp_accounting over the rounds run (q = 0.01, z = 2.5, 50 rounds)', () => {
    // dp_accounting's test_compute_rdp_poisson_sampled_gaussian: RDP after 50 rounds at order 5 is 2.18075656e-03.
    expect(Math.abs(50 * sampledGaussianRdp(0.01, 2.5, 5) - 2.18075656e-3) / 2.18075656e-3).toBeLessThan(1e-4);
    const r = privacyReport(base);
    expect(r).toMatchObject({ accountant: 'rdp-sampled-gaussian', delta: 1e-5, central: { noise: 2.5, rounds: 50, samplingRate: 0.01 } });
    expect(r.central.epsilon).toBeCloseTo(sampledGaussianEpsilon(0.01, 2.5, 50, 1e-5).epsilon, 4);
    expect(r.central.epsilon).toBeGreaterThan(0);
    expect(r.central.epsilon).toBeLessThan(1);
  });

  it('without a configured population claims no amplification: the plain Gaussian mechanism composed over rounds', () => {
    // q = 1: RDP(α) = T·α/(2z²); one round at z = 2 and δ = 1e-5 gives the conversion's minimum over integer orders.
    const r = privacyReport({ ...base, samplingRate: 1, rounds: 1, centralNoise: 2 });
    const orders = Array.from({ length: 255 }, (_, i) => i + 2);
    const plain = Math.min(...orders.map((a) => a / 8 + Math.log1p(-1 / a) - (Math.log(1e-5) + Math.log(a)) / (a - 1)));
    expect(r.central.epsilon).toBeCloseTo(plain, 4);
    // Amplification by sampling can only lower it.
    expect(privacyReport({ ...base, samplingRate: 0.05, rounds: 1, centralNoise: 2 }).central.epsilon).toBeLessThan(r.central.epsilon!);
  });

  it('grows with the rounds run', () => {
    expect(privacyReport({ ...base, rounds: 200 }).central.epsilon).toBeGreaterThan(privacyReport(base).central.epsilon!);
    expect(privacyReport({ ...base, rounds: 0 }).central.epsilon).toBe(0);
  });

  it('gives no central guarantee (null) without noise or for the trimmed mean and the median', () => {
    expect(privacyReport({ ...base, centralNoise: 0 }).central.epsilon).toBeNull();
    expect(privacyReport({ ...base, aggregator: 'trimmed-mean' }).central.epsilon).toBeNull();
    expect(privacyReport({ ...base, aggregator: 'median' }).central.epsilon).toBeNull();
  });

  it('reports one upload with local noise σ as the Gaussian mechanism of sensitivity 2C (multiplier σ/2)', () => {
    expect(privacyReport(base).local.epsilonPerUpload).toBeNull();
    const r = privacyReport({ ...base, localNoise: 4 });
    expect(r.local.epsilonPerUpload).toBeCloseTo(sampledGaussianEpsilon(1, 2, 1, 1e-5).epsilon, 4);
  });
});

describe('the sampling rate of the round policy', () => {
  it('is expected clients / population, or 1 when they are not configured', () => {
    expect(samplingRateOf({ population: 10_000, expectedClients: 100 })).toBe(0.01);
    expect(samplingRateOf({ population: 0, expectedClients: 0 })).toBe(1);
  });

  it('refuses δ above 1 / population, one of the two without the other, and more expected clients than devices', () => {
    const bad = (over: Partial<typeof DEFAULT_POLICY>) => () => checkPolicy({ ...DEFAULT_POLICY, ...over });
    expect(bad({ population: 10_000, expectedClients: 100, dpDelta: 1e-3 })).toHaveCode('federated-config');
    expect(bad({ population: 10_000, expectedClients: 0 })).toHaveCode('federated-config');
    expect(bad({ population: 10, expectedClients: 100, dpDelta: 1e-3 })).toHaveCode('federated-config');
    expect(bad({ population: 10_000, expectedClients: 100, dpDelta: 1e-5 })).not.toThrow();
  });
});
