import { IDBIndex, IDBObjectStore, type IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WarningCode } from '../../../src/browser/types';
import type { ErrorCode } from '../../../src/errors';
import { ModelSession } from '../../../src/model/session';
import { fixtureModel, initParams, itemId, makeRuntime, ModelServer, returningShopper, T0 } from './helpers';

const quota = () => new DOMException('quota', 'QuotaExceededError');

/** Every read of the stored personal weights fails as a broken disk would. */
function failPersonalWeightReads(): void {
  const get = IDBObjectStore.prototype.get;
  vi.spyOn(IDBObjectStore.prototype, 'get').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['get']>) {
    if (this.name === 'personal') throw new DOMException('disk error', 'UnknownError');
    return get.apply(this, args);
  });
}

/** A fault in stored state at start-up, what status() must then say, and what must still be stored afterwards. */
interface StartupFault {
  kind: string;
  /** Serve a new model version, so init re-personalises. */
  newVersion: boolean;
  fault(idb: IDBFactory): Promise<void> | void;
  warnings: WarningCode[];
  /** Cause code of the first warning, when there is one. */
  cause?: ErrorCode;
  /** Whether the stored personal weights are exactly those from before (false: init replaced damaged ones). */
  weightsKept: boolean;
}

async function putRecord(idb: IDBFactory, edit: (rec: Record<string, unknown>) => void): Promise<void> {
  const db = await new Promise<IDBDatabase>((res, rej) => {
    const r = idb.open('localrec');
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  const tx = db.transaction('personal', 'readwrite');
  const store = tx.objectStore('personal');
  const rec = await new Promise<Record<string, unknown>>((res) => {
    const r = store.get('current');
    r.onsuccess = () => res(r.result as Record<string, unknown>);
  });
  edit(rec);
  store.put(rec);
  await new Promise((res) => (tx.oncomplete = res));
  db.close();
}

const FAULTS: StartupFault[] = [
  {
    kind: 'a quota error while writing the re-personalised weights',
    newVersion: true,
    fault: () => {
      const put = IDBObjectStore.prototype.put;
      vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
        if (this.name === 'personal') throw quota();
        return put.apply(this, args);
      });
    },
    warnings: ['repersonalise-failed'],
    cause: 'store-quota-exceeded',
    weightsKept: true,
  },
  {
    kind: 're-personalisation throwing for a new model version',
    newVersion: true,
    fault: () => void vi.spyOn(ModelSession.prototype, 'adapt').mockImplementation(() => {
      throw new Error('the inner loop fell over');
    }),
    warnings: ['repersonalise-failed'],
    weightsKept: true,
  },
  {
    kind: 'personal weights that cannot be read',
    newVersion: false,
    fault: failPersonalWeightReads,
    warnings: ['personal-weights-unreadable'],
    cause: 'store-unavailable',
    weightsKept: true,
  },
  {
    kind: 'personal weights from another model version that cannot be read',
    newVersion: true,
    fault: failPersonalWeightReads,
    warnings: ['personal-weights-unreadable'],
    weightsKept: true,
  },
  {
    kind: 'stored interactions that cannot be read',
    newVersion: true,
    fault: () => void vi.spyOn(IDBIndex.prototype, 'getAll').mockImplementation(() => {
      throw new DOMException('disk error', 'UnknownError');
    }),
    warnings: ['events-unreadable', 'repersonalise-failed'],
    weightsKept: true,
  },
  {
    kind: 'personal weights of the wrong length',
    newVersion: false,
    fault: (idb) => putRecord(idb, (rec) => void (rec.params = new Float32Array(3))),
    warnings: ['personal-weights-unreadable'],
    weightsKept: false,
  },
  {
    kind: 'personal weights holding NaN',
    newVersion: false,
    fault: (idb) => putRecord(idb, (rec) => void ((rec.params as Float32Array)[0] = Number.NaN)),
    warnings: ['personal-weights-unreadable'],
    weightsKept: false,
  },
];

describe('start-up with stored state it cannot use', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(FAULTS)('falls back to the shared model with a typed warning on $kind, and keeps what was stored', async (f) => {
    const { server, idb, cache, before } = await returningShopper([1, 4, 7]);
    if (f.newVersion) server.model = await fixtureModel({ seed: 9, modelVersion: 2 });
    await f.fault(idb);

    const b = makeRuntime(server, { idb, cache });
    const s = await b.call('init', initParams());
    expect(s.ready).toBe(true);
    expect(s.warnings.map((w) => w.code)).toEqual(f.warnings);
    if (f.cause) expect(s.warnings[0].cause).toHaveCode(f.cause);
    expect(b.events.filter((e) => e.type === 'warning')).toHaveLength(f.warnings.length);
    const rec = await b.call('recommend', { n: 5 });
    expect(rec.items).toHaveLength(5);
    if (f.weightsKept) expect(rec.personalised).toBe(false);

    vi.restoreAllMocks();
    const after = await b.call('exportData', {});
    expect(after.events).toEqual(before.events);
    if (f.weightsKept) expect(after.personalWeights).toEqual(before.personalWeights);
    else expect(after.personalWeights?.params.every(Number.isFinite)).toBe(true);
  });

  it('uses the in-memory store with a storage-fallback warning when reading indexedDB throws a SecurityError', async () => {
    const desc = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
    Object.defineProperty(globalThis, 'indexedDB', {
      configurable: true,
      get() {
        throw new DOMException('The user denied permission to access the database.', 'SecurityError');
      },
    });
    try {
      const h = makeRuntime(new ModelServer(await fixtureModel()), { idb: 'global' });
      const s = await h.call('init', initParams());
      expect(s.storage).toMatchObject({ mode: 'memory', reason: expect.stringContaining('SecurityError') });
      expect(s.warnings.map((w) => w.code)).toEqual(['storage-fallback']);
      await h.call('track', { events: [{ item: itemId(2), type: 'view', ts: T0 }] });
      expect((await h.call('exportData', {})).events).toHaveLength(1);
    } finally {
      if (desc) Object.defineProperty(globalThis, 'indexedDB', desc);
    }
  });

  it('uses the in-memory store with a storage-fallback warning when indexedDB.open throws', async () => {
    const blocked = { open: () => { throw new DOMException('blocked', 'SecurityError'); } } as unknown as IDBFactory;
    const h = makeRuntime(new ModelServer(await fixtureModel()), { idb: blocked });
    const s = await h.call('init', initParams());
    expect(s.storage?.mode).toBe('memory');
    expect(s.warnings.map((w) => w.code)).toEqual(['storage-fallback']);
  });

  it('counts every item as available, with an availability-unreadable warning, when the sold-out list cannot be read, and keeps it', async () => {
    const { server, idb, cache } = await returningShopper([1, 4, 7]);
    const a = makeRuntime(server, { idb, cache });
    await a.call('init', initParams());
    await a.call('setAvailability', { ids: [itemId(2)], available: false });
    const getAllKeys = IDBObjectStore.prototype.getAllKeys;
    vi.spyOn(IDBObjectStore.prototype, 'getAllKeys').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['getAllKeys']>) {
      if (this.name === 'unavailable') throw new DOMException('disk error', 'UnknownError');
      return getAllKeys.apply(this, args);
    });
    const b = makeRuntime(server, { idb, cache });
    const s = await b.call('init', initParams());
    expect(s.warnings.map((w) => w.code)).toEqual(['availability-unreadable']);
    expect(s.personal).not.toBeNull();
    expect((await b.call('recommend', { n: 1000, excludeSeen: false })).items.map((r) => r.id)).toContain(itemId(2));
    vi.restoreAllMocks();
    const c = makeRuntime(server, { idb, cache });
    await c.call('init', initParams());
    expect((await c.call('recommend', { n: 1000, excludeSeen: false })).items.map((r) => r.id)).not.toContain(itemId(2));
  });

  it('reports no warnings when everything stored could be used', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    expect((await h.call('init', initParams())).warnings).toEqual([]);
  });
});
