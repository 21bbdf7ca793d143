import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMovieLens, parseMovieLens } from '../../../src/data/movielens';

const MOVIES = [
  'movieId,title,genres',
  '1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy',
  '11,"American President, The (1995)",Comedy|Drama|Romance',
  '12,No Genre Film (2018),(no genres listed)',
].join('\n');

describe('parseMovieLens', () => {
  it.each(['-5', '0', '5.5', '1e308'])('refuses rating %s, outside MovieLens\' 0.5–5 scale, as a bad row with a reason', (rating) => {
    const { dataset, errors } = parseMovieLens(`userId,movieId,rating,timestamp\n1,1,${rating},964982703\n1,11,5,964982703\n`, MOVIES, 'tiny');
    expect(dataset.interactions.map((i) => i.rating)).toEqual([5]);
    expect(errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringMatching(/0\.5 to 5/) })]);
  });

  it('turns every good rating row into a rating interaction with the timestamp in milliseconds', () => {
    const ratings = 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,11,3.5,964982000\n';
    const { dataset, errors } = parseMovieLens(ratings, MOVIES, 'tiny');
    expect(errors).toEqual([]);
    expect(dataset.name).toBe('tiny');
    expect(dataset.interactions).toEqual([
      { user: '1', item: '1', type: 'rating', ts: 964982703000, rating: 4 },
      { user: '2', item: '11', type: 'rating', ts: 964982000000, rating: 3.5 },
    ]);
  });

  it('reads quoted titles that contain commas and splits genres on "|"', () => {
    const { dataset } = parseMovieLens('userId,movieId,rating,timestamp\n', MOVIES);
    expect(dataset.items.get('11')).toEqual({
      id: '11',
      title: 'American President, The (1995)',
      categories: ['Comedy', 'Drama', 'Romance'],
    });
    expect(dataset.items.get('1')?.categories).toHaveLength(5);
  });

  it('maps "(no genres listed)" to an empty category list', () => {
    const { dataset } = parseMovieLens('userId,movieId,rating,timestamp\n', MOVIES);
    expect(dataset.items.get('12')?.categories).toEqual([]);
  });

  it('reports each kind of bad rating row with its line and keeps the good rows', () => {
    const ratings = [
      'userId,movieId,rating,timestamp', // 1
      '1,1,4.0,964982703', // 2 good
      '1,11,4.0', // 3 too few columns
      'x,11,4.0,964981247', // 4 non-numeric user
      '1,abc,4.0,964981247', // 5 non-numeric movie
      '1,12,great,964981247', // 6 non-numeric rating
      '1,12,4.0,NaN', // 7 NaN timestamp
      '', // 8 blank line: skipped silently
      '2,1,3.5,964982000', // 9 good
      '2,12,3.5,', // 10 empty timestamp
      '2,12,3.5,964982000,extra', // 11 too many columns
    ].join('\n');
    const { dataset, errors } = parseMovieLens(ratings, MOVIES);
    expect(dataset.interactions.map((x) => `${x.user}:${x.item}`)).toEqual(['1:1', '2:1']);
    expect(errors.map((e) => [e.file, e.line])).toEqual([
      ['ratings.csv', 3],
      ['ratings.csv', 4],
      ['ratings.csv', 5],
      ['ratings.csv', 6],
      ['ratings.csv', 7],
      ['ratings.csv', 10],
      ['ratings.csv', 11],
    ]);
    expect(errors[0].message).toMatch(/expected 4 columns, found 3/);
    expect(errors[1].message).toMatch(/userId "x"/);
    expect(errors[3].message).toMatch(/rating "great"/);
    expect(errors[4].message).toMatch(/timestamp "NaN"/);
  });

  it('counts lines correctly after a quoted title that spans two lines', () => {
    const movies = 'movieId,title,genres\n5,"Two\nLines",Drama\nbad,Title,Drama\n';
    const { dataset, errors } = parseMovieLens('userId,movieId,rating,timestamp\n', movies);
    expect(dataset.items.get('5')?.title).toBe('Two\nLines');
    expect(errors).toEqual([{ file: 'movies.csv', line: 4, message: 'movieId "bad" is not a non-negative integer' }]);
  });

  it('reports an unquoted title with a comma as a column-count error instead of a garbled movie', () => {
    const movies = 'movieId,title,genres\n11,American President, The (1995),Comedy\n';
    const { dataset, errors } = parseMovieLens('userId,movieId,rating,timestamp\n', movies);
    expect(dataset.items.has('11')).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'movies.csv', line: 2 });
  });

  it('gives movies rated but missing from movies.csv a minimal catalogue entry', () => {
    const { dataset } = parseMovieLens('userId,movieId,rating,timestamp\n3,999,5,1\n', MOVIES);
    expect(dataset.items.get('999')).toEqual({ id: '999', title: '999', categories: [] });
  });

  it('throws data-missing-column when ratings.csv lacks a required column', () => {
    expect(() => parseMovieLens('userId,movieId,rating\n1,1,4\n', MOVIES)).toHaveCode('data-missing-column');
    try {
      parseMovieLens('userId,movieId,rating\n1,1,4\n', MOVIES);
    } catch (e) {
      expect(e).toHaveCode('data-missing-column');
    }
  });
});

describe('loadMovieLens', () => {
  it('loads the MovieLens small copy in the repo: 100,836 ratings, 610 users, 9,742 movies, no errors', async () => {
    const dir = fileURLToPath(new URL('../../../data/movielens-latest-small/', import.meta.url));
    const { dataset, errors } = await loadMovieLens(dir);
    expect(errors).toEqual([]);
    expect(dataset.name).toBe('movielens-latest-small');
    expect(dataset.interactions).toHaveLength(100_836);
    expect(new Set(dataset.interactions.map((x) => x.user)).size).toBe(610);
    expect(dataset.items.size).toBe(9742);
    expect(dataset.interactions.every((x) => x.type === 'rating' && Number.isFinite(x.ts))).toBe(true);
    expect(dataset.items.get('11')?.title).toBe('American President, The (1995)');
  });

  it('rejects a directory without ratings.csv with a missing-file error', async () => {
    await expect(loadMovieLens('/nonexistent-localrec-dir')).rejects.toHaveCode('data-missing-file');
  });
});
