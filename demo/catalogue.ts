/**
 * Which catalogue the demo shows and the items it sells. `?catalogue=movielens` switches to
 * the MovieLens-small model when public/models/movielens exists; `?model=<manifest URL>`
 * points at any other model (the e2e tests use their fixture models that way).
 */
import type { ItemMeta } from '../src/index';

export type CatalogueName = 'shop' | 'movielens';

export interface CatalogueChoice {
  name: CatalogueName;
  /** The model's manifest URL. */
  model: string;
  /** Each catalogue keeps its own interactions: a film view means nothing to the shop's model. */
  dbName: string;
  imageStyle: 'product' | 'poster';
  /** What an item is called on the page. */
  noun: { one: string; many: string };
  /** Whether items carry prices, so the page has a cart and checkout. */
  sells: boolean;
}

export const CATALOGUES: Record<CatalogueName, CatalogueChoice & { label: string }> = {
  shop: { name: 'shop', label: 'Shop (synthetic catalogue)', model: '/models/shop/manifest.json', dbName: 'localrec', imageStyle: 'product', noun: { one: 'product', many: 'products' }, sells: true },
  movielens: { name: 'movielens', label: 'MovieLens small (films)', model: '/models/movielens/manifest.json', dbName: 'localrec-movielens', imageStyle: 'poster', noun: { one: 'film', many: 'films' }, sells: false },
};

export function chooseCatalogue(params: URLSearchParams): CatalogueChoice {
  const name: CatalogueName = params.get('catalogue') === 'movielens' ? 'movielens' : 'shop';
  const { label: _, ...choice } = CATALOGUES[name];
  const model = params.get('model');
  return model ? { ...choice, model } : choice;
}

/** Whether a model is served at this manifest URL (the MovieLens model is built locally, not committed). */
export async function modelExists(manifestUrl: string): Promise<boolean> {
  try {
    const res = await fetch(manifestUrl, { cache: 'no-store' });
    return res.ok && (res.headers.get('content-type') ?? '').includes('json');
  } catch {
    return false;
  }
}

export class Catalogue {
  readonly byId: Map<string, ItemMeta>;
  /** Categories by number of items, largest first. */
  readonly categories: string[];

  constructor(readonly items: ItemMeta[]) {
    this.byId = new Map(items.map((i) => [i.id, i]));
    const counts = new Map<string, number>();
    for (const it of items) for (const c of it.categories) counts.set(c, (counts.get(c) ?? 0) + 1);
    this.categories = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
  }

  static async load(manifestUrl: string): Promise<Catalogue> {
    const res = await fetch(new URL('items.json', new URL(manifestUrl, location.href)));
    if (!res.ok) throw new Error(`items.json: HTTP ${res.status}`);
    return new Catalogue((await res.json()) as ItemMeta[]);
  }

  inCategory(category: string): ItemMeta[] {
    return this.items.filter((i) => i.categories.includes(category));
  }
}

export function formatPrice(price: number | undefined): string {
  return price === undefined ? '' : `€${price.toFixed(2)}`;
}

export function titleCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
