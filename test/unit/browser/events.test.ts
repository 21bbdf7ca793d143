import { describe, expect, it } from 'vitest';
import { MAX_TRACK_BATCH } from '../../../src/browser/schemas';
import { validateEvents } from '../../../src/browser/worker-events';
import { isLocalrecError } from '../../../src/errors';

const NOW = Date.UTC(2024, 0, 1);
const code = (input: unknown) => {
  try {
    validateEvents(input, NOW);
    return null;
  } catch (e) {
    return isLocalrecError(e) ? { code: e.code, details: e.details } : e;
  }
};

describe('event validation', () => {
  it('fills in the timestamp and rejects a batch with its first bad event, by position and field', () => {
    expect(validateEvents([{ item: 'a', type: 'view' }], NOW)).toEqual([{ item: 'a', type: 'view', ts: NOW }]);
    expect(code([{ item: 'a', type: 'view' }, { item: 'x', type: 'like' }])).toMatchObject({ code: 'invalid-event', details: { index: 1, field: 'type' } });
  });

  it('stores an event without a timestamp at the device clock even when that clock is set back to 1970', () => {
    expect(validateEvents([{ item: 'a', type: 'view' }], 5_000)).toEqual([{ item: 'a', type: 'view', ts: 5_000 }]);
  });

  it('refuses a batch of more than MAX_TRACK_BATCH events before checking any of them', () => {
    expect(code(Array.from({ length: MAX_TRACK_BATCH + 1 }, () => ({ item: 'a', type: 'view' })))).toMatchObject({ code: 'invalid-event', details: { events: MAX_TRACK_BATCH + 1 } });
    expect(code(Array.from({ length: MAX_TRACK_BATCH }, () => ({ item: 'a', type: 'view' })))).toBeNull();
  });

  it('refuses the holes of a sparse array instead of skipping them', () => {
    expect(code(new Array(2))).toMatchObject({ code: 'invalid-event', details: { index: 0 } });
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
    expect(code([{ item: 'a', type: 'view_item_list' }])).toMatchObject({ code: 'invalid-event', details: { index: 0, field: 'type' } });
    expect(code([{ item: 'a', type: 'VIEW_ITEM' }])).toMatchObject({ code: 'invalid-event', details: { index: 0, field: 'type' } });
  });

  it('rejects empty ids, seconds for milliseconds, ratings on other types, unknown keys and non-arrays', () => {
    for (const wrong of [[{ item: '', type: 'view' }], [{ item: 'a', type: 'view', ts: 1_700_000 }], [{ item: 'a', type: 'view', rating: 4 }], [{ item: 'a', type: 'view', extra: 1 }], ['view'], 'view']) {
      expect(code(wrong), JSON.stringify(wrong)).toMatchObject({ code: 'invalid-event' });
    }
  });
});
