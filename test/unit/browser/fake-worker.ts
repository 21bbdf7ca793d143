/** A Worker stand-in for the main-thread client's tests. */
import type { RequestMessage, WorkerMessage } from '../../../src/browser/protocol';

/** Answers each request with `reply` (null: never answers). */
export class FakeWorker extends EventTarget {
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
  /** What a Worker that dies with an uncaught error does. */
  crash() {
    this.dispatchEvent(Object.assign(new Event('error'), { message: 'out of memory' }));
  }
  asWorker() {
    return this as unknown as Worker;
  }
}

/** A successful response to any request. */
export const ok = (req: RequestMessage): WorkerMessage => ({ kind: 'response', id: req.id, ok: true, value: { stored: 1, evicted: 0 } as never });
