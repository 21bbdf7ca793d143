/**
 * What a page downloads of the Worker for each backend, gzip bytes, from a real package
 * build: the first-load Worker plus, for a tfjs backend, the tfjs chunk, that backend's
 * chunk and every chunk they import statically. 'plain' loads the first-load Worker only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WORKER_FILE } from '../scripts/build-package';

const CHUNK = /^localrec-worker-(.+)-[\w-]{8}\.js$/;

export function workerGzipBytes(dir: string): { firstLoad: number; perBackend: Record<string, number>; wasmBinaryGzip: number } {
  const files = readdirSync(dir);
  const gz = (name: string) => gzipSync(readFileSync(join(dir, name))).length;
  const chunkOf = (role: string) => files.find((f) => CHUNK.exec(f)?.[1] === role);
  const staticImports = (name: string) => [...readFileSync(join(dir, name), 'utf8').matchAll(/(?:from|import)\s*["'`]\.\/([\w.-]+\.js)["'`]/g)].map((m) => m[1]);
  const closure = (roots: string[]) => {
    const seen = new Set<string>();
    const visit = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      staticImports(f).forEach(visit);
    };
    roots.forEach(visit);
    return seen;
  };
  const firstLoad = gz(WORKER_FILE);
  const perBackend: Record<string, number> = { plain: firstLoad };
  for (const backend of ['cpu', 'wasm', 'webgl', 'webgpu']) {
    const roots = [chunkOf('tfjs'), chunkOf(backend)].filter((f): f is string => f !== undefined);
    perBackend[backend] = [...closure([WORKER_FILE, ...roots])].reduce((s, f) => s + gz(f), 0);
  }
  return { firstLoad, perBackend, wasmBinaryGzip: gz('tfjs-backend-wasm-simd.wasm') };
}
