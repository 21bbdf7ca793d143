import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalrecError } from '../../../src/errors';
import { loadEventsFile, parseEventsText, parseItemsText } from '../../../src/data/events-file';
import { parseTimestamp } from '../../../src/data/timestamps';

const T = Date.UTC(2024, 2, 1, 12, 0, 0); // 2024-03-01T12:00:00Z in ms

describe('parseEventsText (CSV)', () => {
  it.each(['-5', '1e308', '10.5', '-0.0001'])('refuses rating %s, outside the scale the SDK tracks, as a bad row with a reason', (rating) => {
    const csv = ['user,item,type,timestamp,rating', `u1,p1,rating,${T / 1000},${rating}`, `u1,p2,rating,${T / 1000},5`].join('\n');
    const { dataset, errors } = parseEventsText(csv, 'csv');
    expect(dataset.interactions.map((i) => i.rating)).toEqual([5]);
    expect(errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringMatching(/outside 0–10/) })]);
  });

  it('keeps ratings at both ends of the scale', () => {
    const csv = ['user,item,type,timestamp,rating', `u1,p1,rating,${T / 1000},0`, `u1,p2,rating,${T / 1000},10`].join('\n');
    expect(parseEventsText(csv, 'csv').dataset.interactions.map((i) => i.rating)).toEqual([0, 10]);
  });

  it('parses good rows, with an optional rating column', () => {
    const csv = ['user,item,type,timestamp,rating', `u1,p1,view,${T / 1000},`, `u1,p1,rating,${T / 1000 + 5},4.5`].join('\n');
    const { dataset, errors } = parseEventsText(csv, 'csv');
    expect(errors).toEqual([]);
    expect(dataset.interactions).toEqual([
      { user: 'u1', item: 'p1', type: 'view', ts: T },
      { user: 'u1', item: 'p1', type: 'rating', ts: T + 5000, rating: 4.5 },
    ]);
  });

  it('accepts "event" as an alias of the type column and ignores column order and case', () => {
    const csv = `Timestamp,Event,Item,User\n${T},Purchase,p2,u9\n`;
    const { dataset, errors } = parseEventsText(csv, 'csv');
    expect(errors).toEqual([]);
    expect(dataset.interactions).toEqual([{ user: 'u9', item: 'p2', type: 'purchase', ts: T }]);
  });

  it('reads epoch seconds, epoch milliseconds and ISO dates as the same instant', () => {
    const csv = [
      'user,item,type,timestamp',
      `a,p1,view,${T / 1000}`,
      `a,p2,view,${T}`,
      'a,p3,view,2024-03-01T12:00:00Z',
      'a,p4,view,2024-03-01T13:00:00+01:00',
      'a,p5,view,2024-03-01T12:00:00', // no zone: read as UTC, not machine-local
    ].join('\n');
    const { dataset, errors } = parseEventsText(csv, 'csv');
    expect(errors).toEqual([]);
    expect(dataset.interactions.map((x) => x.ts)).toEqual([T, T, T, T, T]);
  });

  it('reports each kind of bad row with its line and a message saying what was wrong, keeping good rows', () => {
    const csv = [
      'user,item,type,timestamp,rating', // 1
      `u1,p1,view,${T}`.concat(','), // 2 good
      `u1,p2,view`, // 3 wrong column count
      `,p2,view,${T},`, // 4 missing user
      `u1,,view,${T},`, // 5 missing item
      `u1,p2,,${T},`, // 6 missing type
      `u1,p2,clik,${T},`, // 7 unknown type
      'u1,p2,cart,yesterday,', // 8 bad timestamp
      `u1,p2,rating,${T},`, // 9 rating without value
      `u1,p2,rating,${T},lots`, // 10 non-numeric rating
      `u2,p3,cart,${T},`, // 11 good
    ].join('\n');
    const { dataset, errors, summary } = parseEventsText(csv, 'csv');
    expect(dataset.interactions.map((x) => `${x.user}:${x.item}:${x.type}`)).toEqual(['u1:p1:view', 'u2:p3:cart']);
    // A row without an item and a row of another event are skipped and counted, not malformed.
    expect(errors.map((e) => e.line)).toEqual([3, 4, 6, 8, 9, 10]);
    expect(summary).toMatchObject({ rows: 10, bad: 6, noItem: { view: 1 }, skippedEvents: { clik: 1 }, kept: { view: 1, cart: 1 } });
    const byLine = new Map(errors.map((e) => [e.line, e.message]));
    expect(byLine.get(3)).toMatch(/expected 5 columns, found 3/);
    expect(byLine.get(4)).toMatch(/user/);
    expect(byLine.get(6)).toMatch(/missing event type/);
    expect(byLine.get(8)).toMatch(/invalid timestamp "yesterday"/);
    expect(byLine.get(9)).toMatch(/numeric rating/);
    expect(byLine.get(10)).toMatch(/numeric rating, got "lots"/);
  });

  it('throws data-missing-column when a required column is absent', () => {
    for (const header of ['user,item,timestamp', 'user,type,timestamp', 'item,type,timestamp', 'user,item,type']) {
      let thrown: unknown;
      try {
        parseEventsText(`${header}\n`, 'csv');
      } catch (e) {
        thrown = e;
      }
      expect(thrown, header).toBeInstanceOf(LocalrecError);
      expect(thrown).toHaveCode('data-missing-column');
    }
  });

  it('gives items seen only in events a minimal catalogue entry and keeps known metadata', () => {
    const items = new Map([['p1', { id: 'p1', title: 'Red shoe', categories: ['shoes'] }]]);
    const { dataset } = parseEventsText(`user,item,type,timestamp\nu,p1,view,${T}\nu,p2,view,${T}\n`, 'csv', { items });
    expect(dataset.items.get('p1')?.title).toBe('Red shoe');
    expect(dataset.items.get('p2')).toEqual({ id: 'p2', title: 'p2', categories: [] });
  });
});

describe('parseEventsText (JSONL)', () => {
  it('parses one object per line, numeric ids and an event alias included', () => {
    const jsonl = [
      JSON.stringify({ user: 'u1', item: 'p1', type: 'view', timestamp: T }),
      '',
      JSON.stringify({ user: 7, item: 42, event: 'rating', timestamp: '2024-03-01T12:00:00Z', rating: 3 }),
    ].join('\n');
    const { dataset, errors } = parseEventsText(jsonl, 'jsonl');
    expect(errors).toEqual([]);
    expect(dataset.interactions).toEqual([
      { user: 'u1', item: 'p1', type: 'view', ts: T },
      { user: '7', item: '42', type: 'rating', ts: T, rating: 3 },
    ]);
  });

  it('reports invalid JSON, non-objects and invalid fields by line and keeps the good lines', () => {
    const jsonl = [
      JSON.stringify({ user: 'u1', item: 'p1', type: 'view', timestamp: T }), // 1
      '{"user": "u1", "item": ', // 2 invalid JSON
      '[1, 2, 3]', // 3 not an object
      JSON.stringify({ user: 'u1', item: 'p1', type: 'clik', timestamp: T }), // 4
      JSON.stringify({ user: 'u1', item: 'p1', type: 'view' }), // 5 no timestamp
      JSON.stringify({ user: 'u2', item: 'p9', type: 'cart', timestamp: T / 1000 }), // 6 good
    ].join('\n');
    const { dataset, errors } = parseEventsText(jsonl, 'jsonl');
    expect(dataset.interactions).toHaveLength(2);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 5]);
    expect(errors[0].message).toMatch(/invalid JSON/);
    expect(errors[1].message).toBe('expected a JSON object');
    expect(errors[2].message).toBe('missing timestamp');
  });
});

describe('GA4 export rows', () => {
  const US = T * 1000; // GA4 event_timestamp: microseconds

  it('reads GA4 BigQuery-export style CSV: event_name, event_timestamp in microseconds, user_pseudo_id, items.item_id', () => {
    const csv = [
      'event_date,event_timestamp,event_name,user_pseudo_id,user_id,items.item_id',
      `20240301,${US},view_item,123.456,,p1`,
      `20240301,${US + 2_000_000},add_to_cart,123.456,,p1`,
      `20240301,${US + 5_000_000},purchase,123.456,cust-9,p1`,
    ].join('\n');
    const { dataset, errors } = parseEventsText(csv, 'csv');
    expect(errors).toEqual([]);
    expect(dataset.interactions).toEqual([
      { user: '123.456', item: 'p1', type: 'view', ts: T },
      { user: '123.456', item: 'p1', type: 'cart', ts: T + 2000 },
      // user_id, where the shop sets it, is the steadier identity.
      { user: 'cust-9', item: 'p1', type: 'purchase', ts: T + 5000 },
    ]);
    expect(new Date(dataset.interactions[0].ts).getUTCFullYear()).toBe(2024);
  });

  it('expands a JSONL export row with an items array into one interaction per item', () => {
    const line = JSON.stringify({ event_name: 'purchase', event_timestamp: String(US), user_pseudo_id: 'abc', items: [{ item_id: 'p1' }, { item_id: 42 }, { item_name: 'no id' }] });
    const { dataset, errors } = parseEventsText(line, 'jsonl');
    expect(errors).toEqual([]);
    expect(dataset.interactions).toEqual([
      { user: 'abc', item: 'p1', type: 'purchase', ts: T },
      { user: 'abc', item: '42', type: 'purchase', ts: T },
    ]);
  });

  it('skips GA4 events that carry no item interest and counts them by name, not as malformed', () => {
    const csv = ['event_name,event_timestamp,user_pseudo_id,item_id', `page_view,${US},u,p1`, `view_item,${US},u,p1`].join('\n');
    const { dataset, errors, summary } = parseEventsText(csv, 'csv');
    expect(dataset.interactions).toHaveLength(1);
    expect(errors).toEqual([]);
    expect(summary?.skippedEvents).toEqual({ page_view: 1 });
  });

  it('refuses timestamps outside 1990–2100 with a message naming the unit it assumed, keeping other rows', () => {
    const csv = ['user,item,type,timestamp', 'u,p1,view,5', `u,p2,view,${T}`, `u,p3,view,${US * 1000 * 1000}`, 'u,p4,view,2150-01-01'].join('\n');
    const { dataset, errors } = parseEventsText(csv, 'csv');
    expect(dataset.interactions.map((x) => x.item)).toEqual(['p2']);
    expect(errors.map((e) => e.line)).toEqual([2, 4, 5]);
    expect(errors[0].message).toBe('timestamp "5" read as seconds is in the year 1970, outside 1990–2100');
    expect(errors[1].message).toMatch(/read as nanoseconds is in the year 56135, outside 1990–2100/);
    expect(errors[2].message).toMatch(/read as an ISO 8601 date/);
  });
});

describe('parseTimestamp', () => {
  it('tells seconds, milliseconds, microseconds and nanoseconds apart by magnitude', () => {
    expect(parseTimestamp(T / 1000)).toBe(T);
    expect(parseTimestamp(T)).toBe(T);
    expect(parseTimestamp(String(T * 1000))).toBe(T); // GA4 event_timestamp, not the year 56883
    expect(parseTimestamp(String(T * 1_000_000))).toBe(T);
  });

  it('treats numbers above 1e11 as milliseconds and smaller ones as seconds', () => {
    expect(parseTimestamp(1_700_000_000)).toBe(1_700_000_000_000);
    expect(parseTimestamp('1700000000000')).toBe(1_700_000_000_000);
    expect(parseTimestamp('1700000000.5')).toBe(1_700_000_000_500);
  });

  it('rejects negative, non-numeric and impossible dates', () => {
    expect(parseTimestamp(-1)).toBeUndefined();
    expect(parseTimestamp('NaN')).toBeUndefined();
    expect(parseTimestamp('2024-13-45')).toBeUndefined();
    expect(parseTimestamp(true)).toBeUndefined();
  });
});

describe('parseItemsText', () => {
  it('reads id, title, "|"-separated categories, brand and price, and reports bad rows', () => {
    const csv = [
      'id,title,categories,brand,price',
      'p1,"Red shoe, size 42",shoes|sale,Nordwind,59.99',
      'p2,,,,',
      ',Nameless,shoes,,1',
      'p3,Odd,shoes,,cheap',
    ].join('\n');
    const { items, errors } = parseItemsText(csv, 'csv');
    expect(items.get('p1')).toEqual({ id: 'p1', title: 'Red shoe, size 42', categories: ['shoes', 'sale'], brand: 'Nordwind', price: 59.99 });
    expect(items.get('p2')).toEqual({ id: 'p2', title: 'p2', categories: [] });
    expect(errors.map((e) => e.line)).toEqual([4, 5]);
    expect(errors[1].message).toMatch(/price "cheap"/);
  });

  it('carries image and url through for display, and rejects non-string ones', () => {
    const jsonl = [
      JSON.stringify({ id: 'p1', title: 'Shoe', category: 'shoes', price: 10, image: 'https://cdn.shop.test/p1.jpg', url: '/p/p1' }),
      JSON.stringify({ id: 'p2', title: 'Hat', image: 42 }),
      JSON.stringify({ id: 'p3', title: 'Cap', url: ['x'] }),
    ].join('\n');
    const { items, errors } = parseItemsText(jsonl, 'jsonl');
    expect(items.get('p1')).toEqual({ id: 'p1', title: 'Shoe', categories: ['shoes'], price: 10, image: 'https://cdn.shop.test/p1.jpg', url: '/p/p1' });
    expect(errors.map((e) => e.message)).toEqual(['image must be a string, got "42"', expect.stringMatching(/^url must be a string/)]);
    const csv = parseItemsText('id,title,image,url\np9,Mug,img/p9.png,', 'csv');
    expect(csv.items.get('p9')).toEqual({ id: 'p9', title: 'Mug', categories: [], image: 'img/p9.png' });
  });
});

describe('loadEventsFile', () => {
  it('chooses the format by extension and merges the items metadata file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'localrec-events-'));
    const events = join(dir, 'shop.ndjson');
    const items = join(dir, 'catalogue.csv');
    await writeFile(events, `${JSON.stringify({ user: 'u1', item: 'p1', type: 'view', timestamp: T })}\n{oops\n`);
    await writeFile(items, 'id,title,categories,brand,price\np1,Red shoe,shoes,Nordwind,59.99\np1,Dup,shoes,,\n');
    const { dataset, errors } = await loadEventsFile(events, { itemsPath: items });
    expect(dataset.name).toBe('shop');
    expect(dataset.interactions).toHaveLength(1);
    expect(dataset.items.get('p1')?.title).toBe('Red shoe');
    expect(errors.map((e) => [e.file, e.line])).toEqual([
      ['catalogue.csv', 3],
      ['shop.ndjson', 2],
    ]);
  });

  it('throws unknown-format for an unknown extension and missing-file for a missing file', async () => {
    await expect(loadEventsFile('events.txt')).rejects.toHaveCode('data-format');
    await expect(loadEventsFile('/nonexistent-localrec/events.csv')).rejects.toHaveCode('data-missing-file');
  });
});
