/**
 * Resource limits of the HTTP server, so slow or greedy clients cannot hold what
 * well-behaved devices need (sockets, file descriptors, memory):
 * - a request must arrive whole (headers and body) within `requestTimeoutMs`, its headers
 *   within `headersTimeoutMs`: a body sent a byte every few seconds is cut off, however
 *   busy it keeps the socket;
 * - a socket with no traffic for `idleTimeoutMs` is closed (also between keep-alive requests);
 * - at most `maxConnectionsPerAddress` open connections per client address, `maxConnections`
 *   in all: more are closed at once, before any byte is read;
 * - headers at most `maxHeaderBytes` (431 above). The body limit is the route's (the size of
 *   a float32 delta for uploads; see server.ts).
 * Numbers are in docs/federated.md ("Resource limits").
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  /** 0 = no per-address cap (behind a proxy every connection comes from its address). */
  maxConnectionsPerAddress: number;
  maxConnections: number;
  maxHeaderBytes: number;
}

/**
 * A 16 KB float32 upload takes 1.3 s at 100 kbit/s, so 10 s leaves room for a poor mobile
 * link while a slow-body client is cut off within seconds; 32 connections per address
 * leave room for a few devices behind one NAT address, each with a round request and an
 * upload, not for hundreds of idle sockets.
 */
export const DEFAULT_LIMITS: ConnectionLimits = {
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  maxConnectionsPerAddress: 32,
  maxConnections: 1024,
  maxHeaderBytes: 8 * 1024,
};

export type RefusedWhy = 'per-address' | 'idle' | 'too-slow';

/**
 * An http.Server with the limits applied; fastify takes it through `serverFactory`.
 * `onRefused` is told of each connection the limits close (for the metrics).
 */
export function limitedServer(limits: ConnectionLimits, handler: Parameters<typeof createServer>[1], onRefused: (why: RefusedWhy) => void): Server {
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      keepAliveTimeout: limits.idleTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node checks the request deadlines this often (30 s by default): a slow client would outlive the timeout by that much.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.requestTimeoutMs / 4))),
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  server.setTimeout(limits.idleTimeoutMs, (socket: Socket) => {
    onRefused('idle');
    socket.destroy();
  });
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const n = (open.get(address) ?? 0) + 1;
    if (limits.maxConnectionsPerAddress > 0 && n > limits.maxConnectionsPerAddress) {
      onRefused('per-address');
      socket.destroy();
      return;
    }
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') onRefused('too-slow');
  });
  return server;
}
