/** `train --teacher <file.parquet>`: the command line of a training that distils from another engine's item embeddings. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrainingData } from '../../../src/data/split';
import { generateShop } from '../../../src/data/synthetic-shop';
import { MfAls } from '../../../src/eval/baselines/mf-als';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);
const TINY = ['--no-checkpoint', '--student-epochs', '1', '--meta-steps', '2', '--threads', '1'];

async function train(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await run(TSX, [join(ROOT, 'src', 'cli', 'train.ts'), ...args], { cwd: ROOT, timeout: 120_000 })) };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localrec-train-teacher-'));
  const shop = generateShop({ users: 200, items: 60, seed: 3 });
  await writeFile(join(dir, 'events.csv'), ['user,item,type,timestamp', ...shop.interactions.map((e) => `${e.user},${e.item},${e.type},${e.ts}`)].join('\n') + '\n');
  // What an ALS engine hands over, fitted on the same events: item id and factors.
  const data = buildTrainingData(shop);
  const als = new MfAls({ factors: 8, iterations: 5, seed: 1 });
  als.fit(data);
  const { d, values } = als.itemFactors();
  const rows = data.catalogue.ids.map((id, i) => `('${id}', [${Array.from(values.subarray(i * d, (i + 1) * d)).join(', ')}]::FLOAT[])`);
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(`COPY (SELECT * FROM (VALUES ${rows.join(', ')}) t(id, features)) TO '${join(dir, 'als.parquet')}' (FORMAT PARQUET)`);
  await db.run(`COPY (SELECT id, CASE WHEN id = '${data.catalogue.ids[3]}' THEN features[1:3] ELSE features END AS features FROM '${join(dir, 'als.parquet')}') TO '${join(dir, 'ragged.parquet')}' (FORMAT PARQUET)`);
  db.closeSync();
  instance.closeSync();
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('train --teacher', () => {
  it('distils from the file instead of training a teacher, and says so in the run and the manifest', async () => {
    const r = await train(['--data', join(dir, 'events.csv'), '--teacher', join(dir, 'als.parquet'), '--out', join(dir, 'model'), ...TINY]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/teacher from .*als\.parquet \(spark-als, 8 dimensions\): 60 rows, 0 ids not in the data/);
    expect(r.stdout).toMatch(/teacher done: validation [\d.]+× popularity, imported=true/);
    const m = JSON.parse(await readFile(join(dir, 'model', 'manifest.json'), 'utf8')) as { training: { teacher: { imported: { layout: string; d: number } } } };
    expect(m.training.teacher.imported).toMatchObject({ layout: 'spark-als', d: 8 });
  }, 120_000);

  it('refuses a broken file in one line naming it, before training', async () => {
    const r = await train(['--data', join(dir, 'events.csv'), '--teacher', join(dir, 'ragged.parquet'), '--out', join(dir, 'x'), ...TINY]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/LocalrecError \[data-format\]: --teacher .*ragged\.parquet: row \d+ \(id p\d+\) has 3 dimensions, the first row 8 \(see --help\)/);
    expect(r.stdout).not.toMatch(/training on/);
  }, 120_000);
});
