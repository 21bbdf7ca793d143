import { headerIndex, readCsvRecords } from './csv';
import { MOVIELENS_RATING, onScale } from './ratings';
import { parseDecimal, quote } from './text';
import { LocalrecError } from '../errors';
import type { Interaction, IngestResult, ItemMeta, RowError } from './types';

const RATINGS_COLUMNS = ['userid', 'movieid', 'rating', 'timestamp'] as const;
const MOVIES_COLUMNS = ['movieid', 'title', 'genres'] as const;
const NO_GENRES = '(no genres listed)';
const INTEGER_ID = /^\d+$/;

/**
 * Parse MovieLens `ratings.csv` + `movies.csv` text (ml-latest / ml-latest-small format).
 * Every rating becomes a `rating` interaction (timestamp seconds → ms). Bad rows are
 * reported with their line and skipped; a missing header column is thrown as a LocalrecError ('data-missing-column').
 */
export function parseMovieLens(ratingsCsv: string, moviesCsv: string, name = 'movielens'): IngestResult {
  const errors: RowError[] = [];
  const items = parseMovies(moviesCsv, errors);

  const { rows, col, width } = readTable(ratingsCsv, 'ratings.csv', RATINGS_COLUMNS, errors);
  const interactions: Interaction[] = [];

  for (const { line, fields } of rows) {
    const fail = (message: string) => errors.push({ line, message, file: 'ratings.csv' });
    if (fields.length !== width) {
      fail(`expected ${width} columns, found ${fields.length}`);
      continue;
    }
    const user = fields[col.userid].trim();
    const item = fields[col.movieid].trim();
    const rawRating = fields[col.rating];
    const rawTs = fields[col.timestamp];
    if (!INTEGER_ID.test(user)) {
      fail(`userId ${quote(user)} is not a non-negative integer`);
      continue;
    }
    if (!INTEGER_ID.test(item)) {
      fail(`movieId ${quote(item)} is not a non-negative integer`);
      continue;
    }
    const rating = parseDecimal(rawRating);
    if (rating === undefined || !onScale(rating, MOVIELENS_RATING)) {
      fail(`rating ${quote(rawRating)} is not a number from ${MOVIELENS_RATING.min} to ${MOVIELENS_RATING.max} (MovieLens' scale)`);
      continue;
    }
    const seconds = parseDecimal(rawTs);
    if (seconds === undefined || seconds < 0) {
      fail(`timestamp ${quote(rawTs)} is not a non-negative number of seconds`);
      continue;
    }
    const movieId = canonicalId(item);
    interactions.push({ user: canonicalId(user), item: movieId, type: 'rating', ts: Math.round(seconds * 1000), rating });
    // Ratings of movies absent from movies.csv still count; give them a minimal entry.
    if (!items.has(movieId)) items.set(movieId, { id: movieId, title: movieId, categories: [] });
  }
  return { dataset: { name, interactions, items }, errors };
}

function parseMovies(moviesCsv: string, errors: RowError[]): Map<string, ItemMeta> {
  const items = new Map<string, ItemMeta>();
  const { rows, col, width } = readTable(moviesCsv, 'movies.csv', MOVIES_COLUMNS, errors);

  for (const { line, fields } of rows) {
    const fail = (message: string) => errors.push({ line, message, file: 'movies.csv' });
    if (fields.length !== width) {
      fail(`expected ${width} columns, found ${fields.length} (quote titles that contain commas)`);
      continue;
    }
    const rawId = fields[col.movieid].trim();
    if (!INTEGER_ID.test(rawId)) {
      fail(`movieId ${quote(rawId)} is not a non-negative integer`);
      continue;
    }
    const id = canonicalId(rawId);
    if (items.has(id)) {
      fail(`duplicate movieId ${id} (first definition kept)`);
      continue;
    }
    const genres = fields[col.genres].trim();
    items.set(id, {
      id,
      title: fields[col.title].trim() || id,
      categories: genres === '' || genres === NO_GENRES ? [] : genres.split('|').map((g) => g.trim()).filter(Boolean),
    });
  }
  return items;
}

/** A CSV file's data rows, its required columns' indices and the header's width; CSV-level errors go to `errors`. */
function readTable<K extends string>(text: string, file: string, columns: readonly K[], errors: RowError[]) {
  const { records, errors: csvErrors } = readCsvRecords(text, file);
  errors.push(...csvErrors);
  const [header, ...rows] = records;
  return { rows, col: requireColumns(header?.fields ?? [], columns, file), width: header?.fields.length ?? 0 };
}

/** Column name → index; throws when the header lacks a required column (a whole-file problem). */
function requireColumns<K extends string>(header: string[], names: readonly K[], file: string): Record<K, number> {
  const idx = headerIndex(header);
  const missing = names.filter((n) => !idx.has(n));
  if (missing.length > 0) {
    throw new LocalrecError('data-missing-column',
      `${file}: header ${quote(header.join(','))} lacks column(s) ${missing.join(', ')} (case-insensitive)`,
      { file, missing: missing.join(', ') },
    );
  }
  return Object.fromEntries(names.map((n) => [n, idx.get(n)])) as Record<K, number>;
}

/** "007" and "7" are the same movie. */
function canonicalId(digits: string): string {
  const s = digits.replace(/^0+(?=\d)/, '');
  return s;
}

/**
 * Read a MovieLens directory (ratings.csv required, movies.csv optional). Node only: fs is
 * imported lazily so the parse functions above stay usable in the browser bundle.
 */
export async function loadMovieLens(dir: string): Promise<IngestResult> {
  const { readFile } = await import('node:fs/promises');
  const { join, basename, resolve } = await import('node:path');
  const read = async (file: string, required: boolean): Promise<string> => {
    try {
      return await readFile(join(dir, file), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !required) return 'movieId,title,genres\n';
      if (code === 'ENOENT') {
        throw new LocalrecError('data-missing-file', `MovieLens directory ${dir} has no ${file}`, { dir, file });
      }
      throw new LocalrecError('data-unreadable-file', `cannot read ${join(dir, file)}: ${String(err)}`, { dir, file });
    }
  };
  const [ratings, movies] = await Promise.all([read('ratings.csv', true), read('movies.csv', false)]);
  return parseMovieLens(ratings, movies, basename(resolve(dir)));
}
