/**
 * What `backend: 'auto'` measured, remembered per model and device in IndexedDB, so the
 * next visit loads only the backend that won (or none, when plain won) instead of
 * probing every one again. A record holds no shopper data — a backend name and its probe
 * times — so, like the model cache, it is kept whatever the consent and by forget().
 * Its own small database: the shopper's store (worker-store.ts) is consent-gated and
 * cleared as a whole, and this is neither.
 */
import { wrap, type IDBPDatabase } from 'idb';
import type { ModelManifest } from '../model/manifest';
import type { BackendName, BackendProbe } from './types';

export const BACKEND_DB_NAME = 'localrec-backends';
const STORE = 'choices';

export interface RememberedBackend {
  /** backendKey() of the model and device it was measured on. */
  key: string;
  name: BackendName;
  probes: BackendProbe[];
  /** Milliseconds since the epoch. */
  measuredAt: number;
}

/**
 * The model by the hash of its weights (a new version or another catalogue is measured
 * again: the probe's cost grows with the catalogue), the device by what changes its
 * speed: the browser build (user agent) and its cores.
 */
export function backendKey(manifest: Pick<ModelManifest, 'name' | 'files' | 'dims'>, nav: { userAgent?: string; hardwareConcurrency?: number } | undefined): string {
  const weights = manifest.files.find((f) => f.path === 'weights.bin')?.sha256 ?? manifest.files.map((f) => f.sha256).join('+');
  return [manifest.name, manifest.dims.items, weights, nav?.userAgent ?? '', nav?.hardwareConcurrency ?? 0].join('|');
}

const isRemembered = (r: unknown): r is RememberedBackend => {
  const x = r as RememberedBackend | null;
  return typeof x?.key === 'string' && typeof x.name === 'string' && Array.isArray(x.probes) && typeof x.measuredAt === 'number';
};

/** The remembered choices; every failure (private mode, blocked storage) reads as "nothing remembered" and writes nothing. */
export class BackendMemory {
  #db: Promise<IDBPDatabase | null> | null = null;
  constructor(private readonly factory: IDBFactory | null) {}

  #open(): Promise<IDBPDatabase | null> {
    return (this.#db ??= (async (): Promise<IDBPDatabase | null> => {
      if (!this.factory) return null;
      const request = this.factory.open(BACKEND_DB_NAME, 1);
      request.addEventListener('upgradeneeded', () => request.result.createObjectStore(STORE, { keyPath: 'key' }));
      const db = (await wrap(request)) as IDBPDatabase;
      db.addEventListener('versionchange', () => db.close());
      return db;
    })().catch(() => null));
  }

  async get(key: string): Promise<RememberedBackend | null> {
    try {
      const r: unknown = await (await this.#open())?.get(STORE, key);
      return isRemembered(r) ? r : null;
    } catch {
      return null;
    }
  }

  async put(record: RememberedBackend): Promise<void> {
    await (await this.#open())?.put(STORE, record).catch(() => undefined);
  }

  async delete(key: string): Promise<void> {
    await (await this.#open())?.delete(STORE, key).catch(() => undefined);
  }

  close(): void {
    void this.#db?.then((db) => db?.close());
    this.#db = null;
  }
}
