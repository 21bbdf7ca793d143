/** A small seeded PRNG: same seed, same sequence, on every platform. */
import { LocalrecError } from '../errors';
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(a: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates); the input is left untouched. */
  shuffle<T>(a: readonly T[]): T[];
}

/** mulberry32: 32-bit state, fast, good enough for simulation and SGD sampling (not for crypto). */
export function createRng(seed: number): Rng {
  // Mix the seed first so nearby seeds (1, 2, 3) start far apart.
  let state = Math.imul((Math.trunc(seed) ^ 0x9e3779b9) >>> 0, 0x85ebca6b) >>> 0;
  let spare: number | null = null;

  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);

  return {
    next,
    int,
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      const u = 1 - next(); // (0, 1]: log(0) would be -Infinity
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    pick<T>(a: readonly T[]): T {
      if (a.length === 0) throw new LocalrecError('invalid-argument', 'pick() from an empty array');
      return a[int(a.length)];
    },
    shuffle<T>(a: readonly T[]): T[] {
      const out = a.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = out[i];
        out[i] = out[j];
        out[j] = tmp;
      }
      return out;
    },
  };
}
