import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { dequantiseLinear8, dequantiseRows, dequantiseRows4, quantiseLinear8, quantiseRows, quantiseRows4 } from '../../../src/model/quantise';

/** Random n×d table (float32) with row 0 all zeros and row 1 holding one huge value among small ones. */
function awkwardTable(n: number, d: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const t = new Float32Array(n * d);
  for (let i = 0; i < t.length; i++) t[i] = rng.normal() * (0.01 + rng.next());
  t.fill(0, 0, d); // all-zero row
  t[1 * d + 3] = 1e6; // one huge value; the rest of the row are ~N(0, 1)
  t[2 * d + 0] = -3e4; // a huge negative value
  return t;
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += a[ao + c] * b[bo + c];
  return s;
}

function top(scores: Float64Array, k: number): number[] {
  return Array.from(scores.keys())
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, k);
}

describe('per-row int8 quantisation', () => {
  const n = 64;
  const d = 24;
  const table = awkwardTable(n, d, 7);
  const qr = quantiseRows(table, n, d);
  const back = dequantiseRows(qr, d);

  it('keeps every entry within half a quantisation step (scale/2) of the original', () => {
    let worst = 0;
    const violations: string[] = [];
    for (let r = 0; r < n; r++) {
      const s = qr.scale[r];
      for (let c = 0; c < d; c++) {
        const err = Math.abs(back[r * d + c] - table[r * d + c]);
        // s/2 is the exact bound; the slack covers float32 rounding of the stored scale and the product.
        if (!(err <= s / 2 + s * 1e-5)) violations.push(`row ${r} col ${c}: error ${err}, scale ${s}`);
        worst = Math.max(worst, err / s);
      }
    }
    expect(violations).toEqual([]);
    // Rounding (not truncation) must actually be used: errors come close to, but never exceed, half a step.
    expect(worst).toBeGreaterThan(0.4);
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-5);
  });

  it('uses scale = max|row| / 127 so the largest entry of each non-zero row maps to ±127', () => {
    for (let r = 1; r < n; r++) {
      let max = 0;
      let maxQ = 0;
      for (let c = 0; c < d; c++) {
        max = Math.max(max, Math.abs(table[r * d + c]));
        maxQ = Math.max(maxQ, Math.abs(qr.q[r * d + c]));
      }
      expect(Math.abs(qr.scale[r] * 127 - max) / max).toBeLessThan(1e-6);
      expect(maxQ).toBe(127);
    }
  });

  it('restores an all-zero row as exact zeros', () => {
    expect(Array.from(back.subarray(0, d))).toEqual(new Array(d).fill(0));
    expect(Array.from(qr.q.subarray(0, d))).toEqual(new Array(d).fill(0));
  });

  it('restores a huge value to within float32 precision while its small row-mates collapse to zero within the bound', () => {
    expect(back[1 * d + 3] / 1e6).toBeCloseTo(1, 6);
    expect(back[2 * d + 0] / -3e4).toBeCloseTo(1, 6);
    for (let c = 0; c < d; c++) if (c !== 3) expect(qr.q[1 * d + c]).toBe(0);
  });

  it('keeps the ranking of a small random retrieval problem nearly unchanged', () => {
    const rng = createRng(11);
    const items = 300;
    const dim = 32;
    const e = new Float32Array(items * dim).map(() => rng.normal() * 0.3);
    const eq = dequantiseRows(quantiseRows(e, items, dim), dim);
    const users = 40;
    let overlap = 0;
    const violations: string[] = [];
    for (let u = 0; u < users; u++) {
      const uvec = new Float32Array(dim).map(() => rng.normal());
      const s = new Float64Array(items);
      const sq = new Float64Array(items);
      let l1 = 0;
      for (let c = 0; c < dim; c++) l1 += Math.abs(uvec[c]);
      for (let i = 0; i < items; i++) {
        s[i] = dot(uvec, 0, e, i * dim, dim);
        sq[i] = dot(uvec, 0, eq, i * dim, dim);
        // |u·(e − ê)| ≤ Σ|u_c|·scale/2 for every item.
        let maxAbs = 0;
        for (let c = 0; c < dim; c++) maxAbs = Math.max(maxAbs, Math.abs(e[i * dim + c]));
        if (!(Math.abs(s[i] - sq[i]) <= (l1 * maxAbs) / 127 / 2 + 1e-5)) violations.push(`user ${u} item ${i}`);
      }
      const a = new Set(top(s, 10));
      overlap += top(sq, 10).filter((i) => a.has(i)).length / 10;
    }
    expect(violations).toEqual([]);
    expect(overlap / users).toBeGreaterThanOrEqual(0.9);
  });
});

describe('4-bit item rows with a fitted codebook (format version 2)', () => {
  it('keeps each entry within a small fraction of its row scale, and the ranking of dot products', () => {
    const n = 400;
    const d = 32;
    const rng = createRng(11);
    const table = Float32Array.from({ length: n * d }, () => rng.normal() * 0.4);
    const q = quantiseRows4(table, n, d);
    expect(q.codes.length).toBe((n * d) / 2);
    const back = dequantiseRows4(q, d);
    let sq = 0;
    let ref = 0;
    for (let i = 0; i < table.length; i++) {
      sq += (back[i] - table[i]) ** 2;
      ref += table[i] ** 2;
    }
    // 16 Lloyd levels on bell-shaped rows: relative RMS error about 8 % (9–10 % with evenly spaced levels).
    expect(Math.sqrt(sq / ref)).toBeLessThan(0.12);
    const user = Float32Array.from({ length: d }, () => rng.normal());
    const scores = (t: Float32Array) => Float64Array.from({ length: n }, (_, i) => dot(user, 0, t, i * d, d));
    const exact = top(scores(table), 20);
    const approx = new Set(top(scores(back), 20));
    expect(exact.filter((i) => approx.has(i)).length).toBeGreaterThanOrEqual(15);
  });

  it('stores an 8-bit log scale per row within 1 % of the row maximum', () => {
    const rng = createRng(12);
    const n = 50;
    const d = 8;
    const table = Float32Array.from({ length: n * d }, (_, i) => rng.normal() * (1 + Math.floor(i / d) / 5));
    const back = dequantiseRows4(quantiseRows4(table, n, d), d);
    for (let r = 0; r < n; r++) {
      const max = Math.max(...Array.from(table.subarray(r * d, (r + 1) * d), Math.abs));
      const got = Math.max(...Array.from(back.subarray(r * d, (r + 1) * d), Math.abs));
      expect(Math.abs(got - max) / max).toBeLessThan(0.06); // scale error < 1 % plus the outermost level's distance from ±1
    }
  });

  it('quantises a bias vector to 8 bits within half a step', () => {
    const values = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i) * 3);
    const q = quantiseLinear8(values);
    const back = dequantiseLinear8(q);
    const step = (q.range[1] - q.range[0]) / 255;
    for (let i = 0; i < values.length; i++) expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(step / 2 + 1e-6);
  });
});
