/**
 * The Worker's request queue: requests, idle personalisations and other tabs' changes run
 * one at a time in arrival order, so a personalisation never interleaves with a forget and
 * no request sees half of a change.
 */
export class RequestQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything queued before it; its result or error goes to this caller only. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(work, work);
    this.#tail = p.catch(() => undefined);
    return p;
  }

  /** Work the Worker queues itself (nobody waits for it): in turn, its failure dropped. */
  later(work: () => Promise<unknown>): void {
    this.run(work).catch(() => undefined);
  }
}
