import { describe, expect, it } from 'vitest';
import { buildColdStartSplit } from '../../../src/data/split';
import { generateShop } from '../../../src/data/synthetic-shop';
import { ValidationCriterion, combineViews, popularityLists, viewNdcgs } from '../../../src/eval/validation';

const split = buildColdStartSplit(generateShop({ seed: 3, users: 300, items: 120 }));
const users = split.validation.evalUsers;
const counts = split.validation.train.itemCounts;
const popularity = async (cuts: Parameters<typeof popularityLists>[0]) => popularityLists(cuts, counts);

describe('the validation criterion', () => {
  it('scores a popularity ranking exactly 1 in the relative view, at any ks', async () => {
    expect(await new ValidationCriterion(users, counts, [3, 5, 10], 'relative').score(popularity)).toBeCloseTo(1, 12);
  });

  it('in the both view is the mean of the two raw views, averaged over ks', async () => {
    const both = await new ValidationCriterion(users, counts, [3], 'both').score(popularity);
    const full = await new ValidationCriterion(users, counts, [3], 'full').score(popularity);
    expect(full).toBeGreaterThan(0);
    expect(both).toBeLessThan(full); // the next-10 view scores lower than the full one here
  });

  it('weighs the two views equally in relative terms, whatever their raw scale', () => {
    const reference = { full: 0.4, next10: 0.1 };
    // +10% on the small next-10 view counts as much as +10% on the large full view.
    expect(combineViews('relative', { full: 0.44, next10: 0.1 }, reference)).toBeCloseTo(combineViews('relative', { full: 0.4, next10: 0.11 }, reference), 12);
    expect(combineViews('both', { full: 0.44, next10: 0.1 })).toBeGreaterThan(combineViews('both', { full: 0.4, next10: 0.11 }));
  });

  it('in the next view reads only what the shopper does next', () => {
    expect(combineViews('next10', { full: 0.9, next10: 0.1 })).toBe(0.1);
    expect(combineViews('next10', { full: 0.4, next10: 0.11 })).toBeGreaterThan(combineViews('next10', { full: 0.9, next10: 0.1 }));
  });

  it('gives an empty set of users 0 rather than NaN', () => {
    expect(viewNdcgs([], [])).toEqual({ full: 0, next10: 0 });
  });
});
