/**
 * Worker threads for the parts of training that split into independent items (validation
 * users, meta-training tasks, the rows and candidates of a pre-training step).
 * tfjs-backend-wasm never uses threads under Node, so without
 * this every core but one idles. A map splits its items into one contiguous share per
 * thread, runs the first share on this thread while the workers run the others, and
 * returns the results in item order: callers combine them in that order, so the numbers do
 * not depend on the thread count. Tables travel as SharedArrayBuffer copies (one copy per
 * map, none per worker).
 */
import { Worker } from 'node:worker_threads';
import type { InnerLoopConfig } from '../model/manifest';
import type { IndexedEvent } from '../model/pooling';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';
import type { MetaTask } from './meta-tasks';
import { rankSupports, taskUpdates, type MetaTables, type MetaWorkOptions } from './parallel-work';
import { columnsPass, rowsPass, type ColumnRanges, type StepArgs, type StepBuffers } from './step-kernel';

/** One share of a map. */
type MapRequest =
  | { kind: 'rank'; weights: ModelWeights; config: ModelConfig; tower: TowerParams; inner: InnerLoopConfig | null; items: IndexedEvent[][] }
  | { kind: 'meta'; tables: MetaTables; tower: TowerParams; opts: MetaWorkOptions; items: MetaTask[] };

/** What a worker is asked to do: a share of a map, or its ranges of a pre-training step's passes over buffers it keeps between steps. */
export type PoolRequest =
  | MapRequest
  | { kind: 'step-open'; key: number; buffers: StepBuffers }
  | { kind: 'step-rows'; key: number; args: StepArgs; from: number; to: number }
  | { kind: 'step-columns'; key: number; args: StepArgs; ranges: ColumnRanges }
  | { kind: 'step-close'; key: number };

export type PoolResponse = { id: number; result: unknown[] } | { id: number; error: string };

/** The pre-training step buffers this thread holds, by session key. */
const stepBuffers = new Map<number, StepBuffers>();

function buffersOf(key: number): StepBuffers {
  const b = stepBuffers.get(key);
  if (!b) throw new Error(`no step buffers ${key}`);
  return b;
}

/** Does one request on the calling thread (the workers run this too). */
export async function runShare(req: PoolRequest): Promise<unknown[]> {
  switch (req.kind) {
    case 'rank':
      return rankSupports(req.weights, req.config, req.tower, req.inner, req.items);
    case 'meta':
      return taskUpdates(req.tables, req.tower, req.items, req.opts);
    case 'step-open':
      stepBuffers.set(req.key, req.buffers);
      return [];
    case 'step-rows':
      rowsPass(buffersOf(req.key), req.args, req.from, req.to);
      return [];
    case 'step-columns':
      columnsPass(buffersOf(req.key), req.args, req.ranges);
      return [];
    case 'step-close':
      stepBuffers.delete(req.key);
      return [];
  }
}

/** A pre-training run's step passes, shared out by ranges (see step-kernel.ts). */
export interface StepSession {
  rows(args: StepArgs): Promise<void>;
  columns(args: StepArgs): Promise<void>;
  close(): void;
}

/** A zeroed Float32Array in shared memory: posting it to a worker copies nothing, and both sides see each other's writes. */
export function sharedArray(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** A copy of `a` in shared memory. */
function shared(a: Float32Array): Float32Array {
  const s = sharedArray(a.length);
  s.set(a);
  return s;
}

/** Splits [0, count) into `parts` contiguous ranges whose sizes differ by at most one. */
export function shares(count: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0, start = 0; p < parts; p++) {
    const end = start + Math.floor(count / parts) + (p < count % parts ? 1 : 0);
    out.push([start, end]);
    start = end;
  }
  return out;
}

/**
 * Starts a TypeScript module as a worker thread. The CLIs and tests run under a loader
 * (tsx, vitest) that a worker thread does not inherit, so the worker registers tsx first.
 */
export function startTsWorker(entry: URL, workerData?: unknown): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

export class TrainPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (r: unknown[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;

  /** `threads` counts this one: threads − 1 workers start. */
  constructor(readonly threads: number) {
    for (let i = 1; i < threads; i++) {
      const w = startTsWorker(new URL('./pool.worker.ts', import.meta.url));
      w.on('message', (m: PoolResponse) => this.settle(m));
      w.on('error', (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => this.fail(new Error(`training worker exited (code ${code})`)));
      // Idle workers never keep the process alive; calls in flight do (see call).
      w.unref();
      this.workers.push(w);
    }
  }

  /** Top-10 lists of each support (see rankSupports), computed across the threads. */
  rank(weights: ModelWeights, config: ModelConfig, tower: TowerParams, inner: InnerLoopConfig | null, supports: IndexedEvent[][]): Promise<Int32Array[]> {
    const w = this.workers.length && supports.length > 1
      ? { ...weights, itemIn: shared(weights.itemIn), itemOut: shared(weights.itemOut), itemBias: shared(weights.itemBias), contentProj: new Float32Array(0) }
      : weights;
    return this.map({ kind: 'rank', weights: w, config, tower, inner, items: supports }) as Promise<Int32Array[]>;
  }

  /** Each task's loss and outer update (see taskUpdates), computed across the threads. */
  metaUpdates(tables: MetaTables, tower: TowerParams, tasks: MetaTask[], opts: MetaWorkOptions): Promise<{ loss: number; update: TowerParams }[]> {
    return this.map({ kind: 'meta', tables, tower, opts, items: tasks }) as Promise<{ loss: number; update: TowerParams }[]>;
  }

  /**
   * A pre-training step's passes over `buffers` (in shared memory, see sharedArray): each
   * pass splits its rows (or candidates and tower rows) into one contiguous range per
   * thread, this thread takes the first and each worker one of the others.
   */
  async openStep(buffers: StepBuffers): Promise<StepSession> {
    const key = this.nextId++;
    await Promise.all(this.workers.map((w) => this.call(w, { kind: 'step-open', key, buffers })));
    const run = async (local: () => void, remote: Promise<unknown[]>[]) => {
      try {
        local();
      } finally {
        await Promise.all(remote);
      }
    };
    return {
      rows: (args) => {
        const r = shares(args.B, this.threads);
        return run(
          () => rowsPass(buffers, args, r[0][0], r[0][1]),
          r.slice(1).map(([from, to], i) => this.call(this.workers[i], { kind: 'step-rows', key, args, from, to })),
        );
      },
      columns: (args) => {
        const cand = shares(args.m, this.threads);
        const w1 = shares(buffers.tower.d, this.threads);
        const w2 = shares(buffers.tower.hidden, this.threads);
        const ranges = (p: number): ColumnRanges => ({ cand: cand[p], w1: w1[p], w2: w2[p] });
        return run(
          () => columnsPass(buffers, args, ranges(0)),
          this.workers.map((w, i) => this.call(w, { kind: 'step-columns', key, args, ranges: ranges(i + 1) })),
        );
      },
      close: () => {
        for (const w of this.workers) this.call(w, { kind: 'step-close', key }).catch(() => {});
      },
    };
  }

  /** Tables meta-training reads on every step, copied once into shared memory. */
  static sharedTables(t: MetaTables): MetaTables {
    return { n: t.n, d: t.d, itemIn: shared(t.itemIn), itemOut: shared(t.itemOut), itemBias: shared(t.itemBias) };
  }

  private async map(req: MapRequest): Promise<unknown[]> {
    const parts = Math.min(this.threads, req.items.length);
    if (parts <= 1) return runShare(req);
    const ranges = shares(req.items.length, parts);
    const remote = ranges.slice(1).map(([s, e], i) => this.call(this.workers[i], { ...req, items: req.items.slice(s, e) } as MapRequest));
    // This thread's share runs while the workers run theirs; a failed worker call is still awaited below.
    const local = await runShare({ ...req, items: req.items.slice(ranges[0][0], ranges[0][1]) } as MapRequest).catch((e: unknown) => {
      remote.forEach((p) => p.catch(() => {}));
      throw e;
    });
    return local.concat(...(await Promise.all(remote)));
  }

  private call(worker: Worker, req: PoolRequest): Promise<unknown[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    worker.ref();
    return new Promise<unknown[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, req });
    }).finally(() => {
      if (!this.pending.size) this.workers.forEach((w) => w.unref());
    });
  }

  private settle(m: PoolResponse): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if ('error' in m) p.reject(new Error(`training worker failed: ${m.error}`));
    else p.resolve(m.result);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.failure ??= new Error('training pool closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
