export * from './types';
export { parseMovieLens, loadMovieLens } from './movielens';
export { parseEventsText, parseItemsText, loadEventsFile, formatFromPath, type EventsFormat } from './events-file';
export { EventsIngest, FIELD_NAMES, acceptedSpellings, canonicalColumn } from './ingest';
export { parseTimestamp, TIMESTAMP_WINDOW } from './timestamps';
export { normaliseId, idOf, MAX_ITEM_ID_LENGTH, MAX_USER_ID_LENGTH } from './ids';
export { ITEM_META_LIMITS } from './item-meta';
export { generateShop, DEFAULT_SHOP_OPTIONS, type ShopOptions } from './synthetic-shop';
export { createRng, type Rng } from './random';
export { dedupeInteractions, compareUserTsItem } from './dedupe';

import { LocalrecError } from '../errors';
import { formatFromPath, loadEventsFile, loadEventsFiles } from './events-file';
import { loadMovieLens } from './movielens';
import { generateShop } from './synthetic-shop';
import type { IngestResult } from './types';

const ENDINGS = ['csv', 'jsonl', 'ndjson', 'json', 'csv.gz', 'jsonl.gz', 'ndjson.gz', 'json.gz', 'parquet'];
const EVENT_FILE_NAMES = ENDINGS.map((e) => `events.${e}`);
const ITEM_FILE_NAMES = ENDINGS.map((e) => `items.${e}`);

/** The MovieLens small copy committed in the repo, found relative to this module (no machine paths). */
export async function movieLensSmallDir(): Promise<string> {
  const { fileURLToPath } = await import('node:url');
  return fileURLToPath(new URL('../../data/movielens-latest-small/', import.meta.url));
}

/**
 * Load a data set by a short spec (Node only):
 * - `movielens` → the repo's MovieLens small copy;
 * - `shop` or `shop:<seed>` → the synthetic shop with default options (and that seed);
 * - a `.csv` / `.json` / `.jsonl` / `.ndjson` (optionally `.gz`) or `.parquet` path → an events file
 *   (a GA4 BigQuery export as it is, see ingest.ts);
 * - a directory with `ratings.csv` → MovieLens format; a directory with `events.{csv,jsonl,ndjson}`
 *   (and optionally `items.{csv,jsonl,ndjson}`) → an events file with item metadata.
 */
export async function loadDataset(spec: string): Promise<IngestResult> {
  if (spec === 'movielens') return loadMovieLens(await movieLensSmallDir());
  const shop = /^shop(?::(.*))?$/.exec(spec);
  if (shop) {
    if (shop[1] === undefined) return { dataset: generateShop(), errors: [] };
    if (!/^-?\d+$/.test(shop[1])) {
      throw new LocalrecError('data-bad-spec', `bad data spec "${spec}": the shop seed must be an integer (e.g. shop:7)`, { spec });
    }
    return { dataset: generateShop({ seed: Number(shop[1]) }), errors: [] };
  }

  const { stat } = await import('node:fs/promises');
  const { basename, join, resolve } = await import('node:path');
  const info = await stat(spec).catch(() => null);
  if (info === null) {
    throw new LocalrecError('data-bad-spec',
      `bad data spec "${spec}": not "movielens", "shop[:seed]", an existing events file or a data directory`,
      { spec },
    );
  }
  if (!info.isDirectory()) {
    // A FIFO, socket or device named events.csv would block the read forever (or never end).
    if (!info.isFile()) throw new LocalrecError('data-unreadable-file', `${spec} is not a regular file`, { spec });
    return loadEventsFile(spec);
  }

  const exists = async (p: string) => (await stat(p).catch(() => null))?.isFile() ?? false;
  if (await exists(join(spec, 'ratings.csv'))) return loadMovieLens(spec);
  const shards = await exportShards(spec);
  for (const name of EVENT_FILE_NAMES) {
    if (!(await exists(join(spec, name)))) continue;
    let itemsPath: string | undefined;
    for (const itemsName of ITEM_FILE_NAMES) {
      if (await exists(join(spec, itemsName))) {
        itemsPath = join(spec, itemsName);
        break;
      }
    }
    return loadEventsFile(join(spec, name), { itemsPath, name: basename(resolve(spec)) });
  }
  if (shards.length > 0) return loadEventsFiles(shards, { name: basename(resolve(spec)) });
  throw new LocalrecError('data-missing-file',
    `data directory ${spec} has neither ratings.csv (MovieLens) nor events.csv, .json, .jsonl, .ndjson (optionally .gz) or .parquet, nor the shards of one export (events-*.json, …)`,
    { spec },
  );
}

/**
 * The shards of one export in a directory, in name order: files named `events-…` or
 * `events_…` of one supported format (BigQuery's `EXPORT DATA … uri = '…/events-*.json'`).
 */
async function exportShards(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const names = (await readdir(dir)).filter((f) => /^events[-_]/i.test(f)).sort();
  const typed = names.flatMap((f) => {
    try {
      return [{ f, format: formatFromPath(f) }];
    } catch {
      return [];
    }
  });
  if (typed.length === 0) return [];
  if (new Set(typed.map((t) => t.format)).size > 1) {
    throw new LocalrecError('data-format', `data directory ${dir} mixes export formats (${[...new Set(typed.map((t) => t.format))].join(', ')}); keep the shards of one export`, { spec: dir });
  }
  return typed.map((t) => join(dir, t.f));
}
