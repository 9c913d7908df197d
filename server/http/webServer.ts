// The HTTP(S) server under express and socket.io, with explicit limits on request headers and on slow requests.

import { createServer, type IncomingMessage, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';

/**
 * Header limits and slow-client (slowloris) timeouts, set explicitly rather than inherited from the
 * Node version. A browser sends 10–20 headers in well under 4 KiB; cookies from sign-in add a few hundred bytes.
 */
export const WebServerLimits = {
  /** All request headers together, in bytes: Node's default, and nginx's 2 × 8 KiB buffers. Past it: 431. */
  MaxHeaderBytes: 16 * 1024,
  /** Header lines per request: Apache's LimitRequestFields default. Past it: 431 (RequestGuard). */
  MaxHeaderCount: 100,
  /** The whole header block must arrive within this, in ms, or the connection gets 408 and is closed. */
  HeadersTimeoutMs: 20_000,
  /** The whole request (headers and body; the largest is a 1 MiB polling POST) must arrive within this, in ms. */
  RequestTimeoutMs: 60_000,
  /** How often the two timeouts above are checked, in ms (Node's default, named because they depend on it). */
  TimeoutCheckIntervalMs: 30_000,
} as const;

export type WebServerSettings = { readonly [K in keyof typeof WebServerLimits]: number };

/** Whether a request carried more header lines than allowed (Node keeps one more than the limit, so we can tell). */
export function hasTooManyHeaders(req: IncomingMessage, limits: WebServerSettings = WebServerLimits): boolean {
  return req.rawHeaders.length / 2 > limits.MaxHeaderCount;
}

/** An HTTP server, or HTTPS with `tls`; it does not listen. */
export function createWebServer(handler: RequestListener, tls: TlsOptions | undefined, limits: WebServerSettings = WebServerLimits): HttpServer {
  const options = {
    maxHeaderSize: limits.MaxHeaderBytes,
    headersTimeout: limits.HeadersTimeoutMs,
    requestTimeout: limits.RequestTimeoutMs,
    connectionsCheckingInterval: limits.TimeoutCheckIntervalMs,
  };
  // https.Server has every http.Server method the app uses (listen, close, address, connections); the types keep them apart.
  const server = tls ? (createHttpsServer({ ...options, ...tls }, handler) as unknown as HttpServer) : createServer(options, handler);
  // Node stores this many headers and drops the rest silently; one more than the limit lets RequestGuard refuse instead.
  server.maxHeadersCount = limits.MaxHeaderCount + 1;
  return server;
}
