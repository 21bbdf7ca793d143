/**
 * GA4 BigQuery exports as they are: every event name, '(not set)', missing items, INT64 as
 * strings, timestamp units, and the same export as NDJSON (plain and gzip), the CSV of an
 * UNNEST(items) query under each column spelling, and Parquet — all read to the same
 * interactions and item metadata.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEventsFile, parseEventsText } from '../../../src/data/events-file';
import { EventsIngest } from '../../../src/data/ingest';
import { JsonLines, peekEventName, peekEventNameBytes } from '../../../src/data/records';
import { ga4ExportRows } from '../../../src/data/synthetic-ga4';
import { convertGa4Export, writeGa4Export } from '../../../src/data/synthetic-ga4-files';
import type { IngestResult, Interaction } from '../../../src/data/types';

const T = Date.UTC(2024, 2, 1, 12); // ms
const US = String(T * 1000); // GA4 event_timestamp: INT64 µs, a string in JSON exports

/** One export row as BigQuery's JSON export writes it (column order, INT64 strings, NULLs left out). */
function row(event_name: string, items: unknown[] | undefined, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event_date: '20240301',
    event_timestamp: US,
    event_name,
    event_params: [{ key: 'ga_session_id', value: { int_value: '1709290000' } }, { key: 'page_title', value: { string_value: 'Home' } }],
    event_bundle_sequence_id: '7',
    user_pseudo_id: '1234567890.1709290000',
    privacy_info: { analytics_storage: 'Yes', ads_storage: 'Yes', uses_transient_token: 'No' },
    device: { category: 'mobile', web_info: { browser: 'Chrome', hostname: 'shop.example' } },
    geo: { country: 'Germany', city: '(not set)' },
    stream_id: '4178223601',
    platform: 'WEB',
    ...(items === undefined ? {} : { items }),
    is_active_user: true,
    ...extra,
  });
}

const item = (id: unknown, more: Record<string, unknown> = {}) => ({
  item_id: id,
  item_name: `Name ${String(id)}`,
  item_brand: 'Acme',
  item_variant: '(not set)',
  item_category: 'Shoes',
  item_category2: 'Running',
  item_category3: '(not set)',
  item_category4: '(not set)',
  item_category5: '(not set)',
  price_in_usd: 59.9,
  price: 54.5,
  quantity: '1',
  coupon: '(not set)',
  item_list_name: '(not set)',
  ...more,
});

const read = (lines: string[]) => parseEventsText(lines.join('\n'), 'jsonl', { now: T + 86_400_000 });

describe('every GA4 event name', () => {
  const cases: [string, 'view' | 'cart' | 'purchase' | 'skipped'][] = [
    ['view_item', 'view'],
    ['select_item', 'view'],
    ['add_to_cart', 'cart'],
    ['begin_checkout', 'cart'],
    ['purchase', 'purchase'],
    ['session_start', 'skipped'],
    ['first_visit', 'skipped'],
    ['page_view', 'skipped'],
    ['user_engagement', 'skipped'],
    ['scroll', 'skipped'],
    ['view_item_list', 'skipped'],
    ['view_search_results', 'skipped'],
    ['view_promotion', 'skipped'],
    ['view_cart', 'skipped'],
    ['remove_from_cart', 'skipped'],
    ['add_shipping_info', 'skipped'],
    ['add_payment_info', 'skipped'],
    ['refund', 'skipped'],
  ];
  it.each(cases)('%s with an item → %s', (name, expected) => {
    const { dataset, errors, summary } = read([row(name, [item('p1')])]);
    expect(errors).toEqual([]);
    expect(summary!.rows).toBe(1);
    if (expected === 'skipped') {
      expect(dataset.interactions).toEqual([]);
      expect(summary!.skippedEvents).toEqual({ [name]: 1 });
      expect(summary!.bad).toBe(0);
    } else {
      expect(dataset.interactions).toEqual([{ user: '1234567890.1709290000', item: 'p1', type: expected, ts: T }]);
      expect(summary!.kept[expected]).toBe(1);
    }
  });

  it('is skipped without being parsed when it is not an interaction, and read the same when parsed', () => {
    const line = row('view_item_list', [item('p1'), item('p2')]);
    expect(peekEventName(line)).toBe('view_item_list');
    // A line whose event name is escaped, or that has a type column, is parsed whole.
    expect(peekEventName('{"event_name":"a\\"b","items":[]}')).toBeUndefined();
    expect(peekEventName('{"type":"view","event_name":"page_view"}')).toBeUndefined();
    // One rule for text and bytes: in a row as BigQuery writes it, a nested "type" key (an event parameter's) does not count.
    const nested = '{"event_date":"20240101","event_timestamp":"1704067200000000","event_name":"page_view","event_params":[{"key":"type","value":{"string_value":"x"}}]}';
    const bytesOf = (t: string) => new TextEncoder().encode(t);
    for (const [text, name] of [
      [nested, 'page_view'],
      ['{"type":"view","event_name":"page_view"}', undefined],
      ['{"event_name":"page_view","event":"x"}', undefined],
      [line, 'view_item_list'],
    ] as const) {
      expect(peekEventName(text), text).toBe(name);
      expect(peekEventNameBytes(bytesOf(text), 0, bytesOf(text).length), text).toBe(name);
    }
    const fast = new EventsIngest();
    const slow = new EventsIngest();
    const parser = new JsonLines(fast);
    const rows = [...ga4ExportRows({ events: 3000, seed: 3 })].map((r) => JSON.stringify(r));
    rows.forEach((l, i) => parser.line(i + 1, l));
    rows.forEach((l, i) => slow.row(i + 1, JSON.parse(l) as Record<string, unknown>));
    expect(fast.result('x')).toEqual(slow.result('x'));
  });
});

describe('items', () => {
  it('gives one interaction per item of a multi-item event, skipping entries without an id', () => {
    const { dataset, summary } = read([row('purchase', [item('p1'), item(42), item('(not set)'), { item_name: 'no id' }, item('p3')])]);
    expect(dataset.interactions.map((x) => x.item)).toEqual(['p1', '42', 'p3']);
    expect(summary!.kept.purchase).toBe(3);
  });

  it.each([
    ['an empty items[]', []],
    ['no items column', undefined],
    ['items: null', null],
    ["only item_id '(not set)'", [item('(not set)')]],
    ['entries without item_id', [{ item_name: 'x' }]],
  ] as [string, unknown][])('counts an interaction event with %s as "no item", not as malformed', (_name, items) => {
    const line = items === null ? row('view_item', undefined, { items: null }) : row('view_item', items as unknown[] | undefined);
    const { dataset, errors, summary } = read([line]);
    expect(dataset.interactions).toEqual([]);
    expect(errors).toEqual([]);
    expect(summary!.noItem).toEqual({ view_item: 1 });
  });

  it("takes title, brand, categories and price from items[], with '(not set)' as absent", () => {
    const { dataset, summary } = read([
      row('view_item', [item('p1', { item_category3: 'Trail', item_category5: 'Waterproof' })]),
      row('view_item', [item('p2', { item_name: '(not set)', item_brand: '(not set)', item_category: '(not set)', item_category2: '(not set)', price: null })]),
      // A later row fills what an earlier one lacked.
      row('add_to_cart', [item('p2', { item_brand: 'Zeta', item_name: '(not set)' })]),
    ]);
    expect(dataset.items.get('p1')).toEqual({ id: 'p1', title: 'Name p1', brand: 'Acme', categories: ['Shoes', 'Running', 'Trail', 'Waterproof'], price: 54.5 });
    expect(dataset.items.get('p2')).toEqual({ id: 'p2', title: 'p2', brand: 'Zeta', categories: ['Shoes', 'Running'], price: 54.5 });
    expect(summary!.itemMeta).toEqual({ source: 'export', titled: 1, categorised: 2 });
  });

  it('lets an items file win over the export, and clips over-long values to the SDK limits', () => {
    const items = new Map([['p1', { id: 'p1', title: 'From the items file', categories: ['Catalogue'] }]]);
    const { dataset } = parseEventsText([row('view_item', [item('p1')]), row('view_item', [item('p2', { item_name: 'x'.repeat(600) })])].join('\n'), 'jsonl', { items, now: T + 1 });
    expect(dataset.items.get('p1')!.title).toBe('From the items file');
    expect(dataset.items.get('p2')!.title).toHaveLength(500);
  });
});

describe('ids and INT64 strings', () => {
  it("prefers user_id, falls back to user_pseudo_id when it is absent, null or '(not set)'", () => {
    const { dataset } = read([
      row('view_item', [item('p1')], { user_id: 'cust-1' }),
      row('view_item', [item('p1')], { user_id: null }),
      row('view_item', [item('p1')], { user_id: '(not set)' }),
    ]);
    expect(dataset.interactions.map((x) => x.user)).toEqual(['cust-1', '1234567890.1709290000', '1234567890.1709290000']);
  });

  it('reads INT64 values written as strings (event_timestamp, quantity) and integer item ids', () => {
    const { dataset, errors } = read([row('purchase', [item(12345678901234, { quantity: '3' })])]);
    expect(errors).toEqual([]);
    expect(dataset.interactions).toEqual([{ user: '1234567890.1709290000', item: '12345678901234', type: 'purchase', ts: T }]);
  });

  it('reports a broken row as malformed, with its line', () => {
    const { errors, summary } = read([row('view_item', [item('p1')], { event_timestamp: 'soon' }), row('view_item', [item('p1')], { user_pseudo_id: '' }), '{"event_name":"purchase",', row('purchase', [item('a\u0000b')])]);
    expect(errors.map((e) => e.line)).toEqual([1, 2, 3, 4]);
    expect(summary!.bad).toBe(4);
  });
});

describe('timestamp units', () => {
  const s = T / 1000;
  it.each([
    ['µs as a string (GA4 JSON)', String(T * 1000)],
    ['µs as a number', T * 1000],
    ['ms as a string', String(T)],
    ['ms as a number', T],
    ['s as a string', String(s)],
    ['s as a number', s],
    ['ns as a string', String(T * 1_000_000)],
    ['an ISO date-time', new Date(T).toISOString()],
  ] as [string, unknown][])('%s', (_name, ts) => {
    const { dataset, errors } = read([row('view_item', [item('p1')], { event_timestamp: ts })]);
    expect(errors).toEqual([]);
    expect(dataset.interactions[0].ts).toBe(T);
  });
});

describe('the same export in every format', () => {
  let dir = '';
  let reference: IngestResult;
  const key = (x: Interaction) => `${x.user} ${x.item} ${x.type} ${x.ts}`;
  const sorted = (r: IngestResult) => r.dataset.interactions.map(key).sort();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'localrec-ga4-'));
    await writeGa4Export(join(dir, 'events.json'), 'ndjson', { events: 4000, seed: 5 });
    reference = await loadEventsFile(join(dir, 'events.json'));
  }, 60_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the NDJSON export: other events skipped by name, none malformed, items with names and categories', () => {
    const s = reference.summary!;
    expect(s.bad).toBe(0);
    expect(s.kept.view).toBeGreaterThan(0);
    expect(s.kept.cart).toBeGreaterThan(0);
    expect(s.kept.purchase).toBeGreaterThan(0);
    for (const name of ['session_start', 'page_view', 'user_engagement', 'view_item_list']) expect(s.skippedEvents[name]).toBeGreaterThan(0);
    // Most of a GA4 export is not shopping.
    expect(reference.dataset.interactions.length).toBeLessThan(s.rows / 2);
    expect(s.itemMeta.source).toBe('export');
    expect(s.itemMeta.titled).toBe(reference.dataset.items.size);
    expect(s.itemMeta.categorised).toBe(reference.dataset.items.size);
  });

  it('reads a file streamed (its lines as bytes) to exactly what the text reader gives, blank and broken lines included', async () => {
    const text = (await (await import('node:fs/promises')).readFile(join(dir, 'events.json'), 'utf8')).replace('\n', '\n{"event_name":"purchase", broken\n\n   \r\n');
    await writeFile(join(dir, 'mixed.json'), text);
    const streamed = await loadEventsFile(join(dir, 'mixed.json'));
    expect(streamed.errors).toEqual([{ file: 'mixed.json', line: 2, message: expect.stringContaining('invalid JSON') }]);
    expect(streamed).toEqual(parseEventsText(text, 'jsonl', { file: 'mixed.json', name: 'mixed' }));
  });

  it('reads the gzip-compressed NDJSON the same', async () => {
    await writeGa4Export(join(dir, 'events.json.gz'), 'ndjson', { events: 4000, seed: 5 });
    const gz = await loadEventsFile(join(dir, 'events.json.gz'));
    expect(gz.summary).toEqual(reference.summary);
    expect(gz.dataset.interactions).toEqual(reference.dataset.interactions);
  });

  it('reads nested Parquet to the same interactions, items and summary', async () => {
    await convertGa4Export(join(dir, 'events.json'), join(dir, 'events.parquet'), 'parquet');
    const pq = await loadEventsFile(join(dir, 'events.parquet'));
    expect(sorted(pq)).toEqual(sorted(reference));
    expect(pq.dataset.items).toEqual(reference.dataset.items);
    expect(pq.summary).toEqual(reference.summary);
  }, 60_000);

  it.each(['plain', 'items_', 'items.'] as const)('reads the flattened CSV (item columns spelled %s) to the same interactions and items', async (spelling) => {
    const path = join(dir, `events-${spelling}.csv`);
    await convertGa4Export(join(dir, 'events.json'), path, 'csv', spelling);
    const csv = await loadEventsFile(path);
    expect(sorted(csv)).toEqual(sorted(reference));
    expect(csv.dataset.items).toEqual(reference.dataset.items);
    expect(csv.summary!.bad).toBe(0);
    // UNNEST(items) leaves out the events without items; '(not set)' ids are still rows.
    expect(csv.summary!.skippedEvents).toEqual({});
  }, 60_000);

  it('reads the shards of one export in a directory as one file', async () => {
    const { readFile, mkdir } = await import('node:fs/promises');
    const lines = (await readFile(join(dir, 'events.json'), 'utf8')).split('\n');
    const half = Math.floor(lines.length / 2);
    await mkdir(join(dir, 'sharded'));
    await writeFile(join(dir, 'sharded', 'events-000000000000.json'), lines.slice(0, half).join('\n'));
    await writeFile(join(dir, 'sharded', 'events-000000000001.json'), lines.slice(half).join('\n'));
    const { loadDataset } = await import('../../../src/data/index');
    const sharded = await loadDataset(join(dir, 'sharded'));
    expect(sharded.dataset.interactions).toEqual(reference.dataset.interactions);
    expect(sharded.summary).toEqual(reference.summary);
  });

  it('names the accepted spellings when a flattened CSV lacks the item column', async () => {
    await writeFile(join(dir, 'no-item.csv'), `event_name,event_timestamp,user_pseudo_id,items_item_name\nview_item,${US},u,Shoe\n`);
    await expect(loadEventsFile(join(dir, 'no-item.csv'))).rejects.toMatchObject({
      code: 'data-missing-column',
      message: expect.stringContaining('item (accepted: item, item_id, items.item_id, items_item_id, item.item_id)'),
    });
  });

  it('refuses a JSON array file with a message saying what NDJSON is', async () => {
    await writeFile(join(dir, 'array.json'), `[\n${row('view_item', [item('p1')])},\n]\n`);
    await expect(loadEventsFile(join(dir, 'array.json'))).rejects.toMatchObject({ code: 'data-format', message: expect.stringContaining('newline-delimited') });
  });
});
