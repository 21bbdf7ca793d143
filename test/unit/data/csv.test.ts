import { describe, expect, it } from 'vitest';
import { readCsvRecords } from '../../../src/data/csv';

describe('readCsvRecords with an unbalanced quote', () => {
  it('reports the quote on the line its record starts and keeps reading the rows after it', () => {
    const { records, errors } = readCsvRecords('a,b\n1,2\n"x,3\n4,5\n6,7\n', 'e.csv');
    expect(errors).toEqual([{ line: 3, file: 'e.csv', message: expect.stringContaining('unbalanced quote') }]);
    expect(records.map((r) => [r.line, ...r.fields])).toEqual([
      [1, 'a', 'b'],
      [2, '1', '2'],
      [4, '4', '5'],
      [5, '6', '7'],
    ]);
  });

  it('reports each of several unbalanced quotes once', () => {
    const { records, errors } = readCsvRecords('a,b\n"x,1\n2,3\n"y,4\n5,6\n');
    expect(errors.map((e) => e.line)).toEqual([2, 4]);
    expect(records.map((r) => r.line)).toEqual([1, 3, 5]);
  });

  it('still reads a closed quoted field that spans lines as one record', () => {
    const { records, errors } = readCsvRecords('a,b\n1,"multi\nline"\n2,3\n');
    expect(errors).toEqual([]);
    expect(records.map((r) => [r.line, ...r.fields])).toEqual([
      [1, 'a', 'b'],
      [2, '1', 'multi\nline'],
      [4, '2', '3'],
    ]);
  });

  it('reports a quote left open on the last line without looping', () => {
    const { records, errors } = readCsvRecords('a,b\n1,2\n3,"4');
    expect(errors.map((e) => e.line)).toEqual([3]);
    expect(records.map((r) => r.line)).toEqual([1, 2]);
  });
});
