import { LocalrecError } from '../errors';
import { createRng, type Rng } from './random';
import type { Dataset, EventType, Interaction, ItemMeta } from './types';

/** Knobs of the synthetic web shop. Every field has a default in DEFAULT_SHOP_OPTIONS. */
export interface ShopOptions {
  seed: number;
  users: number;
  items: number;
  /** Number of categories; the first 12 have real names, more get `category-N`. */
  categories: number;
  brands: number;
  /** Taste clusters: preferences over categories, brands and price tier. */
  clusters: number;
  /** Length of the simulated period. */
  days: number;
  /** Mean sessions per user (geometric tail: a few heavy users, many light ones). */
  sessionsPerUser: number;
  /** Mean product views per session. */
  viewsPerSession: number;
  /** Share of all views that are followed by add-to-cart. */
  cartRate: number;
  /** Share of carts that are purchased at the end of the session. */
  purchaseRate: number;
  /** Share of users whose taste drifts from their cluster to another one over their history (0 = no drift). */
  drift: number;
  /** Share of views that ignore taste and follow global popularity (browsing noise; never carted). */
  explore: number;
  /** Zipf exponent of item popularity within a category. */
  zipf: number;
  /** Epoch ms of day 0. */
  startTime: number;
}

/** About 2,000 users, 1,000 items and ~60k interactions. */
export const DEFAULT_SHOP_OPTIONS: Readonly<ShopOptions> = Object.freeze({
  seed: 42,
  users: 2000,
  items: 1000,
  categories: 12,
  brands: 30,
  clusters: 8,
  days: 120,
  sessionsPerUser: 5,
  viewsPerSession: 4.3,
  cartRate: 0.3,
  purchaseRate: 0.3,
  drift: 1,
  explore: 0.2,
  zipf: 1,
  startTime: Date.UTC(2024, 0, 1),
});

const CATEGORIES: readonly { name: string; nouns: readonly string[]; price: number }[] = [
  { name: 'shoes', nouns: ['sneakers', 'boots', 'sandals', 'loafers', 'trainers'], price: 80 },
  { name: 'jackets', nouns: ['parka', 'bomber jacket', 'raincoat', 'blazer', 'windbreaker'], price: 120 },
  { name: 'shirts', nouns: ['t-shirt', 'oxford shirt', 'polo', 'flannel shirt'], price: 35 },
  { name: 'trousers', nouns: ['jeans', 'chinos', 'joggers', 'cargo pants'], price: 60 },
  { name: 'kitchen', nouns: ['chef knife', 'frying pan', 'kettle', 'blender', 'mixing bowl'], price: 40 },
  { name: 'books', nouns: ['novel', 'cookbook', 'travel guide', 'biography', 'poetry collection'], price: 15 },
  { name: 'toys', nouns: ['puzzle', 'building set', 'plush bear', 'board game'], price: 25 },
  { name: 'garden', nouns: ['hose', 'pruner', 'planter', 'lawn chair'], price: 30 },
  { name: 'sports', nouns: ['yoga mat', 'tennis racket', 'dumbbells', 'football'], price: 45 },
  { name: 'beauty', nouns: ['face cream', 'shampoo', 'lip balm', 'perfume'], price: 20 },
  { name: 'electronics', nouns: ['headphones', 'charger', 'speaker', 'smartwatch'], price: 90 },
  { name: 'home', nouns: ['lamp', 'cushion', 'rug', 'candle'], price: 35 },
];
const BRANDS = [
  'Nordwind', 'Larkspur', 'Quillon', 'Brightly', 'Oakhollow', 'Vesta', 'Tidewell', 'Marlowe', 'Kestrel', 'Fennick',
  'Aurelo', 'Birchley', 'Copperline', 'Dunmore', 'Everwell', 'Foxglove', 'Granton', 'Halcyon', 'Ivory Lane', 'Juniper',
  'Kiln', 'Lumen', 'Mossgrove', 'Northstar', 'Orchard Row', 'Pembrook', 'Quarry', 'Redfern', 'Saltmarsh', 'Thistle',
];
const ADJECTIVES = [
  'classic', 'urban', 'cozy', 'vintage', 'sleek', 'rugged', 'organic', 'bold',
  'essential', 'minimal', 'bright', 'compact', 'everyday', 'alpine', 'coastal', 'soft',
];
/** Price multiplier per brand tier: budget, mid, premium. */
const TIER_PRICE = [0.6, 1, 1.8];
/** Cluster weight by distance between a brand's tier and the cluster's preferred tier. */
const TIER_FIT = [1, 0.45, 0.2];

interface ShopCatalogue {
  items: ItemMeta[];
  category: Int32Array;
  brand: Int32Array;
  tier: Int32Array;
  popularity: Float64Array;
  byCategory: number[][];
}

interface Cluster {
  categoryWeight: number[];
  /** Per category: cumulative item weights (popularity × brand × price fit) and the item indices. */
  cumulative: Float64Array[];
}

/**
 * A seeded synthetic web shop: a catalogue (category, brand, price, title), taste clusters,
 * users who drift from one cluster to another, sessions with a view → cart → purchase funnel
 * and Zipf-like popularity inside each category. Same options → identical dataset.
 */
export function generateShop(options: Partial<ShopOptions> = {}): Dataset {
  const o: ShopOptions = { ...DEFAULT_SHOP_OPTIONS, ...options };
  validate(o);
  // Separate streams so that e.g. changing `users` leaves the catalogue and every other user unchanged.
  const cat = buildShopCatalogue(o, createRng(mix(o.seed, 1)));
  const clusters = buildClusters(o, cat, createRng(mix(o.seed, 2)));
  const exploreCum = cumulate(Array.from(cat.popularity));

  const interactions: Interaction[] = [];
  for (let u = 0; u < o.users; u++) {
    simulateUser(o, u, cat, clusters, exploreCum, createRng(mix(o.seed, 1000 + u)), interactions);
  }
  interactions.sort((a, b) => a.ts - b.ts || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));

  const items = new Map<string, ItemMeta>();
  for (const it of cat.items) items.set(it.id, it);
  return { name: `shop:${o.seed}`, interactions, items };
}

function validate(o: ShopOptions): void {
  const positiveInts: (keyof ShopOptions)[] = ['users', 'items', 'categories', 'brands', 'clusters'];
  for (const k of positiveInts) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new LocalrecError('invalid-argument', `generateShop: ${k} must be a positive integer, got ${o[k]}`, { option: k });
  }
  if (o.items < o.categories) throw new LocalrecError('invalid-argument', 'generateShop: need at least one item per category', { option: 'items' });
  for (const k of ['cartRate', 'purchaseRate', 'drift', 'explore'] as const) {
    if (!(o[k] >= 0 && o[k] <= 1)) throw new LocalrecError('invalid-argument', `generateShop: ${k} must be in [0, 1], got ${o[k]}`, { option: k });
  }
  if (!(o.days > 0 && o.sessionsPerUser >= 1 && o.viewsPerSession >= 1 && o.zipf >= 0)) {
    throw new LocalrecError('invalid-argument', 'generateShop: days > 0, sessionsPerUser >= 1, viewsPerSession >= 1 and zipf >= 0 are required');
  }
}

function buildShopCatalogue(o: ShopOptions, rng: Rng): ShopCatalogue {
  const n = o.items;
  const catInfo = (c: number) => CATEGORIES[c] ?? { name: `category-${c + 1}`, nouns: ['item'], price: 40 };
  const brandName = (b: number) => (b < BRANDS.length ? BRANDS[b] : `Brand ${b + 1}`);
  const brandTier = Array.from({ length: o.brands }, () => rng.int(3));
  // Each brand sells in 1–3 categories; every category gets at least one brand.
  const brandsOf: number[][] = Array.from({ length: o.categories }, () => []);
  for (let b = 0; b < o.brands; b++) {
    const k = 1 + rng.int(3);
    for (let j = 0; j < k; j++) {
      const c = rng.int(o.categories);
      if (!brandsOf[c].includes(b)) brandsOf[c].push(b);
    }
  }
  brandsOf.forEach((list, c) => {
    if (list.length === 0) list.push(c % o.brands);
  });

  const category = new Int32Array(n);
  const brand = new Int32Array(n);
  const tier = new Int32Array(n);
  const popularity = new Float64Array(n);
  const byCategory: number[][] = Array.from({ length: o.categories }, () => []);
  const counter = new Array<number>(o.categories).fill(0);
  const width = Math.max(4, String(n - 1).length);
  const items: ItemMeta[] = [];
  for (let i = 0; i < n; i++) {
    const c = i < o.categories ? i : rng.int(o.categories);
    const b = rng.pick(brandsOf[c]);
    const info = catInfo(c);
    const price = Math.max(1, Math.round(info.price * TIER_PRICE[brandTier[b]] * Math.exp(0.25 * rng.normal()))) - 0.01;
    const title = `${brandName(b)} ${rng.pick(ADJECTIVES)} ${rng.pick(info.nouns)} ${++counter[c]}`;
    category[i] = c;
    brand[i] = b;
    tier[i] = brandTier[b];
    byCategory[c].push(i);
    items.push({ id: `p${String(i).padStart(width, '0')}`, title, categories: [info.name], brand: brandName(b), price });
  }
  // Zipf popularity by a random rank inside each category.
  for (const members of byCategory) {
    rng.shuffle(members).forEach((i, rank) => {
      popularity[i] = 1 / Math.pow(rank + 1, o.zipf);
    });
  }
  return { items, category, brand, tier, popularity, byCategory };
}

function buildClusters(o: ShopOptions, cat: ShopCatalogue, rng: Rng): Cluster[] {
  const out: Cluster[] = [];
  for (let k = 0; k < o.clusters; k++) {
    // Two favourite categories dominate; the rest keep a little mass so tastes overlap.
    const categoryWeight = new Array<number>(o.categories).fill(0.25);
    const favs = rng.shuffle(Array.from({ length: o.categories }, (_, c) => c)).slice(0, 2);
    categoryWeight[favs[0]] += 6;
    if (favs.length > 1) categoryWeight[favs[1]] += 3;
    const brandWeight = new Array<number>(o.brands).fill(1);
    for (let j = 0; j < 3; j++) brandWeight[rng.int(o.brands)] = 5;
    const tierPref = rng.int(3);
    const cumulative = cat.byCategory.map((members) =>
      cumulate(members.map((i) => cat.popularity[i] * brandWeight[cat.brand[i]] * TIER_FIT[Math.abs(cat.tier[i] - tierPref)])),
    );
    out.push({ categoryWeight, cumulative });
  }
  return out;
}

function simulateUser(
  o: ShopOptions,
  u: number,
  cat: ShopCatalogue,
  clusters: Cluster[],
  exploreCum: Float64Array,
  rng: Rng,
  out: Interaction[],
): void {
  const user = `u${u}`;
  const home = rng.int(o.clusters);
  const drifts = o.clusters > 1 && rng.next() < o.drift;
  const target = drifts ? (home + 1 + rng.int(o.clusters - 1)) % o.clusters : home;
  // Drift ramps from 0 to 1 over part of the user's own history.
  const rampStart = 0.15 + 0.35 * rng.next();
  const rampWidth = 0.2 + 0.2 * rng.next();
  // Personal twist on the cluster's category taste (fixed per user).
  const twist = Array.from({ length: o.categories }, () => Math.exp(0.5 * rng.normal()));

  const starts = sessionStarts(o, rng);
  const nSessions = starts.length;
  let clock = 0;
  const emit = (item: number, type: EventType, gapSec: number) => {
    clock += Math.round((gapSec + rng.next() * gapSec) * 1000);
    out.push({ user, item: cat.items[item].id, type, ts: clock });
  };

  const pCartGivenTaste = o.explore < 1 ? Math.min(1, o.cartRate / (1 - o.explore)) : 0;
  for (let s = 0; s < nSessions; s++) {
    clock = Math.max(Math.round(starts[s]), clock + 30 * 60_000);
    const progress = nSessions === 1 ? 0 : s / (nSessions - 1);
    const toTarget = Math.min(1, Math.max(0, (progress - rampStart) / rampWidth));
    const cluster = clusters[rng.next() < toTarget ? target : home];
    const catCum = cumulate(cluster.categoryWeight.map((w, c) => w * twist[c]));
    const focus = sample(catCum, rng);
    const nViews = 1 + geometric(rng, o.viewsPerSession - 1);
    const seen = new Set<number>();
    const carted: number[] = [];
    for (let v = 0; v < nViews; v++) {
      const explore = rng.next() < o.explore;
      let item = -1;
      for (let attempt = 0; attempt < 4 && (item < 0 || seen.has(item)); attempt++) {
        if (explore) item = sample(exploreCum, rng);
        else {
          const c = rng.next() < 0.75 ? focus : sample(catCum, rng);
          item = cat.byCategory[c][sample(cluster.cumulative[c], rng)];
        }
      }
      seen.add(item);
      emit(item, 'view', 15);
      if (!explore && rng.next() < pCartGivenTaste) {
        emit(item, 'cart', 5);
        carted.push(item);
      }
    }
    for (const item of carted) if (rng.next() < o.purchaseRate) emit(item, 'purchase', 10);
  }
}

/** When a user's sessions start (ms, ascending): the first within the first half of the period. */
function sessionStarts(o: ShopOptions, rng: Rng): number[] {
  const nSessions = 1 + geometric(rng, o.sessionsPerUser - 1);
  const dayMs = 86_400_000;
  const first = o.startTime + rng.next() * 0.5 * o.days * dayMs;
  const end = o.startTime + o.days * dayMs;
  return Array.from({ length: nSessions }, () => first + rng.next() * (end - first)).sort((a, b) => a - b);
}

/** Failures before the first success, with the given mean. */
function geometric(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  const p = 1 / (1 + mean);
  return Math.floor(Math.log(1 - rng.next()) / Math.log(1 - p));
}

function cumulate(weights: number[]): Float64Array {
  const c = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    c[i] = sum;
  });
  return c;
}

/** Index drawn proportionally to the weights behind a cumulative array (binary search). */
function sample(cum: Float64Array, rng: Rng): number {
  const x = rng.next() * cum[cum.length - 1];
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Derive independent stream seeds from (seed, stream). */
function mix(seed: number, stream: number): number {
  let h = (Math.trunc(seed) ^ Math.imul(stream, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
