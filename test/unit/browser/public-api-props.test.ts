/**
 * Generated hostile inputs (fast-check): every public method's argument space, and events
 * files' CSV/JSONL/GA4 rows. Each call gives a typed error or a valid result, and never loses
 * what was stored before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Method } from '../../../src/browser/protocol';
import { validateEvents } from '../../../src/browser/schemas';
import { parseEventsText } from '../../../src/data/events-file';
import { normaliseId } from '../../../src/data/ids';
import { onScale } from '../../../src/data/ratings';
import { EVENT_TYPES } from '../../../src/data/types';
import { isLocalrecError } from '../../../src/errors';
import { fixtureModel, initParams, itemId, makeRuntime, ModelServer, T0 } from './helpers';

/** Values a page can pass: JSON-like, with the shapes the methods expect mixed in. */
const arg = fc.oneof(
  fc.anything({ maxDepth: 2, withNullPrototype: true, withObjectString: true }),
  fc.record({ n: fc.oneof(fc.integer(), fc.double(), fc.string()), excludeSeen: fc.anything({ maxDepth: 0 }), categories: fc.anything({ maxDepth: 1 }) }, { requiredKeys: [] }),
  fc.record({ item: fc.oneof(fc.constantFrom(itemId(1), '__proto__', ''), fc.string()), type: fc.oneof(fc.constantFrom(...EVENT_TYPES), fc.string()), ts: fc.oneof(fc.constant(T0), fc.double()) }, { requiredKeys: [] }),
  fc.constantFrom('granted', 'denied', 'pending', 'GRANTED', null, undefined),
);

const METHODS: { method: Method; params: fc.Arbitrary<unknown> }[] = [
  { method: 'track', params: fc.record({ events: fc.oneof(arg, fc.array(arg, { maxLength: 3 })) }, { requiredKeys: [] }) },
  { method: 'recommend', params: arg },
  { method: 'explain', params: fc.record({ item: arg, options: arg }, { requiredKeys: [] }) },
  { method: 'personalise', params: arg },
  { method: 'setAvailability', params: fc.record({ ids: fc.oneof(arg, fc.array(fc.string(), { maxLength: 3 })), available: arg }, { requiredKeys: [] }) },
  { method: 'consent', params: fc.record({ state: arg }, { requiredKeys: [] }) },
  { method: 'status', params: arg },
  { method: 'exportData', params: arg },
];

describe('every public method over generated arguments', () => {
  it.each(METHODS)('$method gives a typed error or a result, and keeps what was stored', async ({ method, params }) => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    await h.call('track', { events: [1, 4, 7].map((i, k) => ({ item: itemId(i), type: 'view' as const, ts: T0 + k })) });
    const before = (await h.call('exportData', {})).events;
    await fc.assert(
      fc.asyncProperty(params, async (p) => {
        try {
          await h.runtime.handle({ kind: 'request', id: 1, method, params: p as never });
        } catch (e) {
          expect(isLocalrecError(e), String(e)).toBe(true);
        }
        // Only a valid denial may delete (that is what it is for); then grant again for the next run.
        const state = (await h.call('status', {})).consent;
        if (state === 'denied') return void (await h.call('consent', { state: 'granted' }), await h.call('track', { events: before.map(({ item, type, ts }) => ({ item, type, ts })) }));
        if (state !== 'granted') await h.call('consent', { state: 'granted' });
        const now = (await h.call('exportData', {})).events.map(({ item, type, ts }) => ({ item, type, ts }));
        for (const e of before) expect(now).toContainEqual({ item: e.item, type: e.type, ts: e.ts });
      }),
      { numRuns: 150, seed: 28 },
    );
  });
});

describe('events files over generated rows', () => {
  const cell = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', ' ', '"', ',', '\n', '\u0000', '\u200b', '-5', '1e308', 'NaN', '2024-03-01T12:00:00Z', String(T0), String(T0 / 1000)), fc.double().map(String));
  const type = fc.oneof(fc.constantFrom(...EVENT_TYPES, 'view_item', 'add_to_cart', 'purchase', 'select_item', 'begin_checkout'), cell);
  const quoteCsv = (x: string) => (/[",\n\r]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x);

  /** What every interaction an events file yields must satisfy: the SDK's own rules. */
  const valid = (i: { item: string; user: string; type: string; ts: number; rating?: number }) =>
    normaliseId(i.item) === i.item && i.user.length > 0 && (EVENT_TYPES as readonly string[]).includes(i.type) && Number.isFinite(i.ts) && (i.rating === undefined || onScale(i.rating));

  it('CSV rows: a result with typed bad rows, never a throw other than a typed one, and only interactions the SDK accepts', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell, type, cell, cell), { minLength: 1, maxLength: 8 }), (rows) => {
        const text = ['user,item,type,timestamp,rating', ...rows.map((r) => r.map(quoteCsv).join(','))].join('\n');
        try {
          const { dataset } = parseEventsText(text, 'csv');
          for (const i of dataset.interactions) expect(valid(i), JSON.stringify(i)).toBe(true);
        } catch (e) {
          expect(isLocalrecError(e), String(e)).toBe(true);
        }
      }),
      { numRuns: 500, seed: 28 },
    );
  });

  it('JSONL and GA4 rows: the same', () => {
    const value = fc.oneof(cell, fc.double(), fc.integer(), fc.constant(null), fc.array(cell, { maxLength: 2 }));
    const row = fc.oneof(
      fc.record({ user: value, item: value, type, timestamp: value, rating: value }, { requiredKeys: [] }),
      fc.record({ user_pseudo_id: value, event_name: type, event_timestamp: value, items: fc.array(fc.record({ item_id: value }, { requiredKeys: [] }), { maxLength: 2 }) }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 8 }), (rows) => {
        try {
          const { dataset } = parseEventsText(rows.map((r) => JSON.stringify(r)).join('\n'), 'jsonl');
          for (const i of dataset.interactions) expect(valid(i), JSON.stringify(i)).toBe(true);
        } catch (e) {
          expect(isLocalrecError(e), String(e)).toBe(true);
        }
      }),
      { numRuns: 500, seed: 28 },
    );
  });

  it('track() over generated events: a typed error or events that satisfy the same rules', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ item: cell, type, ts: fc.oneof(fc.constant(T0), fc.double()), rating: fc.oneof(fc.constant(undefined), fc.double()) }, { requiredKeys: ['item', 'type'] }), { maxLength: 4 }), (events) => {
        try {
          for (const e of validateEvents(events, T0)) expect(valid({ ...e, user: 'page' }), JSON.stringify(e)).toBe(true);
        } catch (e) {
          expect(isLocalrecError(e, 'invalid-event'), String(e)).toBe(true);
        }
      }),
      { numRuns: 500, seed: 28 },
    );
  });
});
