/** Format version 1: item tables int8 per row (`.q`) with a float32 scale per row (`.scale`), everything else float32. */
import { readTower, towerParts, type DecodeLayout, type EncodeLayout } from './format-layout';
import { dequantiseRows, quantiseRows } from './quantise';

export const encodeV1: EncodeLayout = (w, buckets) => {
  const qin = quantiseRows(w.itemIn, w.n, w.d);
  const qout = quantiseRows(w.itemOut, w.n, w.d);
  return [
    ['itemIn.q', qin.q, [w.n, w.d]],
    ['itemIn.scale', qin.scale, [w.n]],
    ['itemOut.q', qout.q, [w.n, w.d]],
    ['itemOut.scale', qout.scale, [w.n]],
    ['itemBias', w.itemBias, [w.n]],
    ...towerParts(w),
    ['content.proj', w.contentProj, [buckets, 2 * w.d + 1]],
  ];
};

export const decodeV1: DecodeLayout = (read, dims) => {
  const { n, d, hidden, buckets } = dims;
  return {
    n,
    d,
    hidden,
    itemIn: dequantiseRows({ q: read.i8('itemIn.q', [n, d]), scale: read.f32('itemIn.scale', [n]) }, d),
    itemOut: dequantiseRows({ q: read.i8('itemOut.q', [n, d]), scale: read.f32('itemOut.scale', [n]) }, d),
    itemBias: read.f32('itemBias', [n]),
    tower: readTower(read, dims),
    contentProj: read.f32('content.proj', [buckets, 2 * d + 1]),
  };
};
