/**
 * What a page downloads of the Worker for each backend, gzip bytes, from a real package
 * build: the first-load Worker plus, for a tfjs backend, localrec-tfjs.js (tfjs-core) and
 * that backend's file. 'plain' loads the first-load Worker only, and so does 'auto' before
 * its first recommendation (what it fetches when it measures later is in the first-visit
 * benchmark, bench/first-visit.ts). The files import nothing
 * from each other (scripts/build-package.ts), so these sums are the whole download.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TFJS_BACKENDS, TFJS_FILE, WORKER_FILE, tfjsBackendFile } from '../scripts/build-package';

export function workerGzipBytes(dir: string): { firstLoad: number; perBackend: Record<string, number>; wasmBinaryGzip: number } {
  const gz = (name: string) => gzipSync(readFileSync(join(dir, name))).length;
  const firstLoad = gz(WORKER_FILE);
  const perBackend: Record<string, number> = { auto: firstLoad, plain: firstLoad };
  for (const backend of TFJS_BACKENDS) perBackend[backend] = firstLoad + gz(TFJS_FILE) + gz(tfjsBackendFile(backend));
  return { firstLoad, perBackend, wasmBinaryGzip: gz('tfjs-backend-wasm-simd.wasm') };
}
