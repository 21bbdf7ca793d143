/**
 * A minimal static file server on loopback for specs that need their own origins (the
 * packed-package app, a CDN folder next to a shop page). Port 0 picks a free port.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** URL path prefix → folder. */
  mounts: Record<string, string>;
  /** Extra headers on every response (CORS, CSP). */
  headers?: Record<string, string>;
  /** Answers before the mounts; return true when handled. */
  handle?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export async function serveStatic(opts: ServeOptions): Promise<StaticServer> {
  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(opts.headers ?? {})) res.setHeader(k, v);
    if (opts.handle?.(req, res)) return;
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    for (const [prefix, dir] of Object.entries(opts.mounts)) {
      if (!path.startsWith(prefix)) continue;
      const root = resolve(dir);
      let file = resolve(root, `.${path.slice(prefix.length - 1)}`);
      if (file !== root && !file.startsWith(root + sep)) break;
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file)) continue;
      res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
      createReadStream(file).pipe(res);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    // The page may still hold a connection open (a Worker's fetch in flight): close() alone
    // waits for it, and the page only goes away after the test, so end every connection.
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
