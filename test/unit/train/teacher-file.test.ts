/**
 * train --teacher: item embeddings from another engine, written here as Parquet with
 * DuckDB in both layouts (Spark MLlib ALS itemFactors, BigQuery ML.WEIGHTS of a matrix
 * factorisation), read back, checked, and distilled from.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrainingData, type TrainingData } from '../../../src/data/split';
import { generateShop } from '../../../src/data/synthetic-shop';
import { MfAls } from '../../../src/eval/baselines/mf-als';
import { DEFAULT_POOLING } from '../../../src/model/weights';
import { DEFAULT_PIPELINE, trainPipeline, type PipelineOptions } from '../../../src/train/pipeline';
import { calibrateScale, readTeacherFile } from '../../../src/train/teacher-file';
import { initNodeTf } from '../../../src/train/tf-node';

const TINY: PipelineOptions = {
  ...DEFAULT_PIPELINE,
  student: { ...DEFAULT_PIPELINE.student, d: 4, hidden: 8, epochs: 1 },
  meta: { ...DEFAULT_PIPELINE.meta, steps: 6, tasksPerStep: 8 },
  contentBuckets: 16,
  threads: 1,
};
const D = 8;

let dir: string;
let train: TrainingData;
let factors: Float64Array;
const vectorOf = (i: number) => Array.from(factors.subarray(i * D, (i + 1) * D));
const list = (v: readonly number[]) => `[${v.map((x) => (Number.isNaN(x) ? "'nan'::FLOAT" : String(x))).join(', ')}]::FLOAT[]`;
const text = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Writes the rows of a SELECT as a Parquet file, as an engine's export would. */
async function parquet(file: string, select: string): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    await db.run(`COPY (${select}) TO ${text(file)} (FORMAT PARQUET)`);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
  return file;
}

/** Spark's itemFactors: id, features. `edit` changes a row's id or vector. */
function sparkRows(edit: (id: string, v: number[], i: number) => [string, number[]] = (id, v) => [id, v]): string {
  const rows = train.catalogue.ids.map((id, i) => edit(id, vectorOf(i), i)).map(([id, v]) => `(${text(id)}, ${list(v)})`);
  return `SELECT * FROM (VALUES ${rows.join(', ')}) t(id, features)`;
}

const opts = (share = 0.01) => ({ maxUnknownShare: share, pooling: DEFAULT_POOLING, seed: 1 });

beforeAll(async () => {
  await initNodeTf();
  dir = await mkdtemp(join(tmpdir(), 'localrec-teacher-'));
  train = buildTrainingData(generateShop({ users: 150, items: 40, seed: 7 }));
  const als = new MfAls({ factors: D, iterations: 5, seed: 1 });
  als.fit(train);
  factors = als.itemFactors().values;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('train --teacher: reading item embeddings', () => {
  it('reads Spark ALS itemFactors (a file, or a directory of parts) in the catalogue order', async () => {
    const file = await parquet(join(dir, 'spark.parquet'), `SELECT * FROM (${sparkRows()}) ORDER BY id DESC`);
    const t = await readTeacherFile(file, train, opts());
    expect(t.facts).toMatchObject({ layout: 'spark-als', d: D, rows: train.catalogue.ids.length, unknownIds: 0, itemsWithoutVector: 0, interactionsCovered: 1 });
    expect(t.model.n).toBe(train.catalogue.ids.length);
    for (let c = 0; c < D; c++) expect(t.model.itemIn[3 * D + c]).toBeCloseTo(vectorOf(3)[c], 5);
    // Scored as the engine relates items, at the calibrated scale.
    const scale = t.facts.scale as number;
    expect(scale).toBeGreaterThan(0);
    expect(t.model.itemOut[5]).toBeCloseTo(t.model.itemIn[5] * scale, 4);
    await mkdir(join(dir, 'itemFactors'));
    await parquet(join(dir, 'itemFactors', 'part-00000.parquet'), `${sparkRows()} LIMIT 20`);
    await parquet(join(dir, 'itemFactors', 'part-00001.parquet'), `${sparkRows()} OFFSET 20`);
    const parts = await readTeacherFile(join(dir, 'itemFactors'), train, opts());
    expect(parts.model.itemIn).toEqual(t.model.itemIn);
    expect(parts.key).toBe(t.key);
  });

  it('reads BigQuery ML.WEIGHTS: the item column\'s rows, factors in factor order, the intercept as the item bias', async () => {
    const users = train.users.slice(0, 5).map((u, k) => `('user_pseudo_id', ${text(u.user)}, [${vectorOf(k).map((w, f) => `{'factor': ${f + 1}, 'weight': ${w}}`).join(', ')}], 0.5)`);
    const items = train.catalogue.ids.map(
      (id, i) => `('item_id', ${text(id)}, [${vectorOf(i).map((w, f) => ({ f: f + 1, w })).reverse().map(({ f, w }) => `{'factor': ${f}, 'weight': ${w}}`).join(', ')}], ${0.01 * i})`,
    );
    const file = await parquet(join(dir, 'bqml.parquet'), `SELECT * FROM (VALUES ${[...users, ...items].join(', ')}) t(processed_input, feature, factor_weights, intercept)`);
    const t = await readTeacherFile(file, train, opts());
    expect(t.facts).toMatchObject({ layout: 'bigquery-ml', itemColumn: 'item_id', d: D, rows: train.catalogue.ids.length, unknownIds: 0 });
    for (let c = 0; c < D; c++) expect(t.model.itemIn[7 * D + c]).toBeCloseTo(vectorOf(7)[c], 5);
    expect(t.model.itemBias[7]).toBeCloseTo(0.07 * (t.facts.scale as number), 5);
  });

  it('refuses a broken file with a typed error naming the file and the problem', async () => {
    const cases: [string, string, string, string][] = [
      ['nan.parquet', sparkRows((id, v, i) => [id, i === 4 ? v.map((x, c) => (c === 2 ? NaN : x)) : v]), 'data-format', 'non-finite'],
      ['ragged.parquet', sparkRows((id, v, i) => [id, i === 9 ? v.slice(1) : v]), 'data-format', 'ragged-dims'],
      ['duplicate.parquet', sparkRows((id, v, i) => [i === 1 ? train.catalogue.ids[0] : id, v]), 'data-format', 'duplicate-id'],
      // Every fifth id is not an item of the data: far more than the 1% --max-bad-rows allows.
      ['unknown.parquet', sparkRows((id, v, i) => [i % 5 === 0 ? `other-${id}` : id, v]), 'data-format', 'unknown-ids'],
      // Indices instead of ids (Spark's StringIndexer): nothing matches.
      ['indices.parquet', sparkRows((_, v, i) => [String(i), v]), 'data-format', 'unknown-ids'],
      ['columns.parquet', `SELECT 'p1' AS item, [1.0]::FLOAT[] AS vec`, 'data-missing-column', ''],
    ];
    for (const [name, select, code, kind] of cases) {
      const file = await parquet(join(dir, name), select);
      const err = await readTeacherFile(file, train, opts()).then(
        () => null,
        (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
      );
      expect(err, name).not.toBeNull();
      expect(err!.code, name).toBe(code);
      expect(err!.message, name).toContain(file);
      if (kind) expect(err!.details.problem, name).toBe(kind);
    }
    // Within the allowed share, unknown ids are dropped and counted; too few covered interactions still fail.
    const some = await parquet(join(dir, 'some.parquet'), sparkRows((id, v, i) => [i % 5 === 0 ? `other-${id}` : id, v]));
    const t = await readTeacherFile(some, train, opts(0.5));
    expect(t.facts).toMatchObject({ unknownIds: 8, itemsWithoutVector: 8 });
    await expect(readTeacherFile(join(dir, 'nothing.parquet'), train, opts())).rejects.toHaveCode('data-missing-file');
  });

  it('calibrates the score scale: vectors twice as long give a quarter of the scale', () => {
    const t = { n: 40, d: D, hidden: 1, itemIn: Float32Array.from(factors), itemOut: Float32Array.from(factors), itemBias: new Float32Array(40), tower: { w1: new Float32Array(D), b1: new Float32Array(1), w2: new Float32Array(D), b2: new Float32Array(D) } };
    const doubled = { ...t, itemIn: t.itemIn.map((x) => 2 * x), itemOut: t.itemOut.map((x) => 2 * x) };
    const s = calibrateScale(t, train.users, DEFAULT_POOLING, 1);
    expect(calibrateScale(doubled, train.users, DEFAULT_POOLING, 1) / s).toBeCloseTo(0.25, 1);
  });
});

describe('train --teacher: distilling from it', () => {
  it('runs the student and meta stages on the imported teacher and reports it like a trained one', async () => {
    const file = await parquet(join(dir, 'teacher.parquet'), sparkRows());
    const teacher = await readTeacherFile(file, train, opts());
    const r = await trainPipeline(train, TINY, {}, undefined, { teacher });
    const report = r.report.teacher as Record<string, unknown>;
    expect(report).toMatchObject({ imported: true, import: { layout: 'spark-als', d: D } });
    expect(Number.isFinite(report.validationNdcg10)).toBe(true);
    expect(r.teacher).toBe(teacher.model);
    expect(r.weights.d).toBe(TINY.student.d);
    expect(Number.isFinite((r.report.meta as { validationNdcg10: number }).validationNdcg10)).toBe(true);
    // The student learned from the teacher: another teacher (the same vectors on other items) gives another student.
    const n = train.catalogue.ids.length;
    const other = await readTeacherFile(await parquet(join(dir, 'other.parquet'), sparkRows((id, _, i) => [id, vectorOf((i + 1) % n)])), train, opts());
    const r2 = await trainPipeline(train, TINY, {}, undefined, { teacher: other });
    expect(r2.student.itemOut).not.toEqual(r.student.itemOut);
  });
});
