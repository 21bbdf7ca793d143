/** `train --from <model dir>`: the command line of a continued training, and its refusals. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateShop } from '../../../src/data/synthetic-shop';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);
const TINY = ['--no-checkpoint', '--teacher-epochs', '1', '--student-epochs', '1', '--meta-steps', '2', '--threads', '1'];

async function train(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(TSX, [join(ROOT, 'src', 'cli', 'train.ts'), ...args], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

interface Manifest {
  name: string;
  modelVersion: number;
  itemIds: string[];
  pooling: unknown;
  training: { from?: Record<string, unknown>; teacher?: unknown };
}
const manifest = async (dir: string) => JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localrec-train-from-'));
  const shop = generateShop({ users: 200, items: 60, seed: 3 });
  const ids = [...shop.items.keys()].sort();
  const later = new Set(ids.filter((_, i) => i % 5 === 0));
  const cut = [...shop.interactions].sort((a, b) => a.ts - b.ts)[Math.floor(shop.interactions.length * 0.7)].ts;
  const csv = (rows: typeof shop.interactions) => ['user,item,type,timestamp', ...rows.map((e) => `${e.user},${e.item},${e.type},${e.ts}`)].join('\n') + '\n';
  await writeFile(join(dir, 'old.csv'), csv(shop.interactions.filter((e) => e.ts < cut && !later.has(e.item))));
  await writeFile(join(dir, 'all.csv'), csv(shop.interactions));
  const base = await train(['--data', join(dir, 'old.csv'), '--out', join(dir, 'v4'), '--name', 'myshop', '--model-version', '4', ...TINY]);
  expect(base.code, base.stderr).toBe(0);
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('train --from', () => {
  it('writes the next version of the same model, its items first at their rows, the new ones after', async () => {
    const r = await train(['--data', join(dir, 'all.csv'), '--from', join(dir, 'v4'), '--out', join(dir, 'v5'), '--meta-steps', '2', '--no-checkpoint', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/continuing myshop version 4 as version 5: its \d+ items keep their rows .* \d+ new items start from/);
    // No teacher is trained; the student starts from the published model.
    expect(r.stdout).not.toMatch(/teacher done/);
    expect(r.stdout).toMatch(/student done: .*published model/);
    const [old, next] = [await manifest(join(dir, 'v4')), await manifest(join(dir, 'v5'))];
    expect(next).toMatchObject({ name: 'myshop', modelVersion: 5 });
    expect(next.itemIds.slice(0, old.itemIds.length)).toEqual(old.itemIds);
    expect(next.itemIds.length).toBeGreaterThan(old.itemIds.length);
    expect(next.pooling).toEqual(old.pooling);
    expect(next.training.from).toMatchObject({ name: 'myshop', modelVersion: 4, known: old.itemIds.length, added: next.itemIds.length - old.itemIds.length });
    expect(next.training.teacher).toBeNull();
  }, 120_000);

  it('refuses a missing model and a version that is not later than the published one, before training', async () => {
    const missing = await train(['--data', join(dir, 'all.csv'), '--from', join(dir, 'nothing-here'), '--out', join(dir, 'x')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\[data-missing-file\]: --from .*nothing-here: no model there.*\(see --help\)/);
    const older = await train(['--data', join(dir, 'all.csv'), '--from', join(dir, 'v4'), '--model-version', '4', '--out', join(dir, 'x')]);
    expect(older.code).toBe(1);
    expect(older.stderr).toMatch(/\[invalid-argument\]: --model-version 4 is not later than the published model's 4/);
    expect(older.stdout).not.toMatch(/training on/);
  }, 120_000);
});
