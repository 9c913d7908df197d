// Plain HTTP(S) requests and WebSocket upgrade attempts with exactly the headers a test chooses (Host and Origin included), answered with status, headers and body.

import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { randomBytes } from 'node:crypto';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** TLS client settings (ca, cert, key) for https URLs. */
  tls?: Pick<RequestOptions, 'ca' | 'cert' | 'key'>;
  /** Local address to connect from, e.g. 127.0.0.2. */
  localAddress?: string;
}

/** The engine.io handshake path for `transport`, as socket.io-client sends it. */
export function enginePath(transport: 'polling' | 'websocket'): string {
  return `/socket.io/?EIO=4&transport=${transport}`;
}

/** Sends one request and reads the whole answer. Headers given here replace the defaults (Host too). */
export function rawRequest(base: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(path, base);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
      localAddress: options.localAddress,
      ...options.tls,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Asks for a WebSocket upgrade of `path` and resolves with the answer: status 101 when the server
 * accepted (the connection is closed right away), or the refusal's status, headers and body.
 */
export function upgradeRequest(base: string, path: string, options: Omit<RawRequest, 'method' | 'body'> = {}): Promise<RawResponse> {
  const url = new URL(path, base);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
        ...options.headers,
      },
      agent: false,
      localAddress: options.localAddress,
      ...options.tls,
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
