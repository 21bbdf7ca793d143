import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLocalrec, type Localrec } from '../../../src/browser/main-client';
import { FakeWorker, ok } from './fake-worker';
import { LocalrecError, type ErrorCode } from '../../../src/errors';

const base = { model: 'https://shop.test/models/shop/manifest.json', wasmPath: 'https://shop.test/tfjs-wasm/', consent: 'granted' as const };
const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

/** A public call with a wrongly typed argument (as plain JavaScript callers can make), and the code it must fail with. */
interface BadCall {
  kind: string;
  call(c: Localrec): Promise<unknown>;
  code: ErrorCode;
}

const BAD_CALLS: BadCall[] = [
  { kind: "setConsent('false'), a string where the state belongs", call: (c) => c.setConsent('false' as never), code: 'invalid-argument' },
  { kind: 'setConsent(false), a boolean', call: (c) => c.setConsent(false as never), code: 'invalid-argument' },
  { kind: "recommend({ n: '5' }), a string where a number belongs", call: (c) => c.recommend({ n: '5' as never }), code: 'invalid-argument' },
  { kind: 'recommend({ n: 2.5 })', call: (c) => c.recommend({ n: 2.5 }), code: 'invalid-argument' },
  { kind: 'recommend({ n: 1e9 })', call: (c) => c.recommend({ n: 1e9 }), code: 'invalid-argument' },
  { kind: "recommend({ excludeSeen: 'false' }), a string where a boolean belongs", call: (c) => c.recommend({ excludeSeen: 'false' as never }), code: 'invalid-argument' },
  { kind: "recommend({ categories: 'shoes' }), a string where an array belongs", call: (c) => c.recommend({ categories: 'shoes' as never }), code: 'invalid-argument' },
  { kind: 'recommend({ nn: 5 }), an unknown option', call: (c) => c.recommend({ nn: 5 } as never), code: 'invalid-argument' },
  { kind: 'recommend(null)', call: (c) => c.recommend(null as never), code: 'invalid-argument' },
  { kind: 'explain(42), a number where the item id belongs', call: (c) => c.explain(42 as never), code: 'invalid-argument' },
  { kind: "explain('')", call: (c) => c.explain(''), code: 'invalid-argument' },
  { kind: "explain('p1', { n: '3' })", call: (c) => c.explain('p1', { n: '3' as never }), code: 'invalid-argument' },
  { kind: "personalise({ steps: '5' })", call: (c) => c.personalise({ steps: '5' as never }), code: 'invalid-argument' },
  { kind: 'personalise({ steps: 150 }), above the cap', call: (c) => c.personalise({ steps: 150 }), code: 'invalid-argument' },
  { kind: 'personalise({ steps: -1 })', call: (c) => c.personalise({ steps: -1 }), code: 'invalid-argument' },
  { kind: "track({ item: 'p1', type: 'view', ts: '2024' }), a string timestamp", call: (c) => c.track({ item: 'p1', type: 'view', ts: '2024' as never }), code: 'invalid-event' },
  { kind: "track({ item: 7, type: 'view' })", call: (c) => c.track({ item: 7 as never, type: 'view' }), code: 'invalid-event' },
  { kind: "track({ item: 'p1', type: 'like' })", call: (c) => c.track({ item: 'p1', type: 'like' as never }), code: 'invalid-event' },
  { kind: 'track(null)', call: (c) => c.track(null as never), code: 'invalid-event' },
  { kind: "track('p1'), a string where an event belongs", call: (c) => c.track('p1' as never), code: 'invalid-event' },
  { kind: "track({ item: 'p1', type: 'view', rating: 3 }), a rating on a view", call: (c) => c.track({ item: 'p1', type: 'view', rating: 3 }), code: 'invalid-event' },
];

describe('the page client with wrongly typed arguments', () => {
  it.each(BAD_CALLS)('rejects $kind with its code and sends nothing to the Worker', async (b) => {
    const w = new FakeWorker(ok);
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    const err = await errorOf(b.call(c));
    expect(err).toBeInstanceOf(LocalrecError);
    expect(err).toHaveCode(b.code);
    expect(w.requests.map((r) => r.method)).toEqual(['init']);
  });

  it('still sends well-typed calls, GA4 names included', async () => {
    const w = new FakeWorker(ok);
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    await c.recommend({ n: 5, excludeSeen: false, categories: ['shoes'] });
    await c.explain('p1', { n: 2 });
    await c.track({ item: 'p1', type: 'view_item' });
    await c.personalise({ steps: 3 });
    await c.setConsent('pending');
    expect(w.requests.map((r) => r.method)).toEqual(['init', 'recommend', 'explain', 'track', 'personalise', 'consent']);
  });
});

describe('Worker call timeouts', () => {
  afterEach(() => vi.useRealTimers());

  it('rejects createLocalrec with worker-timeout when the Worker never answers init, and stops the Worker', async () => {
    vi.useFakeTimers();
    const w = new FakeWorker(() => null);
    const p = errorOf(createLocalrec({ ...base, createWorker: () => w.asWorker(), timeouts: { init: 5_000 } }));
    await vi.advanceTimersByTimeAsync(5_001);
    const err = await p;
    expect(err).toHaveCode('worker-timeout', { method: 'init', ms: 5_000 });
    expect(w.terminated).toBe(true);
  });

  it('rejects a stalled call with worker-timeout after its default, and later calls still work', async () => {
    vi.useFakeTimers();
    let stall = true;
    const w = new FakeWorker((req) => (req.method === 'recommend' && stall ? null : ok(req)));
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    const p = errorOf(c.recommend());
    await vi.advanceTimersByTimeAsync(29_000);
    let settled = false;
    void p.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_001);
    expect(await p).toHaveCode('worker-timeout');
    stall = false;
    await expect(c.recommend()).resolves.toBeDefined();
  });

  it('refuses a timeout that is not a positive number as invalid-argument', async () => {
    const w = new FakeWorker(ok);
    const err = await errorOf(createLocalrec({ ...base, createWorker: () => w.asWorker(), timeouts: { recommend: '100' as never } }));
    expect(err).toHaveCode('invalid-argument');
  });
});

describe('a crashed Worker', () => {
  it('is restarted once, initialised with the same options and consent, and the waiting call is retried', async () => {
    const workers: FakeWorker[] = [];
    let stallFirst = true;
    const make = () => {
      const w = new FakeWorker((req) => (workers.length === 1 && stallFirst && req.method === 'recommend' ? null : ok(req)));
      workers.push(w);
      return w.asWorker();
    };
    const c = await createLocalrec({ ...base, createWorker: make });
    const p = c.recommend({ n: 3 });
    workers[0].crash();
    stallFirst = false;
    await expect(p).resolves.toBeDefined();
    expect(workers).toHaveLength(2);
    expect(workers[0].terminated).toBe(true);
    expect(workers[1].requests.map((r) => r.method)).toEqual(['init', 'recommend']);
    expect(workers[1].requests[0]).toMatchObject({ params: { ...workers[0].requests[0].params, consent: 'granted' } });
    expect(workers[1].requests[1]).toMatchObject({ params: { n: 3 } });
  });

  it('fails every call with worker-failed when the restarted Worker crashes too', async () => {
    const workers: FakeWorker[] = [];
    const make = () => {
      const w = new FakeWorker((req) => (req.method === 'init' ? ok(req) : null));
      workers.push(w);
      return w.asWorker();
    };
    const c = await createLocalrec({ ...base, createWorker: make });
    const p = errorOf(c.status());
    workers[0].crash();
    await Promise.resolve();
    workers[1].crash();
    expect(await p).toHaveCode('worker-failed');
    await expect(c.recommend()).rejects.toHaveCode('worker-failed');
    expect(workers).toHaveLength(2);
  });

  it('restarts once when the Worker script fails to load during createLocalrec', async () => {
    const workers: FakeWorker[] = [];
    const make = () => {
      const w = new FakeWorker((req) => (workers.length === 1 ? null : ok(req)));
      workers.push(w);
      if (workers.length === 1) queueMicrotask(() => w.crash());
      return w.asWorker();
    };
    await expect(createLocalrec({ ...base, createWorker: make })).resolves.toBeDefined();
    expect(workers[1].requests.map((r) => r.method)).toEqual(['init']);
  });
});
