/**
 * Watches the page's `dataLayer` (Google Tag Manager / gtag) the way GTM does: replays
 * what was pushed before we arrived, then wraps `push` so later pushes reach us too. The
 * previous `push` (the array's own or GTM's) still runs first and its result is returned,
 * and a listener's failure never reaches the page's push call.
 */
export interface DataLayerHost {
  dataLayer?: unknown;
}

export function watchDataLayer(host: DataLayerHost, listener: (entry: unknown) => void): () => void {
  if (host.dataLayer === undefined) host.dataLayer = [];
  const layer = host.dataLayer;
  if (!Array.isArray(layer)) return () => undefined;
  let active = true;
  const deliver = (entry: unknown) => {
    if (!active) return;
    try {
      listener(entry);
    } catch {
      // The shop's own push must never fail because of us.
    }
  };
  for (const entry of [...layer]) deliver(entry);
  const previous: (...items: unknown[]) => number = layer.push;
  layer.push = function push(this: unknown[], ...items: unknown[]): number {
    const n = previous.apply(this, items);
    for (const entry of items) deliver(entry);
    return n;
  };
  // A later script may have wrapped our push in turn, so stop listening rather than unwrap.
  return () => {
    active = false;
  };
}

/** `gtag(…)` pushes its `arguments` object; this reads it (or a plain array) as a list. */
export function gtagArgs(entry: unknown): unknown[] | null {
  if (Array.isArray(entry)) return entry;
  if (typeof entry === 'object' && entry !== null && Object.prototype.toString.call(entry) === '[object Arguments]') return Array.from(entry as ArrayLike<unknown>);
  return null;
}
