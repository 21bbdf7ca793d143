/**
 * Model directories on disk (Node only): the one atomic, fsynced write and the one
 * verified read, used by the training CLI and the federated store alike.
 *
 * A rename is atomic, but only an fsync of the file and then of its directory makes
 * the new name survive a power cut or a SIGKILL followed by a crash of the machine.
 */
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LocalrecError } from '../errors';
import { decodeModel, type EncodedModel, type LoadedModel } from './format';

export async function fsyncPath(path: string): Promise<void> {
  const h = await open(path, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

async function writeSynced(path: string, bytes: Uint8Array | string): Promise<void> {
  const h = await open(path, 'w');
  try {
    await h.writeFile(bytes);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `bytes` to `path` (in directory `dir`) so that a reader sees either the old or the whole new file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string, dir: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeSynced(tmp, bytes);
  await rename(tmp, path);
  await fsyncPath(dir);
}

/** Where a write of `dir` stages the new model, parks the old one and holds its lock; dot names so listings skip them. */
function sidePaths(dir: string): { tmp: string; old: string; lock: string } {
  const parent = dirname(dir);
  const name = basename(dir);
  return { tmp: join(parent, `.${name}.tmp`), old: join(parent, `.${name}.old`), lock: join(parent, `.${name}.lock`) };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One writer per model directory: two runs writing the same `--out` at once would share
 * the temp directory and could swap in a mix of their files. The lock file holds the
 * writer's pid (this process's own pid too: two writes in one process are refused alike);
 * one left by a writer that died (SIGKILL) is taken over.
 */
async function lockDir(dir: string, lock: string): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      const h = await open(lock, 'wx');
      try {
        await h.writeFile(String(process.pid));
      } finally {
        await h.close();
      }
      return () => rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const pid = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
      if (pid > 0 && processAlive(pid)) {
        throw new LocalrecError('output-unwritable', `${dir} is being written by another process (pid ${pid}); wait for it or choose another --out`, { out: dir, pid });
      }
      await rm(lock, { force: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export interface WriteModelDirHooks {
  /** Runs once the new model is complete and synced beside `dir`, before it replaces `dir` (tests throw here to simulate a crash). */
  beforeSwap?: () => void | Promise<void>;
}

/**
 * Writes a model directory atomically: the files go into a temp directory beside `dir`,
 * each fsynced, then the temp directory replaces `dir`. A crash leaves `dir` holding
 * either the old complete model or the new complete one, never a mix.
 *
 * Replacing an existing directory takes two renames (old aside, new in), since rename
 * cannot replace a non-empty directory. A crash between them leaves no `dir` but the
 * complete old model at its `.old` name, which `readModelDir` falls back to and the
 * next write clears — so no reader ever sees a partial model.
 */
export async function writeModelDir(dir: string, model: EncodedModel, hooks: WriteModelDirHooks = {}): Promise<void> {
  const parent = dirname(dir);
  const { tmp, old, lock } = sidePaths(dir);
  await mkdir(parent, { recursive: true });
  const unlock = await lockDir(dir, lock);
  try {
    // A temp directory left by a write that crashed was never swapped in: start afresh.
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
    for (const [name, bytes] of Object.entries(model.files)) await writeSynced(join(tmp, name), bytes);
    await writeSynced(join(tmp, 'manifest.json'), JSON.stringify(model.manifest, null, 1) + '\n');
    await fsyncPath(tmp);
    await hooks.beforeSwap?.();
    await swapIn(tmp, dir, old);
  } finally {
    await unlock();
  }
}

async function swapIn(tmp: string, dir: string, old: string): Promise<void> {
  if (await exists(dir)) {
    // An `.old` left by a crash after its swap completed is stale; one left mid-swap (no `dir`) is kept until the new one is in.
    await rm(old, { recursive: true, force: true });
    await rename(dir, old);
  }
  await rename(tmp, dir);
  await fsyncPath(dirname(dir));
  await rm(old, { recursive: true, force: true });
}

/** A model as read from disk: the verified files (to serve or copy) and the decoded model (to run). */
export interface ModelDir {
  encoded: EncodedModel;
  loaded: LoadedModel;
}

/** Reads a model directory and verifies every file against its manifest. */
export async function readModelDir(dir: string): Promise<ModelDir> {
  // Only a write that crashed between its two renames leaves `.old` without `dir`; that is the complete old model.
  const from = !(await exists(dir)) && (await exists(sidePaths(dir).old)) ? sidePaths(dir).old : dir;
  const manifestJson: unknown = JSON.parse(await readFile(join(from, 'manifest.json'), 'utf8'));
  const files: Record<string, Uint8Array> = {};
  const listed = (manifestJson as { files?: { path?: unknown }[] }).files ?? [];
  for (const f of listed) {
    if (typeof f.path === 'string' && /^[\w.-]+$/.test(f.path)) files[f.path] = new Uint8Array(await readFile(join(from, f.path)));
  }
  const loaded = await decodeModel(manifestJson, files);
  return { encoded: { manifest: loaded.manifest, files }, loaded };
}
