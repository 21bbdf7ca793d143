/**
 * Fault test: `train` is SIGKILLed at random points once its export stage has started
 * (when it is about to write, or is writing, the model directory). Every time, the
 * directory must still load and verify with readModelDir — the previous model or the
 * complete new one, never a mix — and a later run must write over any leftovers.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelDir } from '../../../src/model/files-node';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TINY = ['--no-checkpoint', '--teacher-epochs', '1', '--student-epochs', '1', '--meta-steps', '1'];

let dir = '';
let data = '';
let out = '';

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
}

/** Runs train; with `killAfterMs`, SIGKILLs it that long after its export stage is reported. */
function train(args: string[], killAfterMs?: number): Promise<Outcome> {
  return new Promise((done) => {
    // Node itself with tsx's loader, not the tsx wrapper: SIGKILL to the wrapper cannot be
    // relayed, so its child would go on writing after the test had looked.
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'train.ts'), '--data', data, '--out', out, ...TINY, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let killed = false;
    const watch = (chunk: Buffer) => {
      if (killAfterMs === undefined || killed || !/export/.test(chunk.toString())) return;
      killed = true;
      setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('exit', (code, signal) => done({ code, signal, killed }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localrec-kill-'));
  data = join(dir, 'events.csv');
  out = join(dir, 'model');
  const rows = ['user,item,type,timestamp'];
  for (let u = 0; u < 60; u++) for (let j = 0; j < 8; j++) rows.push(`u${u},i${(u * 7 + j * 3) % 20},view,${1_700_000_000_000 + u * 1000 + j}`);
  await writeFile(data, rows.join('\n') + '\n');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('train killed while it writes the model', () => {
  it('leaves a model directory that always loads, and the next run replaces it', async () => {
    const first = await train(['--seed', '1', '--model-version', '1']);
    expect(first.code).toBe(0);
    const previous = (await readModelDir(out)).loaded.manifest;
    expect(previous.modelVersion).toBe(1);

    let interrupted = 0;
    let lastComplete = previous.modelVersion;
    // At least six runs, and more (up to twelve) until one was really killed: a busy machine can finish a run first.
    for (let i = 0; i < 12 && (i < 6 || interrupted === 0); i++) {
      // Random points from just before the write starts to after it would have finished.
      const delay = Math.floor(Math.random() * 40);
      const res = await train(['--seed', String(2 + i), '--model-version', String(2 + i)], delay);
      if (res.signal === 'SIGKILL') interrupted++;
      const now = (await readModelDir(out)).loaded.manifest;
      // Either the last complete model or this run's complete one: readModelDir verified every file's hash.
      expect([lastComplete, 2 + i]).toContain(now.modelVersion);
      if (res.signal !== 'SIGKILL') expect(now.modelVersion).toBe(2 + i);
      lastComplete = now.modelVersion;
      console.log(`kill after ${delay} ms: ${res.signal ?? res.code}, loads version ${now.modelVersion}`);
    }
    expect(interrupted).toBeGreaterThan(0);

    const last = await train(['--seed', '99', '--model-version', '99']);
    expect(last.code).toBe(0);
    expect((await readModelDir(out)).loaded.manifest.modelVersion).toBe(99);
  }, 300_000);
});
