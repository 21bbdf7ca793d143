/**
 * Finished scenarios of a simulation, saved as JSON and named by everything they depend
 * on (data content, pipeline stages, settings), so an interrupted `simulate` resumes at
 * the next scenario and a changed setting never reads a stale one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fnv1a32 } from '../data/split';

export interface ScenarioCache {
  get<T>(name: string, key: unknown): Promise<T | null>;
  set(name: string, key: unknown, value: unknown): Promise<void>;
}

const file = (dir: string, name: string, key: unknown) => join(dir, `${name}-${fnv1a32(JSON.stringify(key)).toString(16).padStart(8, '0')}.json`);

export function dirCache(dir: string): ScenarioCache {
  return {
    async get<T>(name: string, key: unknown): Promise<T | null> {
      try {
        const saved = JSON.parse(await readFile(file(dir, name, key), 'utf8')) as { key: string; value: T };
        // The file name is a 32-bit hash: compare the full key too.
        return saved.key === JSON.stringify(key) ? saved.value : null;
      } catch {
        return null;
      }
    },
    async set(name, key, value) {
      await mkdir(dir, { recursive: true });
      const path = file(dir, name, key);
      await writeFile(`${path}.tmp`, JSON.stringify({ key: JSON.stringify(key), value }));
      await rename(`${path}.tmp`, path);
    },
  };
}

export const noCache: ScenarioCache = { get: async () => null, set: async () => undefined };
