import { describe, expect, it } from 'vitest';
import {
  buildColdStartSplit,
  compareIds,
  cutAll,
  cutSupportQuery,
  fnv1a32,
  userFold,
} from '../../../src/data/split';
import type { Dataset, Interaction } from '../../../src/data/types';

const ev = (user: string, item: string, ts: number, type: Interaction['type'] = 'view'): Interaction => ({ user, item, type, ts });

function dataset(interactions: Interaction[]): Dataset {
  return { name: 'fixture', interactions, items: new Map() };
}

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes, not UTF-16 code units', () => {
    // Reference computed independently (Python, over s.encode('utf-8')).
    expect(fnv1a32('ümlaut')).toBe(0xcf6c343f);
  });
});

describe('userFold', () => {
  it('uses the numeric id mod 5 for non-negative integer ids', () => {
    expect(['0', '1', '5', '12', '610', '007'].map(userFold)).toEqual([0, 1, 0, 2, 0, 2]);
    expect(userFold('12345678901234567895')).toBe(0);
  });

  it('uses FNV-1a mod 5 for any other id', () => {
    // 'a' → 0xe40c292c, 'alice' → 0x872213e7, 'dave' → 0xd06cc5df, '-5' is not non-negative.
    expect(userFold('a')).toBe(0);
    expect(userFold('alice')).toBe(4);
    expect(userFold('dave')).toBe(1);
    expect(userFold('u-17')).toBe(3);
    expect(userFold('-5')).toBe(fnv1a32('-5') % 5);
  });
});

describe('compareIds', () => {
  it('orders numeric ids numerically, before any other id', () => {
    expect(['10', 'b', '9', 'a', '100'].sort(compareIds)).toEqual(['9', '10', '100', 'a', 'b']);
  });
});

describe('buildColdStartSplit', () => {
  // Users: '5' and 'a' are test users (fold 0), '1' and 'dave' validation (fold 1),
  // '2' and 'alice' training-only (folds 2 and 4).
  const data = dataset([
    ev('2', 'i1', 100), ev('2', 'i2', 200), ev('2', 'i3', 300),
    ev('alice', 'i3', 50), ev('alice', 'i4', 60), ev('alice', 'i10', 70),
    ev('1', 'i1', 10), ev('1', 'v-only', 20), ev('1', 'i2', 30),
    ev('dave', 'i4', 5), ev('dave', 'i2', 6),
    // Test user '5': ties at ts 1000 broken by item id (numeric order puts '9' before '10');
    // a duplicate of '10' at a later time is dropped; 'ghost' is not in the catalogue.
    ev('5', '10', 1000), ev('5', '9', 1000), ev('5', 'i1', 900), ev('5', '10', 5000),
    ev('5', 'ghost', 950), ev('5', 'i2', 2000), ev('5', 'i3', 3000),
    ev('a', 'i4', 1), ev('a', 'test-only', 2),
    // Items '9' and '10' exist only thanks to training user '2' below.
    ev('2', '9', 400), ev('2', '10', 500),
  ]);
  const split = buildColdStartSplit(data);

  it('puts fold-0 users in test and trains the final model on every other fold', () => {
    expect(split.test.evalUsers.map((u) => u.user)).toEqual(['5', 'a']);
    expect(split.test.train.users.map((u) => u.user)).toEqual(['1', '2', 'alice', 'dave']);
  });

  it('tunes on fold-1 users against folds 2-4 only', () => {
    expect(split.validation.evalUsers.map((u) => u.user)).toEqual(['1', 'dave']);
    expect(split.validation.train.users.map((u) => u.user)).toEqual(['2', 'alice']);
  });

  it('builds the catalogue from training users only, sorted by item id', () => {
    expect(split.test.train.catalogue.ids).toEqual(['9', '10', 'i1', 'i10', 'i2', 'i3', 'i4', 'v-only']);
    expect(split.validation.train.catalogue.ids).toEqual(['9', '10', 'i1', 'i10', 'i2', 'i3', 'i4']);
  });

  it('orders a test user by (timestamp, item id) after keeping the earliest duplicate, and drops items outside the catalogue', () => {
    const ids = split.test.train.catalogue.ids;
    const five = split.test.evalUsers[0];
    expect(five.events.map((e) => ids[e.index])).toEqual(['i1', '9', '10', 'i2', 'i3']);
    expect(five.events.map((e) => e.ts)).toEqual([900, 1000, 1000, 2000, 3000]);
    expect(split.test.droppedOutOfCatalogue).toBe(2); // 'ghost' and 'test-only'
  });

  it('counts training interactions per catalogue item', () => {
    const { ids } = split.test.train.catalogue;
    const count = (id: string) => split.test.train.itemCounts[ids.indexOf(id)];
    expect(count('i2')).toBe(3);
    expect(count('v-only')).toBe(1);
    expect(split.test.train.nInteractions).toBe(13);
  });

  it('cuts the first k as support, the rest as query and the next 10 as the short query', () => {
    const five = split.test.evalUsers[0];
    const cut = cutSupportQuery(five, 2)!;
    expect(cut.support).toEqual(five.events.slice(0, 2));
    expect(cut.query).toEqual(five.events.slice(2));
    expect(cut.next10Query).toEqual(five.events.slice(2, 12));
  });

  it('evaluates a user at k only with at least k+1 interactions', () => {
    expect(cutSupportQuery(split.test.evalUsers[0], 4)).toBeDefined();
    expect(cutSupportQuery(split.test.evalUsers[0], 5)).toBeUndefined();
    expect(cutAll(split.test.evalUsers, 1).map((c) => c.user)).toEqual(['5']); // 'a' has one catalogue item left
  });

  it('does not depend on the order of the input interactions', () => {
    const shuffled = buildColdStartSplit(dataset([...data.interactions].reverse()));
    expect(shuffled.test.evalUsers).toEqual(split.test.evalUsers);
    expect(shuffled.test.train.catalogue.ids).toEqual(split.test.train.catalogue.ids);
  });
});

describe('the split leaks nothing', () => {
  // A larger random-ish fixture: 60 users, 40 items.
  const interactions: Interaction[] = [];
  for (let u = 0; u < 60; u++) {
    for (let j = 0; j < 8; j++) {
      interactions.push(ev(u % 7 === 0 ? `user-${u}` : String(u), `item-${(u * 7 + j * 13) % 40}`, 1000 * u + j));
    }
  }
  const split = buildColdStartSplit(dataset(interactions));
  const testUsers = new Set(split.test.evalUsers.map((u) => u.user));
  const validationUsers = new Set(split.validation.evalUsers.map((u) => u.user));

  it('never shows a test user in training or tuning data', () => {
    expect(testUsers.size).toBeGreaterThan(5);
    for (const u of [...split.test.train.users, ...split.validation.train.users, ...split.validation.evalUsers]) {
      expect(testUsers.has(u.user)).toBe(false);
      expect(userFold(u.user)).not.toBe(0);
    }
  });

  it('never shows a validation user in the data tuning fits on', () => {
    for (const u of split.validation.train.users) expect(validationUsers.has(u.user)).toBe(false);
  });

  it('keeps every test query interaction out of training and tuning data', () => {
    const key = (user: string, item: string, ts: number) => `${user}|${item}|${ts}`;
    const seen = new Set<string>();
    for (const side of [split.test.train, split.validation.train]) {
      for (const u of side.users) for (const e of u.events) seen.add(key(u.user, side.catalogue.ids[e.index], e.ts));
    }
    for (const u of split.validation.evalUsers) {
      for (const e of u.events) seen.add(key(u.user, split.validation.train.catalogue.ids[e.index], e.ts));
    }
    const ids = split.test.train.catalogue.ids;
    for (const k of [1, 3, 5]) {
      for (const cut of cutAll(split.test.evalUsers, k)) {
        for (const e of cut.query) expect(seen.has(key(cut.user, ids[e.index], e.ts))).toBe(false);
      }
    }
  });
});
