/**
 * A seeded GA4 BigQuery export of the synthetic shop, row for row as BigQuery writes it
 * to newline-delimited JSON: one row per event in the export's column order, INT64 values
 * as strings, NULL fields left out, '(not set)' for item fields the shop never sent, and
 * every event a GA4 web property records — session_start, first_visit, page_view,
 * user_engagement, scroll, view_item_list impressions, view_search_results, view_cart,
 * add_shipping_info, add_payment_info — around the shopping events that carry items
 * (select_item, view_item, add_to_cart, begin_checkout, purchase). A few view_item events
 * carry no items or an item_id of '(not set)', as real tagging mistakes do.
 *
 * The shopping behaviour is the synthetic shop's (src/data/synthetic-shop.ts: taste
 * clusters, drift, a view → cart → purchase funnel), so a model trained on the export can
 * learn something. Rows are produced one user at a time: a caller streams them to a file.
 */
import { createRng, type Rng } from './random';
import { generateShop, type ShopOptions } from './synthetic-shop';
import type { Interaction, ItemMeta } from './types';

export interface Ga4ExportOptions {
  seed: number;
  /** Rough number of rows (events) wanted; the shop's users are scaled to reach it. */
  events: number;
  /** Share of users whose events carry the shop's own user_id (logged in). */
  loggedIn: number;
}

export const DEFAULT_GA4_EXPORT_OPTIONS: Readonly<Ga4ExportOptions> = Object.freeze({ seed: 42, events: 100_000, loggedIn: 0.05 });

/** Measured on the generator: about this many export rows per interaction of the shop. */
const ROWS_PER_INTERACTION = 3.7;
/** Interactions per user of the default shop's settings, as measured at 10k users. */
const INTERACTIONS_PER_USER = 38;

/** A GA4 export row as BigQuery's JSON export writes it (INT64 as strings, no NULL fields). */
export type Ga4Row = Record<string, unknown>;

/** The interaction event names an export's shopping rows use, in funnel order. */
export const GA4_SHOPPING_EVENTS = ['select_item', 'view_item', 'add_to_cart', 'begin_checkout', 'purchase'] as const;

const SESSION_GAP_MS = 30 * 60_000;
const DEVICES = [
  { category: 'mobile', mobile_brand_name: 'Apple', mobile_model_name: 'iPhone', operating_system: 'iOS', operating_system_version: 'iOS 17.4', browser: 'Safari', browser_version: '17.4' },
  { category: 'mobile', mobile_brand_name: 'Samsung', mobile_model_name: 'Galaxy S23', operating_system: 'Android', operating_system_version: 'Android 14', browser: 'Chrome', browser_version: '124.0.6367.82' },
  { category: 'desktop', mobile_brand_name: 'Google', mobile_model_name: 'Chrome', operating_system: 'Windows', operating_system_version: 'Windows 10', browser: 'Chrome', browser_version: '124.0.6367.91' },
  { category: 'desktop', mobile_brand_name: 'Apple', mobile_model_name: 'Safari', operating_system: 'Macintosh', operating_system_version: 'Macintosh Intel 10.15', browser: 'Safari', browser_version: '17.3' },
] as const;
const GEOS = [
  { city: 'Berlin', country: 'Germany', continent: 'Europe', region: 'Berlin', sub_continent: 'Western Europe', metro: '(not set)' },
  { city: 'Lyon', country: 'France', continent: 'Europe', region: 'Auvergne-Rhone-Alpes', sub_continent: 'Western Europe', metro: '(not set)' },
  { city: 'Austin', country: 'United States', continent: 'Americas', region: 'Texas', sub_continent: 'Northern America', metro: 'Austin TX' },
  { city: '(not set)', country: 'Netherlands', continent: 'Europe', region: '(not set)', sub_continent: 'Western Europe', metro: '(not set)' },
] as const;
const SOURCES = [
  { name: '(direct)', medium: '(none)', source: '(direct)' },
  { name: '(organic)', medium: 'organic', source: 'google' },
  { name: 'spring_sale', medium: 'email', source: 'newsletter' },
  { name: '(referral)', medium: 'referral', source: 'blog.example' },
] as const;
const HOST = 'shop.example';
const STREAM_ID = '4178223601';

/**
 * The export's rows, one user at a time (a generator: nothing but the shop's interactions
 * is held). Same options → the same rows in the same order.
 */
export function* ga4ExportRows(options: Partial<Ga4ExportOptions> = {}, shop: Partial<ShopOptions> = {}): Generator<Ga4Row> {
  const o: Ga4ExportOptions = { ...DEFAULT_GA4_EXPORT_OPTIONS, ...options };
  const users = Math.max(20, Math.round(o.events / ROWS_PER_INTERACTION / INTERACTIONS_PER_USER));
  const data = generateShop({ seed: o.seed, users, ...shop });
  const byUser = new Map<string, Interaction[]>();
  for (const x of data.interactions) {
    let list = byUser.get(x.user);
    if (!list) byUser.set(x.user, (list = []));
    list.push(x);
  }
  const rng = createRng(o.seed ^ 0x6a4);
  const catalogue = [...data.items.values()];
  for (const [user, events] of byUser) yield* userRows(user, events, data.items, catalogue, o, rng);
}

interface UserContext {
  pseudoId: string;
  userId?: string;
  firstTouchUs: string;
  device: (typeof DEVICES)[number];
  geo: (typeof GEOS)[number];
  source: (typeof SOURCES)[number];
}

function* userRows(user: string, events: Interaction[], items: Map<string, ItemMeta>, catalogue: ItemMeta[], o: Ga4ExportOptions, rng: Rng): Generator<Ga4Row> {
  const first = events[0].ts;
  const ctx: UserContext = {
    pseudoId: `${1_000_000_000 + rng.int(2_000_000_000)}.${Math.floor(first / 1000)}`,
    userId: rng.next() < o.loggedIn ? `cust-${user.slice(1)}` : undefined,
    firstTouchUs: String((first - 60_000) * 1000),
    device: rng.pick(DEVICES),
    geo: rng.pick(GEOS),
    source: rng.pick(SOURCES),
  };
  let sessionNumber = 0;
  let i = 0;
  while (i < events.length) {
    // One session: the interactions no more than 30 minutes apart.
    let j = i + 1;
    while (j < events.length && events[j].ts - events[j - 1].ts < SESSION_GAP_MS) j++;
    sessionNumber++;
    yield* sessionRows(ctx, events.slice(i, j), sessionNumber, items, catalogue, rng);
    i = j;
  }
}

/** A session's clock (µs, only moves forward) and its row maker, shared by the parts of one session. */
interface SessionWriter {
  clock: number;
  /** Moves the clock on by about gapMs (0.5–1.5×). */
  at(gapMs: number): void;
  row(name: string, params: [string, string | number][], rowItems?: Ga4Row[], ecommerce?: Ga4Row): Ga4Row;
  rng: Rng;
}

function* sessionRows(ctx: UserContext, events: Interaction[], sessionNumber: number, items: Map<string, ItemMeta>, catalogue: ItemMeta[], rng: Rng): Generator<Ga4Row> {
  const sessionId = String(Math.floor(events[0].ts / 1000) - 5);
  const w: SessionWriter = {
    clock: (events[0].ts - 4000) * 1000,
    at: (gapMs) => void (w.clock += Math.round(gapMs * 1000 * (0.5 + rng.next()))),
    row: (name, params, rowItems = [], ecommerce) => exportRow(ctx, name, w.clock, sessionId, sessionNumber, params, rowItems, ecommerce, rng),
    rng,
  };
  if (sessionNumber === 1) yield w.row('first_visit', [['page_location', `https://${HOST}/`]]);
  yield w.row('session_start', [['page_location', `https://${HOST}/`]]);
  yield w.row('page_view', [['page_location', `https://${HOST}/`], ['page_title', 'Home']]);
  w.at(1500);
  yield w.row('user_engagement', [['engagement_time_msec', String(500 + rng.int(10_000))]]);
  if (rng.next() < 0.4) yield w.row('view_promotion', [['promotion_name', 'spring_sale']]);
  const cart: ItemMeta[] = [];
  const bought: ItemMeta[] = [];
  for (const x of events) {
    w.clock = Math.max(w.clock, (x.ts - 1500) * 1000);
    const it = items.get(x.item)!;
    if (x.type === 'view') yield* viewRows(w, it, x.ts, catalogue);
    else if (x.type === 'cart') yield* cartRows(w, it, x.ts, cart);
    else bought.push(it);
  }
  if (bought.length > 0) yield* checkoutRows(w, bought, events[events.length - 1].ts);
  w.at(3000);
  yield w.row('user_engagement', [['engagement_time_msec', String(1000 + rng.int(30_000))]]);
}

/** A product view at ts: often reached from a category list or a search, then the page itself. */
function* viewRows(w: SessionWriter, it: ItemMeta, ts: number, catalogue: ItemMeta[]): Generator<Ga4Row> {
  const rng = w.rng;
  if (rng.next() < 0.5) {
    yield w.row('page_view', [['page_location', `https://${HOST}/c/${it.categories[0] ?? 'all'}`], ['page_title', it.categories[0] ?? 'All']]);
    w.at(1200);
    const list = [it, ...Array.from({ length: 3 + rng.int(8) }, () => rng.pick(catalogue))];
    yield w.row('view_item_list', [['item_list_name', it.categories[0] ?? 'all']], list.map((m, k) => itemEntry(m, { item_list_name: it.categories[0], item_list_index: String(k + 1) })));
    w.at(800);
    if (rng.next() < 0.6) yield w.row('select_item', [['item_list_name', it.categories[0] ?? 'all']], [itemEntry(it, { item_list_name: it.categories[0] })]);
  } else if (rng.next() < 0.15) {
    yield w.row('view_search_results', [['search_term', it.title.split(' ')[1] ?? 'shoes']]);
  }
  w.clock = Math.max(w.clock, ts * 1000);
  yield w.row('page_view', [['page_location', `https://${HOST}/p/${it.id}`], ['page_title', it.title]]);
  const broken = rng.next();
  // Tagging mistakes as real properties have them: a view_item with no items, or with item_id '(not set)'.
  const entries = broken < 0.005 ? [] : broken < 0.007 ? [itemEntry(it, { item_id: '(not set)' })] : [itemEntry(it)];
  yield w.row('view_item', [], entries, { total_item_quantity: '1', unique_items: '1' });
  w.at(5000);
  yield w.row('user_engagement', [['engagement_time_msec', String(2000 + rng.int(60_000))]]);
  if (rng.next() < 0.5) yield w.row('scroll', [['percent_scrolled', '90']]);
}

/** An add to cart at ts; the cart sometimes viewed after it. */
function* cartRows(w: SessionWriter, it: ItemMeta, ts: number, cart: ItemMeta[]): Generator<Ga4Row> {
  w.clock = Math.max(w.clock, ts * 1000);
  yield w.row('add_to_cart', [['currency', 'EUR'], ['value', it.price ?? 0]], [itemEntry(it, { quantity: '1' })], { total_item_quantity: '1', unique_items: '1' });
  cart.push(it);
  w.at(1500);
  if (w.rng.next() < 0.3) yield w.row('view_cart', [['currency', 'EUR']], cart.map((m) => itemEntry(m, { quantity: '1' })));
}

/** The checkout funnel ending in one purchase of every bought item at the session's last event (ts). */
function* checkoutRows(w: SessionWriter, bought: ItemMeta[], last: number): Generator<Ga4Row> {
  w.clock = Math.max(w.clock, (last - 3000) * 1000);
  const entries = (extra: Ga4Row = {}) => bought.map((m) => itemEntry(m, { quantity: '1', ...extra }));
  const total = bought.reduce((s, m) => s + (m.price ?? 0), 0);
  const ecommerce = { total_item_quantity: String(bought.length), unique_items: String(bought.length) };
  yield w.row('begin_checkout', [['currency', 'EUR'], ['value', total]], entries(), ecommerce);
  w.at(20_000);
  yield w.row('add_shipping_info', [['shipping_tier', 'standard']], entries());
  w.at(15_000);
  yield w.row('add_payment_info', [['payment_type', 'card']], entries());
  w.clock = Math.max(w.clock, last * 1000);
  const revenue = Math.round(total * 100) / 100;
  const transactionId = `T${Math.floor(w.clock / 1000)}${w.rng.int(1000)}`;
  yield w.row('purchase', [['transaction_id', transactionId], ['currency', 'EUR'], ['value', revenue]], entries({ item_revenue: revenue, item_revenue_in_usd: revenue }), {
    ...ecommerce,
    purchase_revenue_in_usd: revenue,
    purchase_revenue: revenue,
    transaction_id: transactionId,
  });
}

/** One `items[]` entry with every field BigQuery exports, '(not set)' where the shop sent nothing. */
function itemEntry(m: ItemMeta, extra: Ga4Row = {}): Ga4Row {
  const entry: Ga4Row = {
    item_id: m.id,
    item_name: m.title,
    item_brand: m.brand ?? '(not set)',
    item_variant: '(not set)',
    item_category: m.categories[0] ?? '(not set)',
    item_category2: m.categories[1] ?? '(not set)',
    item_category3: '(not set)',
    item_category4: '(not set)',
    item_category5: '(not set)',
    price_in_usd: m.price,
    price: m.price,
    quantity: undefined,
    item_revenue_in_usd: undefined,
    item_revenue: undefined,
    coupon: '(not set)',
    affiliation: '(not set)',
    location_id: '(not set)',
    item_list_id: '(not set)',
    item_list_name: '(not set)',
    item_list_index: '(not set)',
    promotion_id: '(not set)',
    promotion_name: '(not set)',
    creative_name: '(not set)',
    creative_slot: '(not set)',
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) entry[k] = v;
  for (const k of Object.keys(entry)) if (entry[k] === undefined) delete entry[k];
  return entry;
}

function param(key: string, value: string | number): Ga4Row {
  if (typeof value === 'number') return { key, value: Number.isInteger(value) ? { int_value: String(value) } : { double_value: value } };
  return { key, value: { string_value: value } };
}

/** A whole export row in BigQuery's column order; NULL columns are absent, as in its JSON export. */
function exportRow(
  ctx: UserContext,
  name: string,
  timestampUs: number,
  sessionId: string,
  sessionNumber: number,
  params: [string, string | number][],
  items: Ga4Row[],
  ecommerce: Ga4Row | undefined,
  rng: Rng,
): Ga4Row {
  const date = new Date(timestampUs / 1000).toISOString().slice(0, 10).replaceAll('-', '');
  const d = ctx.device;
  const row: Ga4Row = {
    event_date: date,
    event_timestamp: String(timestampUs),
    event_name: name,
    event_params: [
      param('ga_session_id', Number(sessionId)),
      param('ga_session_number', sessionNumber),
      param('engaged_session_event', 1),
      ...params.map(([k, v]) => param(k, v)),
    ],
    event_bundle_sequence_id: String(1 + rng.int(100)),
    event_server_timestamp_offset: String(rng.int(2_000_000)),
    ...(ctx.userId === undefined ? {} : { user_id: ctx.userId }),
    user_pseudo_id: ctx.pseudoId,
    privacy_info: { analytics_storage: 'Yes', ads_storage: 'Yes', uses_transient_token: 'No' },
    user_first_touch_timestamp: ctx.firstTouchUs,
    device: {
      category: d.category,
      mobile_brand_name: d.mobile_brand_name,
      mobile_model_name: d.mobile_model_name,
      operating_system: d.operating_system,
      operating_system_version: d.operating_system_version,
      language: 'en-us',
      is_limited_ad_tracking: 'No',
      web_info: { browser: d.browser, browser_version: d.browser_version, hostname: HOST },
    },
    geo: { ...ctx.geo },
    traffic_source: { ...ctx.source },
    stream_id: STREAM_ID,
    platform: 'WEB',
    ...(ecommerce === undefined ? {} : { ecommerce }),
    items,
    is_active_user: true,
  };
  return row;
}
