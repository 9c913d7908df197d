// C4: too many headers, a 64 KB header and a slowloris client are refused while the server keeps serving.
// I3 (headers): every kind of response carries the strict CSP, no-referrer, nosniff and no-framing headers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startServer } from '../helpers/server.js';
import { enginePath, rawRequest, upgradeRequest, type RawResponse } from '../helpers/rawHttp.js';
import { waitFor } from '../helpers/wait.js';
import { WebServerLimits } from '../../server/http/webServer.js';

/** Sends raw bytes and resolves with what the server answers until it closes the connection. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
  });
}

function requestWith(port: number, headerLines: string[], upgrade = false): string {
  const start = upgrade
    ? `GET ${enginePath('websocket')} HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`
    : 'GET /healthz HTTP/1.1\r\nConnection: close\r\n';
  return `${start}Host: 127.0.0.1:${port}\r\n${headerLines.map((line) => `${line}\r\n`).join('')}\r\n`;
}

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? 0);
}

/** `count` short header lines (a repeated name is still a line each): few bytes, so only their number can be what is refused. */
function shortHeaders(count: number): string[] {
  return Array.from({ length: count }, () => 'a:1');
}

test('C4: 2 000 headers and a 64 KB header are refused; the process stays up and serves the next request', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const port = Number(new URL(server.url).port);
  const fixed = 6;
  const within = WebServerLimits.MaxHeaderCount - fixed;
  assert.ok(shortHeaders(2000).join('\r\n').length < WebServerLimits.MaxHeaderBytes, 'the count, not the size, is what is tested');

  assert.equal(statusOf(await exchange(port, requestWith(port, shortHeaders(2000)))), 431);
  assert.equal(statusOf(await exchange(port, requestWith(port, shortHeaders(2000), true))), 431);
  assert.equal(statusOf(await exchange(port, requestWith(port, [`x-big: ${'a'.repeat(64 * 1024)}`]))), 431);
  assert.equal(statusOf(await exchange(port, requestWith(port, [`x-big: ${'a'.repeat(64 * 1024)}`], true))), 431);
  // The limit is where it says: one header line past it is refused, the count up to it is served.
  assert.equal(statusOf(await exchange(port, requestWith(port, shortHeaders(WebServerLimits.MaxHeaderCount)))), 431);
  assert.equal(statusOf(await exchange(port, requestWith(port, shortHeaders(within - 2)))), 200);
  assert.equal(server.app.io.engine.clientsCount, 0);

  const health = await rawRequest(server.url, '/healthz');
  assert.equal(health.status, 200);
  assert.equal((await upgradeRequest(server.url, enginePath('websocket'))).status, 101);
});

test('C4: a client that sends its headers too slowly (slowloris) is answered 408 and cut off', async (t) => {
  const limits = { ...WebServerLimits, HeadersTimeoutMs: 500, RequestTimeoutMs: 1000, TimeoutCheckIntervalMs: 100 };
  const server = await startServer({}, process.env, { webServerLimits: limits });
  t.after(() => server.close());
  const port = Number(new URL(server.url).port);
  let answer = '';
  let closed = false;
  const socket: Socket = connect(port, '127.0.0.1', () => socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`));
  socket.on('data', (chunk) => {
    answer += chunk.toString('latin1');
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => undefined);
  // One more header line now and then: without a headers deadline this would hold the connection forever.
  const drip = setInterval(() => socket.writable && socket.write('x-drip: 1\r\n'), 100);
  t.after(() => {
    clearInterval(drip);
    socket.destroy();
  });
  await waitFor(() => closed, 'the server to cut off the slow client', 15_000);
  assert.equal(statusOf(answer), 408, answer);
  assert.equal((await rawRequest(server.url, '/healthz')).status, 200);
});

const EXPECTED_CSP = "default-src 'self';script-src 'self' 'wasm-unsafe-eval';style-src 'self' 'unsafe-inline';img-src 'self' data:;connect-src 'self';object-src 'none';base-uri 'none';frame-ancestors 'none';form-action 'self'";

function assertSecurityHeaders(kind: string, response: RawResponse): void {
  const csp = String(response.headers['content-security-policy']);
  assert.equal(csp, EXPECTED_CSP, kind);
  const scriptSrc = csp.split(';').find((directive) => directive.startsWith('script-src'));
  // 'wasm-unsafe-eval' allows compiling WebAssembly (the replay player's terminal), not eval or inline script.
  assert.equal(scriptSrc, "script-src 'self' 'wasm-unsafe-eval'", `${kind}: no inline or eval script`);
  assert.equal(response.headers['referrer-policy'], 'no-referrer', kind);
  assert.equal(response.headers['x-content-type-options'], 'nosniff', kind);
  assert.equal(response.headers['x-frame-options'], 'DENY', kind);
  assert.equal(response.headers['strict-transport-security'], undefined, `${kind}: no HSTS over plain HTTP`);
  assert.equal(response.headers['x-powered-by'], undefined, kind);
}

test('I3: every kind of response carries the security headers', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom();
  const json = { 'Content-Type': 'application/json' };
  const kinds: Array<[string, Promise<RawResponse>, number]> = [
    ['lobby page', rawRequest(server.url, '/'), 200],
    ['room page', rawRequest(server.url, `/r/${room.id}`), 200],
    ['static asset', rawRequest(server.url, '/assets/room.js'), 200],
    ['missing asset', rawRequest(server.url, '/assets/nope.js'), 404],
    ['API JSON', rawRequest(server.url, '/api/rooms'), 200],
    ['API 404', rawRequest(server.url, '/api/rooms/nope'), 404],
    ['unknown page', rawRequest(server.url, '/no/such/page'), 404],
    ['bad JSON', rawRequest(server.url, '/api/rooms', { method: 'POST', headers: json, body: '{' }), 400],
    ['too large', rawRequest(server.url, '/api/rooms', { method: 'POST', headers: json, body: `{"name":"${'a'.repeat(100_000)}"}` }), 413],
    ['health', rawRequest(server.url, '/healthz'), 200],
    ['socket.io polling', rawRequest(server.url, enginePath('polling')), 200],
    ['socket.io error', rawRequest(server.url, '/socket.io/?EIO=4&transport=nope'), 400],
    ['origin refusal', rawRequest(server.url, '/api/rooms', { method: 'POST', headers: { ...json, Origin: 'http://evil.example' }, body: '{}' }), 403],
  ];
  for (const [kind, pending, status] of kinds) {
    const response = await pending;
    assert.equal(response.status, status, `${kind}: ${response.body.slice(0, 200)}`);
    assertSecurityHeaders(kind, response);
  }
  // The pages themselves hold no inline script for the policy to have to allow.
  const page = await rawRequest(server.url, '/');
  assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/i);
});
