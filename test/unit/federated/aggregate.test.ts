import { describe, expect, it } from 'vitest';
import { aggregate } from '../../../src/federated/aggregate';

const f = (...x: number[]) => Float32Array.from(x);

describe('aggregation of a round', () => {
  const deltas = [f(1, 10), f(2, 20), f(3, 30), f(4, 40), f(100, -1000)];

  it('takes the coordinate-wise mean', () => {
    expect(Array.from(aggregate(deltas, 'mean'))).toEqual([22, -180]);
  });

  it('takes the coordinate-wise median, so one outlier cannot move it far', () => {
    expect(Array.from(aggregate(deltas, 'median'))).toEqual([3, 20]);
    expect(Array.from(aggregate(deltas.slice(0, 4), 'median'))).toEqual([2.5, 25]);
  });

  it('cuts the given fraction from each end before averaging in the trimmed mean', () => {
    // trim 0.2 of 5 = 1 from each end: coordinate 0 keeps 2,3,4; coordinate 1 keeps 10,20,30.
    expect(Array.from(aggregate(deltas, 'trimmed-mean', 0.2))).toEqual([3, 20]);
  });

  it('refuses an empty round and deltas of different lengths', () => {
    expect(() => aggregate([], 'mean')).toThrow(/nothing/);
    expect(() => aggregate([f(1), f(1, 2)], 'mean')).toThrow(/length/);
  });
});
