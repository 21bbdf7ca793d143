/** BroadcastChannel stand-ins for Node tests: channels of one hub reach each other, as the tabs of one origin do. */
import type { ChangeChannel } from '../../../src/browser/worker-history-cache';

export class ChannelHub {
  private readonly open = new Set<{ name: string; target: EventTarget }>();
  /** Messages posted and not yet delivered. */
  private pending = 0;
  /** How late each message arrives: a Worker busy in a long task (a personalisation) hears it only afterwards. */
  latencyMs = 0;

  channel(name: string): ChangeChannel {
    const self = { name, target: new EventTarget() };
    this.open.add(self);
    return {
      postMessage: (data: unknown) => {
        // As BroadcastChannel: a structured clone, in a later task, to every other open channel of that name.
        const copy = structuredClone(data);
        for (const other of this.open) {
          if (other === self || other.name !== name) continue;
          this.pending++;
          setTimeout(() => {
            this.pending--;
            if (this.open.has(other)) other.target.dispatchEvent(new MessageEvent('message', { data: copy }));
          }, this.latencyMs);
        }
      },
      addEventListener: (type, listener) => self.target.addEventListener(type, listener as EventListener),
      close: () => void this.open.delete(self),
    };
  }

  /** Resolves once every message posted so far has been delivered (and what it started has run). */
  async delivered(): Promise<void> {
    while (this.pending > 0) await new Promise((r) => setTimeout(r));
    await new Promise((r) => setTimeout(r));
  }
}
