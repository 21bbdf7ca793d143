import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeModel, type EncodedModel, type LoadedModel } from './format';

/** Node only: writes a model directory; each file goes through a temp file and rename so a crash leaves no half-written model. */
export async function writeModelDir(dir: string, model: EncodedModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  const put = async (name: string, bytes: Uint8Array | string) => {
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, bytes);
    await rename(tmp, join(dir, name));
  };
  for (const [name, bytes] of Object.entries(model.files)) await put(name, bytes);
  // The manifest goes last: a reader that sees it also sees the files it names.
  await put('manifest.json', JSON.stringify(model.manifest, null, 1) + '\n');
}

/** Node only: reads and verifies a model directory. */
export async function readModelDir(dir: string): Promise<LoadedModel> {
  const manifest: unknown = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  const files: Record<string, Uint8Array> = {};
  const listed = (manifest as { files?: { path?: unknown }[] }).files ?? [];
  for (const f of listed) {
    if (typeof f.path === 'string' && /^[\w.-]+$/.test(f.path)) files[f.path] = new Uint8Array(await readFile(join(dir, f.path)));
  }
  return decodeModel(manifest, files);
}
