/** A training worker thread (see pool.ts): computes the shares it is sent, one at a time, in order. */
import { parentPort } from 'node:worker_threads';
import { runShare, type PoolRequest, type PoolResponse } from './pool';

parentPort!.on('message', (m: { id: number; req: PoolRequest }) => {
  runShare(m.req).then(
    (result) => parentPort!.postMessage({ id: m.id, result } satisfies PoolResponse),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies PoolResponse),
  );
});
