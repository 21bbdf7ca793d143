/**
 * The few filesystem steps durability rests on (Node only). A rename is atomic, but
 * only an fsync of the file and then of its directory makes the new name survive a
 * power cut or a SIGKILL followed by a crash of the machine.
 */
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeModel, type EncodedModel } from '../model/format';
import { writeModelDir } from '../model/files-node';

export async function fsyncPath(path: string): Promise<void> {
  const h = await open(path, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `bytes` to `path` so that a reader sees either the old or the whole new file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string, dir: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const h = await open(tmp, 'w');
  try {
    await h.writeFile(bytes);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, path);
  await fsyncPath(dir);
}

/**
 * Writes a model directory under a temporary name, fsyncs every file and the directory,
 * then renames it into place: `dir` either does not exist or holds the complete model.
 */
export async function writeModelDirAtomic(parent: string, name: string, model: EncodedModel): Promise<void> {
  const tmp = join(parent, `.tmp-${name}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await writeModelDir(tmp, model);
  for (const f of await readdir(tmp)) await fsyncPath(join(tmp, f));
  await fsyncPath(tmp);
  const target = join(parent, name);
  // A directory left by a publish that crashed before its switch was never served: replace it.
  await rm(target, { recursive: true, force: true });
  await rename(tmp, target);
  await fsyncPath(parent);
}

/** Reads a model directory and verifies every file against its manifest. */
export async function readModelFiles(dir: string): Promise<EncodedModel> {
  const manifestJson: unknown = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  const files: Record<string, Uint8Array> = {};
  const listed = (manifestJson as { files?: { path?: unknown }[] }).files ?? [];
  for (const f of listed) {
    if (typeof f.path === 'string' && /^[\w.-]+$/.test(f.path)) files[f.path] = new Uint8Array(await readFile(join(dir, f.path)));
  }
  const { manifest } = await decodeModel(manifestJson, files);
  return { manifest, files };
}
