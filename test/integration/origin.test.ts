// A1, A4: a foreign Origin or a foreign Host (DNS rebinding) gets HTTP 403 before any socket exists, on
// WebSocket upgrades, polling handshakes and state-changing REST calls; origins are compared exactly.

import { test } from 'node:test';
import { connect } from 'node:net';
import assert from 'node:assert/strict';
import { io as connectClient } from 'socket.io-client';
import { startServer, type TestServer } from '../helpers/server.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { ManualClock } from '../helpers/manualClock.js';
import { enginePath, rawRequest, upgradeRequest, type RawResponse } from '../helpers/rawHttp.js';
import { AuditAggregation } from '../../server/audit/auditCounter.js';
import { GuardLimits } from '../../server/http/requestGuard.js';

/** Sockets the server holds, and connections it saw: both must stay 0 after a refusal. */
function socketState(server: TestServer): { engineClients: number; connections: number } {
  return { engineClients: server.app.io.engine.clientsCount, connections: server.app.io.sockets.sockets.size };
}

function assertJsonRefusal(response: RawResponse, status: number): void {
  assert.equal(response.status, status, response.body);
  const body = JSON.parse(response.body) as { error: { code: string; message: string } };
  assert.equal(typeof body.error.code, 'string');
  assert.equal(typeof body.error.message, 'string');
}

/** Writes raw bytes to the server and resolves with everything it answers until it closes. */
function rawExchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

/** Origins that look like this server's but are not: port, scheme, sub- and super-domains, userinfo, paths. */
function foreignOrigins(port: number): string[] {
  return [
    'http://evil.example',
    `http://127.0.0.1:${port + 1}`,
    `http://127.0.0.1:${String(port).slice(0, -1)}`,
    `https://127.0.0.1:${port}`,
    `http://127.0.0.1:${port}.evil.example`,
    `http://127.0.0.1.evil.example:${port}`,
    `http://evil.127.0.0.1:${port}`,
    `http://localhost.evil.example:${port}`,
    `http://evil@127.0.0.1:${port}`,
    `http://127.0.0.1:${port}/path`,
    `ws://127.0.0.1:${port}`,
    `http://127.0.0.1`,
    'null',
    '*',
    '',
  ];
}

test('A1: a foreign Origin gets 403 on a WebSocket upgrade and a polling handshake, before any socket exists', async (t) => {
  const audit = new MemoryAuditLog();
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { audit, clock });
  t.after(() => server.close());
  const port = Number(new URL(server.url).port);

  for (const origin of foreignOrigins(port)) {
    const upgrade = await upgradeRequest(server.url, enginePath('websocket'), { headers: { Origin: origin } });
    assertJsonRefusal(upgrade, 403);
    const polling = await rawRequest(server.url, enginePath('polling'), { headers: { Origin: origin } });
    assertJsonRefusal(polling, 403);
    assert.deepEqual(socketState(server), { engineClients: 0, connections: 0 }, `origin ${JSON.stringify(origin)}`);
  }

  // The spellings of this server's own origin pass: exact match after URL normalization (host case).
  for (const origin of [server.url, `http://localhost:${port}`, `http://[::1]:${port}`, `http://LOCALHOST:${port}`]) {
    const upgrade = await upgradeRequest(server.url, enginePath('websocket'), { headers: { Origin: origin } });
    assert.equal(upgrade.status, 101, `origin ${origin}: ${upgrade.body}`);
    const polling = await rawRequest(server.url, enginePath('polling'), { headers: { Origin: origin } });
    assert.equal(polling.status, 200, `origin ${origin}: ${polling.body}`);
  }
  // No Origin (a non-browser client) passes this layer; sign-in decides what it may do.
  assert.equal((await upgradeRequest(server.url, enginePath('websocket'))).status, 101);

  // One aggregated record for the address, not one line per refusal; control characters never reach the log.
  const hostile = Buffer.concat([Buffer.from('http://evil.example'), Buffer.from([0x9b, 0x32, 0x4a, 0x85]), Buffer.from('a'.repeat(500))]);
  assert.match(await rawExchange(port, Buffer.concat([
    Buffer.from(`GET ${enginePath('polling')} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: `), hostile, Buffer.from('\r\nConnection: close\r\n\r\n'),
  ])), /^HTTP\/1\.1 403 /);
  assert.equal(audit.of('origin.refused').length, 0, 'aggregated: nothing is written before the interval ends');
  clock.advance(AuditAggregation.IntervalMs);
  const records = audit.of('origin.refused');
  assert.equal(records.length, 1, JSON.stringify(records));
  assert.equal(records[0]!.address, '127.0.0.1');
  assert.ok(Number(records[0]!.detail?.count) >= foreignOrigins(port).length * 2);
  assert.equal(records[0]!.detail?.reason, 'origin');
  for (const value of [records[0]!.detail?.origin, records[0]!.detail?.host]) {
    assert.equal(typeof value, 'string');
    assert.doesNotMatch(String(value), /[\u0000-\u001f\u007f-\u009f]/);
    assert.ok(String(value).length <= GuardLimits.MaxAuditedValue + 1);
  }
});

test('A1: a real socket.io client sent from a foreign origin cannot connect, on either transport', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  for (const transports of [['websocket'], ['polling']]) {
    const socket = connectClient(server.url, { transports, reconnection: false, forceNew: true, extraHeaders: { Origin: 'http://evil.example' } });
    const outcome = await new Promise<string>((resolve) => {
      socket.on('connect', () => resolve('connected'));
      socket.on('connect_error', (error) => resolve(`refused: ${error.message}`));
    });
    socket.close();
    assert.match(outcome, /^refused/, transports[0]);
  }
  assert.deepEqual(socketState(server), { engineClients: 0, connections: 0 });
});

test('A1: a foreign Origin may not create or close rooms through the API; reading and Origin-less calls are unaffected', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const json = { 'Content-Type': 'application/json' };
  const refused = await rawRequest(server.url, '/api/rooms', { method: 'POST', headers: { ...json, Origin: 'http://evil.example' }, body: '{}' });
  assertJsonRefusal(refused, 403);
  assert.equal(server.app.rooms.list().length, 0, 'no room was created');

  const created = await rawRequest(server.url, '/api/rooms', { method: 'POST', headers: { ...json, Origin: server.url }, body: '{}' });
  assert.equal(created.status, 201, created.body);
  const { id, ownerToken } = JSON.parse(created.body) as { id: string; ownerToken: string };
  const close = await rawRequest(server.url, `/api/rooms/${id}`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${ownerToken}`, Origin: 'http://evil.example' },
  });
  assertJsonRefusal(close, 403);
  assert.ok(server.app.rooms.get(id), 'the room is still open');

  // A GET's answer is kept from foreign pages by the browser (no CORS headers), so it is not refused here.
  const listed = await rawRequest(server.url, '/api/rooms', { headers: { Origin: 'http://evil.example' } });
  assert.equal(listed.status, 200);
  assert.equal(listed.headers['access-control-allow-origin'], undefined);
  const withoutOrigin = await rawRequest(server.url, '/api/rooms', { method: 'POST', headers: json, body: '{}' });
  assert.equal(withoutOrigin.status, 201, withoutOrigin.body);
});

test('A4: a valid Origin with a foreign Host (DNS rebinding) gets 403 on sockets and every HTTP request', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const port = Number(new URL(server.url).port);
  const foreignHosts = [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, `127.0.0.1`, `127.0.0.1:${port}@evil.example`, `127.0.0.1.evil.example:${port}`];
  for (const host of foreignHosts) {
    const headers = { Host: host, Origin: server.url };
    assertJsonRefusal(await upgradeRequest(server.url, enginePath('websocket'), { headers }), 403);
    assertJsonRefusal(await rawRequest(server.url, enginePath('polling'), { headers }), 403);
    for (const path of ['/', '/healthz', '/api/rooms', '/assets/room.js']) {
      assertJsonRefusal(await rawRequest(server.url, path, { headers }), 403);
    }
  }
  // No Host at all (HTTP/1.0; Node answers an HTTP/1.1 request without one with 400 itself).
  assert.match(await rawExchange(port, Buffer.from(`GET ${enginePath('polling')} HTTP/1.0\r\nOrigin: ${server.url}\r\n\r\n`)), /^HTTP\/1\.1 403 /);
  assert.match(await rawExchange(port, Buffer.from('GET /healthz HTTP/1.0\r\n\r\n')), /^HTTP\/1\.1 403 /);
  assert.deepEqual(socketState(server), { engineClients: 0, connections: 0 });
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LocalHost:${port}`]) {
    assert.equal((await rawRequest(server.url, '/healthz', { headers: { Host: host } })).status, 200, host);
  }
});

test('--allowed-origins replaces the default: only the listed origin and its Host pass', async (t) => {
  const server = await startServer({ allowedOrigins: ['https://term.example.com'] });
  t.after(() => server.close());
  const ok = await upgradeRequest(server.url, enginePath('websocket'), { headers: { Host: 'term.example.com', Origin: 'https://term.example.com' } });
  assert.equal(ok.status, 101);
  assert.equal((await rawRequest(server.url, '/healthz', { headers: { Host: 'term.example.com:443' } })).status, 200);
  // The listening address is no longer one of them; nor is the listed host on another port or scheme.
  assertJsonRefusal(await rawRequest(server.url, '/healthz'), 403);
  assertJsonRefusal(await rawRequest(server.url, '/healthz', { headers: { Host: 'term.example.com:80' } }), 403);
  for (const origin of ['http://term.example.com', 'https://term.example.com.evil.example', 'https://evil-term.example.com', 'https://term.example.co', 'https://example.com']) {
    assertJsonRefusal(await upgradeRequest(server.url, enginePath('websocket'), { headers: { Host: 'term.example.com', Origin: origin } }), 403);
  }
});
