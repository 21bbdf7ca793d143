/**
 * Starts the module Worker. On the page's own origin it is a plain
 * `new Worker(new URL('<literal>', import.meta.url))`, the one shape bundlers (Vite,
 * webpack 5) recognise, so an app that bundles the npm package bundles the Worker too.
 * When this file itself was loaded from another origin (the script tag served by a CDN),
 * browsers refuse `new Worker(crossOriginUrl)`; a same-origin blob: module Worker that
 * imports the Worker script works instead, because module workers may import
 * cross-origin scripts served with CORS.
 */
export function startWorker(): Worker {
  const here = new URL(import.meta.url);
  // webpack replaces import.meta.url with a file: URL; only an http(s) URL can be a CDN.
  if (/^https?:$/.test(here.protocol) && here.origin !== globalThis.location?.origin) {
    return importingWorker(new URL(WORKER_SCRIPT, here).href);
  }
  return new Worker(new URL('./worker-entry.ts', import.meta.url), { type: 'module', name: 'localrec' });
}

// The npm build renames './worker-entry.ts' to its bundle's file name in this file. A
// variable, not a literal, so no bundler mistakes this URL for an asset to copy.
const WORKER_SCRIPT = './worker-entry.ts';

function importingWorker(scriptUrl: string): Worker {
  const stub = URL.createObjectURL(new Blob([`import ${JSON.stringify(scriptUrl)};`], { type: 'text/javascript' }));
  const worker = new Worker(stub, { type: 'module', name: 'localrec' });
  // The Worker has fetched the stub once it answers (or fails); only then can the URL go.
  const revoke = () => URL.revokeObjectURL(stub);
  worker.addEventListener('message', revoke, { once: true });
  worker.addEventListener('error', revoke, { once: true });
  return worker;
}
