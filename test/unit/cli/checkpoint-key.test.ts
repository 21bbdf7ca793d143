/**
 * Stage checkpoints are keyed by the data's content: `train` re-run on the same data
 * resumes its stages, and re-run on an edited file with the same row, user and item
 * counts trains afresh instead of returning the old model.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);

let dir = '';

function rows(editTs = false): string {
  const out = ['user,item,type,timestamp'];
  for (let u = 0; u < 60; u++) for (let j = 0; j < 8; j++) out.push(`u${u},i${(u * 7 + j * 3) % 20},view,${1_700_000_000_000 + u * 1000 + j + (editTs && u === 4 && j === 2 ? 500 : 0)}`);
  return out.join('\n') + '\n';
}

async function train(extra: string[] = []): Promise<string> {
  const args = ['--data', join(dir, 'events.csv'), '--out', join(dir, 'model'), '--checkpoint-dir', join(dir, 'ckpt'), '--teacher-epochs', '1', '--student-epochs', '1', '--meta-steps', '1', ...extra];
  const { stdout, stderr } = await run(TSX, [join(ROOT, 'src', 'cli', 'train.ts'), ...args], { cwd: ROOT });
  return stdout + stderr;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localrec-ckpt-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('train checkpoints keyed by content', () => {
  it('resumes on the same data, retrains on an edited file with the same counts, and --no-checkpoint neither reads nor resumes', async () => {
    await writeFile(join(dir, 'events.csv'), rows());
    const first = await train();
    expect(first).not.toMatch(/resumed=true/);
    expect(await train()).toMatch(/teacher done:.*resumed=true/);
    await writeFile(join(dir, 'events.csv'), rows(true));
    const edited = await train();
    const counts = (out: string) => /→ ([\d,]+ users, [\d,]+ items, [\d,]+ interactions)/.exec(out)?.[1];
    expect(counts(edited)).toBeDefined();
    expect(counts(edited)).toBe(counts(first));
    expect(edited).not.toMatch(/resumed=true/);
    expect(await train(['--no-checkpoint'])).not.toMatch(/resumed=true/);
  }, 120_000);
});
