import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { l2Norm } from '../../../src/federated/delta';
import { serverStep } from '../../../src/federated/server-step';
import { clientUpdate, privatiseDelta } from '../../../src/federated/update';
import type { TowerParams } from '../../../src/model/weights';

const tower = (fill: (i: number) => number, d = 8, h = 16): TowerParams => ({
  w1: Float32Array.from({ length: d * h }, (_, i) => fill(i)),
  b1: Float32Array.from({ length: h }, (_, i) => fill(i + 1000)),
  w2: Float32Array.from({ length: h * d }, (_, i) => fill(i + 2000)),
  b2: Float32Array.from({ length: d }, (_, i) => fill(i + 3000)),
});

function meanStd(v: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return { mean, std: Math.sqrt(q / (v.length - 1)) };
}

describe('the client update (clipping and local noise)', () => {
  it('clips a long delta to the bound and keeps its direction', () => {
    const meta = tower(() => 0);
    const user = tower((i) => Math.sin(i));
    const { delta, norm } = clientUpdate(user, meta, { clip: 0.7, localNoise: 0 }, () => 0);
    expect(norm).toBeGreaterThan(0.7);
    expect(l2Norm(delta)).toBeCloseTo(0.7, 5);
    expect(delta[5] / delta[7]).toBeCloseTo(Math.sin(5) / Math.sin(7), 4);
  });

  it('leaves a delta inside the bound as it is', () => {
    const { delta } = clientUpdate(tower((i) => 1e-3 * Math.cos(i)), tower(() => 0), { clip: 10, localNoise: 0 }, () => 0);
    expect(delta[3]).toBeCloseTo(1e-3 * Math.cos(3), 7);
  });

  it('adds local noise with mean 0 and standard deviation σ·C per value', () => {
    const rng = createRng(1);
    const v = new Float32Array(200_000);
    privatiseDelta(v, { clip: 0.5, localNoise: 2 }, () => rng.normal());
    const { mean, std } = meanStd(v);
    // Standard error of the mean: 1/√200000 ≈ 0.0022; of the std: ≈ 0.0016.
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
  });
});

describe('the server step (central noise, fixed denominator)', () => {
  it('adds noise of std z·C / m on the mean, m = the fixed denominator', () => {
    const rng = createRng(2);
    const deltas = Array.from({ length: 10 }, () => new Float32Array(100_000));
    const { aggregate } = serverStep(new Float32Array(100_000), deltas, { aggregator: 'mean', trim: 0.1, clip: 2, centralNoise: 1.5, serverLr: 1, denominator: 20 }, () => rng.normal());
    const { mean, std } = meanStd(aggregate);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(Math.abs(std - (1.5 * 2) / 20)).toBeLessThan(0.002);
  });

  it('divides the sum by the fixed denominator and steps by β', () => {
    const deltas = [Float32Array.of(1, 2), Float32Array.of(3, 4)];
    const { theta } = serverStep(Float32Array.of(10, 10), deltas, { aggregator: 'mean', trim: 0.1, clip: 10, centralNoise: 0, serverLr: 2, denominator: 4 }, () => 0);
    expect([...theta]).toEqual([12, 13]);
  });

  it('refuses a fixed denominator for the robust aggregators', () => {
    expect(() => serverStep(new Float32Array(2), [new Float32Array(2)], { aggregator: 'median', trim: 0.1, clip: 1, centralNoise: 0, serverLr: 1, denominator: 4 }, () => 0)).toHaveCode('invalid-argument');
  });
});
