/**
 * Format version 2 (the one this SDK writes): item tables as 4-bit codes (`.q4`, uint8
 * [n, ceil(d/2)], low nibble first) into a 16-level codebook (`.codebook`), times a per-row
 * scale stored in 8 bits on a log scale (`.scale8`, with `.scaleRange` = [lo, hi] of its
 * logarithm); the item bias in 8 bits (`itemBias.q8`, `itemBias.range`); the content
 * projection int8 per row (`content.q`, `content.scale`); the tower float32.
 */
import { readTower, towerParts, type DecodeLayout, type EncodeLayout, type TensorPart, type TensorReader } from './format-layout';
import { dequantiseLinear8, dequantiseRows, dequantiseRows4, quantiseLinear8, quantiseRows, quantiseRows4 } from './quantise';

type Table = 'itemIn' | 'itemOut';

function tableParts(name: Table, values: Float32Array, n: number, d: number): TensorPart[] {
  const q = quantiseRows4(values, n, d);
  return [
    [`${name}.q4`, q.codes, [n, Math.ceil(d / 2)]],
    [`${name}.codebook`, q.codebook, [q.codebook.length]],
    [`${name}.scale8`, q.scale.codes, [n]],
    [`${name}.scaleRange`, q.scale.range, [2]],
  ];
}

function readTable(read: TensorReader, name: Table, n: number, d: number): Float32Array {
  const scale = { codes: read.u8(`${name}.scale8`, [n]), range: read.f32(`${name}.scaleRange`, [2]) };
  return dequantiseRows4({ codes: read.u8(`${name}.q4`, [n, Math.ceil(d / 2)]), codebook: read.f32(`${name}.codebook`, [16]), scale }, d);
}

export const encodeV2: EncodeLayout = (w, buckets) => {
  const bias = quantiseLinear8(w.itemBias);
  const content = quantiseRows(w.contentProj, buckets, 2 * w.d + 1);
  return [
    ...tableParts('itemIn', w.itemIn, w.n, w.d),
    ...tableParts('itemOut', w.itemOut, w.n, w.d),
    ['itemBias.q8', bias.codes, [w.n]],
    ['itemBias.range', bias.range, [2]],
    ...towerParts(w),
    ['content.q', content.q, [buckets, 2 * w.d + 1]],
    ['content.scale', content.scale, [buckets]],
  ];
};

export const decodeV2: DecodeLayout = (read, dims) => {
  const { n, d, hidden, buckets } = dims;
  return {
    n,
    d,
    hidden,
    itemIn: readTable(read, 'itemIn', n, d),
    itemOut: readTable(read, 'itemOut', n, d),
    itemBias: dequantiseLinear8({ codes: read.u8('itemBias.q8', [n]), range: read.f32('itemBias.range', [2]) }),
    tower: readTower(read, dims),
    contentProj: dequantiseRows({ q: read.i8('content.q', [buckets, 2 * d + 1]), scale: read.f32('content.scale', [buckets]) }, 2 * d + 1),
  };
};
