import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { decodeHeader, decodeUpdate, encodeUpdate, encodedSize, HEADER_BYTES } from '../../../src/federated/wire';
import { l2Norm } from '../../../src/federated/delta';

function randomDelta(n: number, seed: number, scale = 0.1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

const expectAll = { length: 100, dtypes: ['float32', 'int8'] as const };

describe('update wire format', () => {
  it('round-trips a float32 delta exactly with its round id and model version', () => {
    const values = randomDelta(100, 1);
    const bytes = encodeUpdate({ modelVersion: 7, roundId: 42, values, dtype: 'float32' });
    expect(bytes.byteLength).toBe(HEADER_BYTES + 400);
    const u = decodeUpdate(bytes, expectAll);
    expect(u).toMatchObject({ modelVersion: 7, roundId: 42, dtype: 'float32' });
    expect(Array.from(u.values)).toEqual(Array.from(values));
  });

  it('stores an int8 delta in a quarter of the bytes, each value within half a step of the original', () => {
    const values = randomDelta(100, 2);
    const bytes = encodeUpdate({ modelVersion: 1, roundId: 1, values, dtype: 'int8' });
    expect(bytes.byteLength).toBe(encodedSize(100, 'int8'));
    const { scale } = decodeHeader(bytes);
    const u = decodeUpdate(bytes, expectAll);
    let worst = 0;
    for (let i = 0; i < 100; i++) worst = Math.max(worst, Math.abs(u.values[i] - values[i]));
    expect(worst).toBeLessThanOrEqual(scale / 2 + 1e-7);
    expect(worst).toBeGreaterThan(0);
  });

  it('never lets int8 rounding push a clipped delta above its norm bound', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const values = randomDelta(300, seed);
      const bound = l2Norm(values); // already exactly at the bound, the worst case for rounding
      const u = decodeUpdate(encodeUpdate({ modelVersion: 1, roundId: 1, values, dtype: 'int8', maxNorm: bound }), { length: 300, dtypes: ['int8'] });
      expect(l2Norm(u.values)).toBeLessThanOrEqual(bound);
    }
  });

  it('rejects a body that is not an update, with update-malformed', () => {
    expect(() => decodeUpdate(new Uint8Array(10), expectAll)).toHaveCode('update-malformed');
    const bytes = encodeUpdate({ modelVersion: 1, roundId: 1, values: randomDelta(100, 3), dtype: 'float32' });
    bytes[0] = 0x58;
    expect(() => decodeUpdate(bytes, expectAll)).toHaveCode('update-malformed');
    const v2 = encodeUpdate({ modelVersion: 1, roundId: 1, values: randomDelta(100, 3), dtype: 'float32' });
    v2[4] = 9;
    expect(() => decodeUpdate(v2, expectAll)).toHaveCode('update-malformed');
  });

  it('rejects the wrong number of values or a truncated body with update-wrong-shape', () => {
    const bytes = encodeUpdate({ modelVersion: 1, roundId: 1, values: randomDelta(99, 4), dtype: 'float32' });
    expect(() => decodeUpdate(bytes, expectAll)).toHaveCode('update-wrong-shape');
    const ok = encodeUpdate({ modelVersion: 1, roundId: 1, values: randomDelta(100, 4), dtype: 'float32' });
    expect(() => decodeUpdate(ok.slice(0, ok.length - 4), expectAll)).toHaveCode('update-wrong-shape');
  });

  it('rejects a dtype the round does not accept, or an unknown dtype code, with update-wrong-dtype', () => {
    const f32 = encodeUpdate({ modelVersion: 1, roundId: 1, values: randomDelta(100, 5), dtype: 'float32' });
    expect(() => decodeUpdate(f32, { length: 100, dtypes: ['int8'] })).toHaveCode('update-wrong-dtype');
    f32[5] = 7;
    expect(() => decodeUpdate(f32, expectAll)).toHaveCode('update-wrong-dtype');
  });

  it('rejects NaN, infinite values and a non-finite int8 scale with update-non-finite', () => {
    const values = randomDelta(100, 6);
    values[17] = Number.NaN;
    expect(() => decodeUpdate(encodeUpdate({ modelVersion: 1, roundId: 1, values, dtype: 'float32' }), expectAll)).toHaveCode('update-non-finite');
    values[17] = Number.POSITIVE_INFINITY;
    expect(() => decodeUpdate(encodeUpdate({ modelVersion: 1, roundId: 1, values, dtype: 'float32' }), expectAll)).toHaveCode('update-non-finite');
    const i8 = encodeUpdate({ modelVersion: 1, roundId: 1, values: randomDelta(100, 6), dtype: 'int8' });
    new DataView(i8.buffer).setFloat32(20, Number.NaN, true);
    expect(() => decodeUpdate(i8, expectAll)).toHaveCode('update-non-finite');
  });
});
