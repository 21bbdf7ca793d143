/**
 * The page's side of the Worker boundary: typed calls posted as requests, answers matched
 * by id, a timeout per method, events handed to listeners, and one restart when the Worker
 * dies (its waiting calls are sent again, once). It knows nothing of the public API's
 * arguments or consent; main-client.ts is that facade. No tfjs here.
 */
import { DEV } from '../dev';
import { LocalrecError } from '../errors';
import type { Method, Params, RequestMessage, Result, WorkerInitParams, WorkerMessage } from './protocol';
import type { ConsentState, LocalrecEvent, LocalrecMethod } from './types';

/**
 * How long each Worker call may take before it rejects with `worker-timeout`, in ms.
 * Calls run one at a time in the Worker, so a call's time includes waiting for the ones
 * before it; init downloads and verifies the model, and personalise trains, hence longer.
 */
export const DEFAULT_TIMEOUTS: Readonly<Record<LocalrecMethod, number>> = {
  init: 120_000,
  personalise: 60_000,
  track: 30_000,
  recommend: 30_000,
  explain: 30_000,
  forget: 30_000,
  exportData: 30_000,
  status: 30_000,
  consent: 30_000,
  setAvailability: 30_000,
};

// The public method list (types.ts LocalrecMethod) names the protocol's methods, no more,
// no less: a name missing from either side makes this `false` and fails to compile.
type SameMethods = [LocalrecMethod] extends [Method] ? ([Method] extends [LocalrecMethod] ? true : false) : false;
const methodsMatch: SameMethods = true;
void methodsMatch;

/**
 * A call waiting for its response. `resolve` is declared as a method so that a resolver
 * for one method's result fits here: the Worker answers id N with method N's result.
 * The request is kept so that a crashed Worker's calls can be sent again, once.
 */
interface Pending {
  request: RequestMessage;
  timer: ReturnType<typeof setTimeout>;
  resolve(value: Result<Method>): void;
  reject(error: LocalrecError): void;
}

export class WorkerTransport {
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly listeners = new Set<(event: LocalrecEvent) => void>();
  #dead: LocalrecError | null = null;
  #worker: Worker;
  /** A crashed Worker is replaced once; a second crash fails the transport. */
  #restarted = false;
  readonly #createWorker: () => Worker;
  readonly #timeouts: Record<Method, number>;
  readonly #initParams: WorkerInitParams;
  /** The consent state a (re)started Worker's init carries; the facade records that the Worker heard it. */
  readonly #consentForInit: () => ConsentState;

  constructor(createWorker: () => Worker, initParams: WorkerInitParams, timeouts: Record<Method, number>, consentForInit: () => ConsentState) {
    this.#createWorker = createWorker;
    this.#initParams = initParams;
    this.#timeouts = timeouts;
    this.#consentForInit = consentForInit;
    this.#worker = this.#attach(createWorker());
  }

  /** Listens to one Worker; events from a Worker that was replaced are ignored. */
  #attach(worker: Worker): Worker {
    worker.addEventListener('message', (ev: MessageEvent<WorkerMessage>) => {
      if (worker === this.#worker) this.#onMessage(ev.data);
    });
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      if (worker !== this.#worker) return;
      this.#crashed(
        new LocalrecError('worker-failed', `the localrec Worker failed: ${ev.message || 'could not load the Worker script'}`, {}, DEV
          ? "check that the Worker script's URL is served and that the page's CSP allows it (worker-src) and wasm ('wasm-unsafe-eval')"
          : undefined),
      );
    });
    worker.addEventListener('messageerror', () => {
      if (worker === this.#worker) this.#fail(new LocalrecError('worker-failed', 'a message from the Worker could not be read'));
    });
    return worker;
  }

  /**
   * The Worker died (an uncaught error or a failed load). The first time, a new Worker is
   * started, initialised with the same options and the current consent, and every call
   * that was waiting is sent to it again (once); the second time, the transport fails.
   */
  #crashed(err: LocalrecError): void {
    if (this.#dead) return;
    if (this.#restarted) return this.#fail(err);
    this.#restarted = true;
    try {
      this.#worker.terminate();
    } catch {
      // Already gone.
    }
    let next: Worker;
    try {
      next = this.#createWorker();
    } catch {
      return this.#fail(err);
    }
    this.#worker = this.#attach(next);
    const waiting = [...this.#pending.values()].map((p) => p.request);
    // The new Worker has no model: initialise it first, unless an init is already waiting.
    if (!waiting.some((r) => r.method === 'init')) this.init().catch(() => undefined);
    for (const r of [...waiting.filter((r) => r.method === 'init'), ...waiting.filter((r) => r.method !== 'init')]) {
      this.#worker.postMessage(r.method === 'init' ? { ...r, params: { ...r.params, consent: this.#consentForInit() } } : r);
    }
  }

  #onMessage(msg: WorkerMessage): void {
    if (msg.kind === 'event') {
      for (const l of this.listeners) {
        try {
          l(msg.event);
        } catch {
          // A listener's bug must not break the client.
        }
      }
      return;
    }
    const p = this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(LocalrecError.fromJSON(msg.error));
  }

  #fail(err: LocalrecError): void {
    this.#dead = err;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
  }

  /** (Re)loads the model with the current consent. */
  init(): Promise<Result<'init'>> {
    return this.call('init', { ...this.#initParams, consent: this.#consentForInit() });
  }

  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    const ms = this.#timeouts[method];
    return new Promise<Result<M>>((resolve, reject) => {
      const request: RequestMessage<M> = { kind: 'request', id, method, params };
      const timer = setTimeout(() => {
        if (!this.#pending.delete(id)) return;
        reject(
          new LocalrecError('worker-timeout', `${method}() got no answer from the Worker within ${ms} ms`, { method, ms }, DEV
            ? 'the Worker may be stalled or busy with a long call before this one; raise `timeouts` if the model or device is slow'
            : undefined),
        );
      }, ms);
      // Stored as the method union: the entry only ever re-posts this same request.
      this.#pending.set(id, { request: request as RequestMessage, timer, resolve, reject });
      this.#worker.postMessage(request);
    });
  }

  terminate(reason: LocalrecError): void {
    this.#worker.terminate();
    this.#fail(reason);
  }
}
