import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLocalrec } from '../../../src/browser/main-client';
import type { RequestMessage, WorkerMessage } from '../../../src/browser/protocol';
import { LocalrecError, isLocalrecError } from '../../../src/errors';

/** A Worker stand-in that answers each request with `reply`. */
class FakeWorker extends EventTarget {
  requests: RequestMessage[] = [];
  terminated = false;
  constructor(private readonly reply: (req: RequestMessage) => WorkerMessage | null) {
    super();
  }
  postMessage(req: RequestMessage) {
    this.requests.push(req);
    const res = this.reply(req);
    if (res) queueMicrotask(() => this.dispatchEvent(new MessageEvent('message', { data: res })));
  }
  terminate() {
    this.terminated = true;
  }
  asWorker() {
    return this as unknown as Worker;
  }
}

const ok = (req: RequestMessage): WorkerMessage => ({ kind: 'response', id: req.id, ok: true, value: { stored: 1, evicted: 0 } as never });
const base = { model: 'https://shop.test/models/shop/manifest.json', wasmPath: 'https://shop.test/tfjs-wasm/' };

describe('the main-thread client', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends init with defaults filled in and rebuilds Worker errors as typed LocalrecErrors', async () => {
    const w = new FakeWorker((req) =>
      req.method === 'recommend'
        ? { kind: 'response', id: req.id, ok: false, error: new LocalrecError('invalid-argument', 'n must be…', { n: 0 }).toJSON() }
        : ok(req),
    );
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    expect(w.requests[0]).toMatchObject({ method: 'init', params: { modelUrl: base.model, backend: 'auto', storage: 'auto', dbName: 'localrec', maxEvents: 1000 } });
    const err = await c.recommend({ n: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalrecError);
    expect(err).toMatchObject({ code: 'invalid-argument', details: { n: 0 } });
    // The code travels in `code`, never inside the message.
    expect((err as LocalrecError).message).not.toContain('[invalid-argument]');
  });

  it('rejects pending and later calls with worker-failed when the Worker dies', async () => {
    let hang = false;
    const w = new FakeWorker((req) => (hang ? null : ok(req)));
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    hang = true;
    const pending = c.status();
    w.dispatchEvent(Object.assign(new Event('error'), { message: 'boom' }));
    expect(isLocalrecError(await pending.catch((e: unknown) => e), 'worker-failed')).toBe(true);
    expect(isLocalrecError(await c.recommend().catch((e: unknown) => e), 'worker-failed')).toBe(true);
  });

  it('terminates the Worker when the model cannot load', async () => {
    const w = new FakeWorker((req) => ({ kind: 'response', id: req.id, ok: false, error: new LocalrecError('model-hash-mismatch', 'bad').toJSON() }));
    const err = await createLocalrec({ ...base, createWorker: () => w.asWorker() }).catch((e: unknown) => e);
    expect(isLocalrecError(err, 'model-hash-mismatch')).toBe(true);
    expect(w.terminated).toBe(true);
  });

  it('honours Global Privacy Control: no tracking or personalising without consent, unless the site allows local-only', async () => {
    vi.stubGlobal('navigator', { globalPrivacyControl: true });
    const w = new FakeWorker(ok);
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    expect(isLocalrecError(await c.track({ item: 'a', type: 'view' }).catch((e: unknown) => e), 'consent-required')).toBe(true);
    expect(isLocalrecError(await c.personalise().catch((e: unknown) => e), 'consent-required')).toBe(true);
    expect(w.requests.map((r) => r.method)).toEqual(['init']);
    c.setConsent(true);
    await c.track({ item: 'a', type: 'view' });
    expect(w.requests.map((r) => r.method)).toEqual(['init', 'track']);

    const local = await createLocalrec({ ...base, personaliseWithoutConsent: true, createWorker: () => new FakeWorker(ok).asWorker() });
    await expect(local.track({ item: 'a', type: 'view' })).resolves.toBeTruthy();
  });

  it('delivers Worker events to listeners and survives a throwing listener', async () => {
    const w = new FakeWorker(ok);
    const seen: string[] = [];
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker(), onEvent: () => { throw new Error('listener bug'); } });
    const off = c.subscribe((e) => seen.push(e.type));
    w.dispatchEvent(new MessageEvent('message', { data: { kind: 'event', event: { type: 'download', file: 'weights.bin', bytes: 10 } } }));
    off();
    w.dispatchEvent(new MessageEvent('message', { data: { kind: 'event', event: { type: 'download', file: 'items.json', bytes: 10 } } }));
    expect(seen).toEqual(['download']);
  });
});
