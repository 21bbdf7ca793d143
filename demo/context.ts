/** What every page of the demo shop gets: the catalogue, the cart and the recommender once it is ready. */
import type { EventType } from '../src/index';
import type { Cart } from './cart';
import type { Catalogue, CatalogueChoice } from './catalogue';
import type { Recommender } from './recommender';

export interface ShopContext {
  catalogue: Catalogue;
  choice: CatalogueChoice;
  cart: Cart;
  /** Null when the recommender could not start (the page still sells). */
  ready: Promise<Recommender | null>;
  /** Reports an interaction through the embed's queue (dropped by the SDK while consent is not granted). */
  track(item: string, type: Exclude<EventType, 'rating'>): void;
}
