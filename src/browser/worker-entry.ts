/** The module Worker: a message loop around WorkerRuntime. All tfjs work happens here. */
import { LocalrecError, type SerialisedError } from '../errors';
import type { RequestMessage, WorkerMessage } from './protocol';
import { chooseBackend, loadBackend, probeBackends } from './worker-backend';
import { openModelCache } from './worker-loader';
import { WorkerRuntime } from './worker-runtime';

const post = (m: WorkerMessage) => self.postMessage(m);

function serialise(e: unknown): SerialisedError {
  if (e instanceof LocalrecError) return e.toJSON();
  // Anything else is a bug or an environment failure; keep its text so it can be reported.
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { code: 'worker-failed', message, details: {} };
}

const runtime = new WorkerRuntime({
  fetch: (input, init) => fetch(input, init),
  chooseBackend,
  takeover: { probe: probeBackends, load: loadBackend },
  openModelCache,
  emit: (event) => post({ kind: 'event', event }),
  // Other tabs' Workers on the same database (without BroadcastChannel the events are read on every call).
  ...(typeof BroadcastChannel === 'function' ? { channel: (name: string) => new BroadcastChannel(name) } : {}),
});

self.addEventListener('message', (ev: MessageEvent<RequestMessage>) => {
  const req = ev.data;
  if (req?.kind !== 'request' || typeof req.id !== 'number') return;
  runtime.handle(req).then(
    (value) => post({ kind: 'response', id: req.id, ok: true, value }),
    (e: unknown) => post({ kind: 'response', id: req.id, ok: false, error: serialise(e) }),
  );
});
