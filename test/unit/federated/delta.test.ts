import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { addGaussianNoise, clipL2, cryptoNormal, normBound } from '../../../src/federated/clip';
import { addScaled, l2Norm, towerDelta } from '../../../src/federated/delta';
import { flattenTower, initTower } from '../../../src/model/weights';

describe('tower delta, clipping and noise', () => {
  const rng = createRng(3);
  const meta = initTower(4, 3, () => rng.normal());
  const user = initTower(4, 3, () => rng.normal());

  it('computes Δ = θ_user − θ_meta in the order w1, b1, w2, b2, and adding it back gives θ_user', () => {
    const delta = towerDelta(user, meta);
    expect(delta.length).toBe(4 * 3 + 3 + 3 * 4 + 4);
    expect(delta[0]).toBeCloseTo(user.w1[0] - meta.w1[0], 6);
    const back = addScaled(flattenTower(meta), delta, 1);
    const want = flattenTower(user);
    for (let i = 0; i < want.length; i++) expect(back[i]).toBeCloseTo(want[i], 5);
  });

  it('clips a long vector to exactly the bound and leaves a short one untouched', () => {
    const long = Float32Array.from([3, 4]);
    expect(clipL2(long, 1)).toBeCloseTo(5, 6);
    expect(l2Norm(long)).toBeCloseTo(1, 6);
    expect(Array.from(long)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    const short = Float32Array.from([0.3, 0.4]);
    clipL2(short, 1);
    expect(Array.from(short)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });

  it('adds noise with the requested standard deviation from the crypto source', () => {
    const v = new Float32Array(20000);
    addGaussianNoise(v, 0.5, cryptoNormal());
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(sd).toBeGreaterThan(0.48);
    expect(sd).toBeLessThan(0.52);
  });

  it('sets a norm bound that a clipped, locally noised delta stays under but a doubled one does not', () => {
    const n = 2000;
    const normal = cryptoNormal();
    const bound = normBound(1, 0.1, n);
    for (let t = 0; t < 20; t++) {
      const v = Float32Array.from({ length: n }, () => normal());
      clipL2(v, 1);
      addGaussianNoise(v, 0.1, normal);
      expect(l2Norm(v)).toBeLessThanOrEqual(bound);
      for (let i = 0; i < n; i++) v[i] *= 2;
      expect(l2Norm(v)).toBeGreaterThan(bound);
    }
  });
});
