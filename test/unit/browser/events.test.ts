import { describe, expect, it } from 'vitest';
import { MAX_TRACK_BATCH } from '../../../src/browser/schemas';
import { validateEvents } from '../../../src/browser/worker-events';

const NOW = Date.UTC(2024, 0, 1);
const validate = (input: unknown) => () => validateEvents(input, NOW);

describe('event validation', () => {
  it('fills in the timestamp and rejects a batch with its first bad event, by position and field', () => {
    expect(validateEvents([{ item: 'a', type: 'view' }], NOW)).toEqual([{ item: 'a', type: 'view', ts: NOW }]);
    expect(validate([{ item: 'a', type: 'view' }, { item: 'x', type: 'like' }])).toHaveCode('invalid-event', { index: 1, field: 'type' });
  });

  it('stores an event without a timestamp at the device clock even when that clock is set back to 1970', () => {
    expect(validateEvents([{ item: 'a', type: 'view' }], 5_000)).toEqual([{ item: 'a', type: 'view', ts: 5_000 }]);
  });

  it('refuses a batch of more than MAX_TRACK_BATCH events before checking any of them', () => {
    expect(validate(Array.from({ length: MAX_TRACK_BATCH + 1 }, () => ({ item: 'a', type: 'view' })))).toHaveCode('invalid-event', { events: MAX_TRACK_BATCH + 1 });
    expect(validate(Array.from({ length: MAX_TRACK_BATCH }, () => ({ item: 'a', type: 'view' })))).not.toThrow();
  });

  it('refuses the holes of a sparse array instead of skipping them', () => {
    expect(validate(new Array(2))).toHaveCode('invalid-event', { index: 0 });
  });

  it('turns the GA4 names view_item, add_to_cart and purchase as a type into view, cart and purchase', () => {
    const ga4 = [
      { item: 'a', type: 'view_item' },
      { item: 'b', type: 'add_to_cart' },
      { item: 'c', type: 'purchase' },
    ] as const;
    expect(validateEvents(ga4, NOW).map((e) => e.type)).toEqual(['view', 'cart', 'purchase']);
  });

  it('rejects GA4 names it does not map, such as view_item_list, and names with other case', () => {
    expect(validate([{ item: 'a', type: 'view_item_list' }])).toHaveCode('invalid-event', { index: 0, field: 'type' });
    expect(validate([{ item: 'a', type: 'VIEW_ITEM' }])).toHaveCode('invalid-event', { index: 0, field: 'type' });
  });

  it('rejects empty ids, seconds for milliseconds, ratings on other types, unknown keys and non-arrays', () => {
    for (const wrong of [[{ item: '', type: 'view' }], [{ item: 'a', type: 'view', ts: 1_700_000 }], [{ item: 'a', type: 'view', rating: 4 }], [{ item: 'a', type: 'view', extra: 1 }], ['view'], 'view']) {
      expect(validate(wrong), JSON.stringify(wrong)).toHaveCode('invalid-event');
    }
  });
});
