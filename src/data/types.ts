/** Event kinds the SDK and the trainer understand. `rating` is explicit feedback, treated as implicit. */
export const EVENT_TYPES = ['view', 'cart', 'purchase', 'rating'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One user–item interaction. Timestamps are milliseconds since the epoch. */
export interface Interaction {
  user: string;
  item: string;
  type: EventType;
  ts: number;
  /** Only for `type === 'rating'`. */
  rating?: number;
}

/** What the catalogue knows about an item: used for display and for content features of new items. */
export interface ItemMeta {
  id: string;
  title: string;
  /** Top-level category (shop) or genres (MovieLens). */
  categories: string[];
  brand?: string;
  price?: number;
  /** Product image URL (absolute, or relative to the page that shows it). */
  image?: string;
  /** Product page URL (absolute, or relative to the page that shows it). */
  url?: string;
}

/** A data set as ingested: interactions plus the catalogue. */
export interface Dataset {
  name: string;
  interactions: Interaction[];
  items: Map<string, ItemMeta>;
}

/** A malformed input row, reported (never thrown) by the ingestion functions. */
export interface RowError {
  /** 1-based line number in the source file (header is line 1 for CSV). */
  line: number;
  message: string;
  /** Which input file, when an ingestion reads more than one (e.g. `ratings.csv`, `movies.csv`). */
  file?: string;
}

export interface IngestResult {
  dataset: Dataset;
  errors: RowError[];
}
