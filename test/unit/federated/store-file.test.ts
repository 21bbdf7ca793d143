import { describe, expect, it } from 'vitest';
import { decodeRecords, encodeRecord } from '../../../src/federated/store-file';

const rec = (id: string, n: number) => encodeRecord(id, Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

describe('the file store log', () => {
  it('reads back every complete record with its client id and body', () => {
    const log = concat(rec('alice000', 30), rec('bob00000', 5));
    const { updates, validBytes } = decodeRecords(log);
    expect(updates.map((u) => [u.clientId, u.body.length])).toEqual([
      ['alice000', 30],
      ['bob00000', 5],
    ]);
    expect(validBytes).toBe(log.length);
  });

  it('stops at a record whose checksum does not match, so a damaged write is never counted', () => {
    const first = rec('alice000', 30);
    const second = rec('bob00000', 30);
    second[second.length - 1] ^= 0xff;
    const { updates, validBytes } = decodeRecords(concat(first, second, rec('carol000', 3)));
    expect(updates.map((u) => u.clientId)).toEqual(['alice000']);
    expect(validBytes).toBe(first.length);
  });

  it('stops at a torn record whose length runs past the end of the file', () => {
    const first = rec('alice000', 30);
    const torn = rec('bob00000', 30).subarray(0, 20);
    const { updates, validBytes } = decodeRecords(concat(first, torn));
    expect(updates).toHaveLength(1);
    expect(validBytes).toBe(first.length);
  });
});
