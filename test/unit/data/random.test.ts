import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';

describe('createRng', () => {
  it('repeats the same sequence for the same seed and differs for another seed', () => {
    const a = createRng(123);
    const b = createRng(123);
    const c = createRng(124);
    const sa = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(sa);
  });

  it('draws next() in [0, 1) and int(n) in [0, n) with every value reachable', () => {
    const r = createRng(1);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      counts[r.int(6)]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it('draws normal() with mean near 0 and standard deviation near 1', () => {
    const r = createRng(7);
    const xs = Array.from({ length: 20_000 }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });

  it('shuffles into a permutation without touching the input, and refuses to pick from nothing', () => {
    const r = createRng(3);
    const input = Array.from({ length: 50 }, (_, i) => i);
    const out = r.shuffle(input);
    expect(out).not.toEqual(input);
    expect([...out].sort((x, y) => x - y)).toEqual(input);
    expect(input[0]).toBe(0);
    expect(input).toContain(r.pick(input));
    expect(() => r.pick([])).toHaveCode('invalid-argument');
  });
});
