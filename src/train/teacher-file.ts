/**
 * A teacher trained elsewhere (`train --teacher <file.parquet>`): item embeddings from an
 * existing engine, read with DuckDB (its npm package ships its binary), checked, and made
 * into a teacher the student and meta stages distil from. Node only. Two layouts (the
 * format is documented in docs/training.md):
 *
 * - Spark MLlib ALS `model.itemFactors` (`model.save` writes it under `itemFactors/`):
 *   `id` (the item id; integer or string) and `features` (array<float>).
 * - BigQuery ML matrix factorisation, `ML.WEIGHTS(MODEL …)` exported to Parquet:
 *   `processed_input` (which input column a row belongs to: the user or the item column),
 *   `feature` (the user or item id), `factor_weights` (array<struct<factor, weight>>) and
 *   `intercept`. Only the rows of the item column are read; with no `processed_input`
 *   (exported with a WHERE on it), every row is an item.
 *
 * The teacher scores an item for a context as its engine would relate items: the
 * (event-weighted) mean of the context items' vectors dotted with the item's vector, plus
 * the item's intercept where the engine has one. Its scale is calibrated (see
 * calibrateScale): an engine's dot products have no fixed scale, while distillation
 * reads them as logits.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LocalrecError } from '../errors';
import type { ItemIndex, UserSequence } from '../data/split';
import { createRng } from '../data/random';
import type { PoolingConfig } from '../model/manifest';
import { poolingWeights } from '../model/pooling';
import type { TableModel } from '../model/weights';
import type { ImportedTeacher } from './pipeline';

/** Which engine's layout a teacher file has. */
export type TeacherLayout = 'spark-als' | 'bigquery-ml';

/** One item's vector (and intercept) as read from the file. */
interface TeacherRow {
  id: string;
  vector: number[];
  intercept: number;
}

/**
 * Below this share of the data's interactions on items the file has vectors for, most
 * distillation targets would be about items the teacher knows nothing of: the file and
 * the data do not describe the same catalogue (a different id space, e.g. Spark's
 * StringIndexer indices instead of item ids).
 */
export const MIN_TEACHER_COVERAGE = 0.5;

function problem(path: string, kind: string, message: string, details: Record<string, string | number> = {}): LocalrecError {
  return new LocalrecError('data-format', `--teacher ${path}: ${message}`, { path, problem: kind, ...details });
}

/** A file, or a directory of Parquet parts (what Spark's `save` writes), as DuckDB's read_parquet argument. */
async function parquetSource(path: string): Promise<string> {
  const s = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'ENOENT' ? new LocalrecError('data-missing-file', `--teacher ${path}: no such file`, { path }) : e;
  });
  if (!s.isDirectory()) return path;
  const parts = (await readdir(path)).filter((f) => f.endsWith('.parquet'));
  if (parts.length === 0) throw new LocalrecError('data-missing-file', `--teacher ${path}: a directory without .parquet files`, { path });
  return join(path, '*.parquet');
}

const sqlName = (c: string) => `"${c.replaceAll('"', '""')}"`;

/** Reads the file's rows (ids as text, vectors as numbers), in file order; the layout comes from its columns. */
async function readRows(path: string, catalogue: ItemIndex): Promise<{ layout: TeacherLayout; rows: TeacherRow[]; itemColumn: string | null }> {
  const source = await parquetSource(path);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '1GB' });
  const db = await instance.connect();
  try {
    let columns: Map<string, string>;
    try {
      const described = await db.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [source]);
      columns = new Map(described.getRowObjectsJS().map((r) => [String(r.column_name).toLowerCase(), String(r.column_name)]));
    } catch (err) {
      throw new LocalrecError('data-unreadable-file', `--teacher ${path}: not a readable Parquet file (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`, { path });
    }
    const col = (name: string) => sqlName(columns.get(name)!);
    if (columns.has('id') && columns.has('features')) {
      const sql = `SELECT CAST(${col('id')} AS VARCHAR), ${col('features')} FROM read_parquet($1)`;
      return { layout: 'spark-als', rows: await collect<TeacherRow>(db, sql, source, (r) => ({ id: r[0], vector: r[1], intercept: 0 })), itemColumn: null };
    }
    if (columns.has('feature') && columns.has('factor_weights')) {
      const intercept = columns.has('intercept') ? col('intercept') : '0';
      const input = columns.has('processed_input') ? col('processed_input') : 'NULL';
      // Each struct's weight ordered by its factor number: the vector's dimensions in the engine's order.
      const vector = `list_transform(list_sort(list_transform(${col('factor_weights')}, x -> [x.factor::DOUBLE, x.weight::DOUBLE])), x -> x[2])`;
      const sql = `SELECT CAST(${col('feature')} AS VARCHAR), ${vector}, ${intercept}, CAST(${input} AS VARCHAR) FROM read_parquet($1)`;
      const tagged = await collect<TeacherRow & { input: string | null }>(db, sql, source, (r) => ({ id: r[0], vector: r[1], intercept: r[2], input: r[3] }));
      const { rows, itemColumn } = itemRows(tagged, catalogue);
      return { layout: 'bigquery-ml', rows, itemColumn };
    }
    throw new LocalrecError(
      'data-missing-column',
      `--teacher ${path}: expected Spark ALS item factors (columns id, features) or BigQuery ML weights (feature, factor_weights[, processed_input, intercept]); it has ${[...columns.values()].join(', ')}`,
      { path },
    );
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

/** Streams a query's rows, a chunk at a time, into JS objects. */
async function collect<T>(db: DuckDBConnection, sql: string, source: string, make: (r: readonly unknown[]) => Record<string, unknown>): Promise<T[]> {
  const out: T[] = [];
  const result = await db.stream(sql, [source]);
  for await (const rows of result.yieldRowsJs()) for (const r of rows) out.push(make(r) as T);
  return out;
}

/**
 * ML.WEIGHTS holds the user column's rows and the item column's: the item column is the
 * `processed_input` whose ids name the most catalogue items.
 */
function itemRows(tagged: (TeacherRow & { input: string | null })[], catalogue: ItemIndex): { rows: TeacherRow[]; itemColumn: string | null } {
  const groups = new Map<string | null, TeacherRow[]>();
  for (const r of tagged) {
    const g = groups.get(r.input) ?? [];
    g.push(r);
    groups.set(r.input, g);
  }
  let best: [string | null, TeacherRow[]] = [null, []];
  let bestKnown = -1;
  for (const [input, rows] of groups) {
    const known = rows.reduce((a, r) => a + (catalogue.index.has(String(r.id)) ? 1 : 0), 0);
    if (known > bestKnown) [best, bestKnown] = [[input, rows], known];
  }
  return { rows: best[1], itemColumn: best[0] };
}

/** Checks every row: an id, a vector of one length for all, finite numbers, each id once. */
function checkRows(path: string, rows: readonly TeacherRow[]): number {
  if (rows.length === 0) throw problem(path, 'empty', 'no item rows');
  const seen = new Set<string>();
  let d = -1;
  rows.forEach((r, i) => {
    const where = `row ${i + 1}${r.id === null ? '' : ` (id ${r.id})`}`;
    if (r.id === null || r.id === '') throw problem(path, 'missing-id', `${where} has no id`, { row: i + 1 });
    if (seen.has(r.id)) throw problem(path, 'duplicate-id', `${where}: the id appears twice`, { row: i + 1, id: r.id });
    seen.add(r.id);
    if (!Array.isArray(r.vector) || r.vector.length === 0) throw problem(path, 'missing-vector', `${where} has no vector`, { row: i + 1, id: r.id });
    if (d < 0) d = r.vector.length;
    if (r.vector.length !== d) throw problem(path, 'ragged-dims', `${where} has ${r.vector.length} dimensions, the first row ${d}`, { row: i + 1, id: r.id, dims: r.vector.length, expected: d });
    const bad = r.vector.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0) throw problem(path, 'non-finite', `${where} has ${String(r.vector[bad])} at dimension ${bad}`, { row: i + 1, id: r.id, dim: bad });
    if (typeof r.intercept !== 'number' || !Number.isFinite(r.intercept)) throw problem(path, 'non-finite', `${where} has intercept ${String(r.intercept)}`, { row: i + 1, id: r.id });
  });
  return d;
}

/**
 * Reads and checks a teacher file against the training catalogue and builds the teacher:
 * rows in catalogue order (catalogue items the file lacks get a zero vector and intercept,
 * so the teacher is indifferent to them), scored through an identity tower. Ids the data
 * does not know may be at most `maxUnknownShare` of the rows (the run's --max-bad-rows):
 * past it, or when the file covers less than MIN_TEACHER_COVERAGE of the data's
 * interactions, the file and the data do not describe the same items.
 */
export async function readTeacherFile(
  path: string,
  train: { catalogue: ItemIndex; itemCounts: Int32Array; users: readonly UserSequence[] },
  opts: { maxUnknownShare: number; pooling: PoolingConfig; seed: number },
): Promise<ImportedTeacher> {
  const { layout, rows, itemColumn } = await readRows(path, train.catalogue);
  const d = checkRows(path, rows);
  const unknown = rows.filter((r) => !train.catalogue.index.has(r.id));
  if (unknown.length > opts.maxUnknownShare * rows.length) {
    throw problem(
      path,
      'unknown-ids',
      `${unknown.length} of ${rows.length} ids are not items of the data (more than --max-bad-rows ${opts.maxUnknownShare}), e.g. ${unknown.slice(0, 3).map((r) => r.id).join(', ')}; the file's ids must be the events' item ids`,
      { unknown: unknown.length, rows: rows.length },
    );
  }
  const n = train.catalogue.ids.length;
  const vectors = new Float32Array(n * d);
  const bias = new Float32Array(n);
  const has = new Uint8Array(n);
  for (const r of rows) {
    const i = train.catalogue.index.get(r.id);
    if (i === undefined) continue;
    vectors.set(r.vector, i * d);
    bias[i] = r.intercept;
    has[i] = 1;
  }
  const total = train.itemCounts.reduce((a, c) => a + c, 0);
  const covered = train.itemCounts.reduce((a, c, i) => a + (has[i] ? c : 0), 0);
  if (covered < MIN_TEACHER_COVERAGE * total) {
    throw problem(path, 'coverage', `its vectors cover ${covered} of the data's ${total} interactions (less than ${MIN_TEACHER_COVERAGE * 100}%); the file's ids must be the events' item ids`, { covered, total });
  }
  const raw: TableModel = { n, d, hidden: 1, itemIn: vectors, itemOut: vectors, itemBias: bias, tower: identityTower(d) };
  const scale = calibrateScale(raw, train.users, opts.pooling, opts.seed);
  const scaled = { ...raw, itemOut: vectors.map((x) => x * scale), itemBias: bias.map((x) => x * scale) };
  return {
    model: scaled,
    key: `${layout}:${d}:${fnv(vectors)}:${fnv(bias)}`,
    facts: {
      file: path,
      layout,
      ...(itemColumn ? { itemColumn } : {}),
      d,
      rows: rows.length,
      unknownIds: unknown.length,
      itemsWithoutVector: n - has.reduce((a, h) => a + h, 0),
      interactionsCovered: covered / total,
      scale,
    },
  };
}

/** u = p: w1, b1, w2 and b2 all zero (u = p + relu(p·w1 + b1)·w2 + b2). */
function identityTower(d: number): TableModel['tower'] {
  return { w1: new Float32Array(d), b1: new Float32Array(1), w2: new Float32Array(d), b2: new Float32Array(d) };
}

function fnv(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h.toString(16);
}

/** Next-item examples the calibration reads: at most this many, drawn with the seed from the fitting users. */
const CALIBRATION_EXAMPLES = 512;

/**
 * The scale s that makes softmax(s · score) over the whole catalogue best predict each
 * next item from the items before it (mean log-likelihood over a seeded sample of
 * training positions). The log-likelihood is concave in s (a linear term minus a
 * log-sum-exp), hence unimodal in log s: stepping log₂ s until it falls brackets the
 * maximum and a golden-section search finds it inside the bracket (no grid edge to sit on).
 */
export function calibrateScale(m: TableModel, users: readonly UserSequence[], pooling: PoolingConfig, seed: number): number {
  const rng = createRng(seed);
  const positions: [number, number][] = [];
  users.forEach((u, ui) => {
    for (let j = 1; j < u.events.length; j++) positions.push([ui, j]);
  });
  const sample = positions.length <= CALIBRATION_EXAMPLES ? positions : rng.shuffle(positions).slice(0, CALIBRATION_EXAMPLES);
  const { n, d } = m;
  const examples = sample.map(([ui, j]) => {
    const history = users[ui].events.slice(0, j);
    const { start, weights } = poolingWeights(history, pooling);
    const p = new Float64Array(d);
    weights.forEach((w, k) => {
      const row = history[start + k].index * d;
      for (let c = 0; c < d; c++) p[c] += w * m.itemIn[row + c];
    });
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = m.itemBias[i];
      for (let c = 0; c < d; c++) s += p[c] * m.itemOut[i * d + c];
      scores[i] = s;
    }
    return { scores, target: users[ui].events[j].index };
  });
  const logLikelihood = (s: number): number => {
    let total = 0;
    for (const { scores, target } of examples) {
      let max = -Infinity;
      for (let i = 0; i < n; i++) max = Math.max(max, s * scores[i]);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.exp(s * scores[i] - max);
      total += s * scores[target] - max - Math.log(sum);
    }
    return total / Math.max(1, examples.length);
  };
  // Unimodal in log s too: step log₂ s from 0 up (or down) while the likelihood rises, then
  // search the bracket [k − 1, k + 1] around the best step by golden sections.
  const at = (k: number) => logLikelihood(2 ** k);
  let k = 0;
  let f = at(0);
  const dir = at(1) > f ? 1 : -1;
  for (let step = 0; step < 64; step++) {
    const g = at(k + dir);
    if (!(g > f)) break;
    k += dir;
    f = g;
  }
  let lo = k - 1;
  let hi = k + 1;
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = at(a);
  let fb = at(b);
  // Down to 1% in s.
  while (hi - lo > 0.015) {
    if (fa > fb) {
      hi = b;
      [b, fb] = [a, fa];
      a = hi - phi * (hi - lo);
      fa = at(a);
    } else {
      lo = a;
      [a, fa] = [b, fb];
      b = lo + phi * (hi - lo);
      fb = at(b);
    }
  }
  return 2 ** ((lo + hi) / 2);
}
