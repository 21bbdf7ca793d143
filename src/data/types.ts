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
  /** The first malformed rows (at most MAX_ROW_ERRORS_KEPT; `summary.bad` counts them all). */
  errors: RowError[];
  /** What happened to each input row: set by the events-file readers, absent for the built-in data sets. */
  summary?: IngestSummary;
}

/** Malformed rows kept with their message; the rest are only counted, so a broken multi-gigabyte file cannot fill memory. */
export const MAX_ROW_ERRORS_KEPT = 1000;

/** What an events-file ingestion did with its rows, for a person to act on. */
export interface IngestSummary {
  /** Input rows read (events; a flattened export has one per event and item). Blank lines are not rows. */
  rows: number;
  /** Interactions kept, per type, before duplicates of a (user, item) pair are merged. */
  kept: Record<EventType, number>;
  /** Rows skipped because their event is not a shopping interaction, by event name (someone else's events). */
  skippedEvents: Record<string, number>;
  /** Interaction rows naming no item (no items[], an empty one, or '(not set)'), by event name. */
  noItem: Record<string, number>;
  /** Malformed rows (the first ones are in `errors`). */
  bad: number;
  /** Where items.json's titles and categories come from. */
  itemMeta: {
    source: 'items file' | 'export' | 'none';
    /** Catalogue items with a title other than their id. */
    titled: number;
    /** Catalogue items with at least one category. */
    categorised: number;
  };
}
