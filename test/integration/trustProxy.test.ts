// --trust-proxy: X-Forwarded-For names the client only when the peer is a trusted proxy; otherwise a spoofed
// header changes nothing (REST requester, socket address, audit, connection limit, X-Forwarded-Proto in links).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { io as connectClient } from 'socket.io-client';
import { startServer, type TestServer } from '../helpers/server.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { ManualClock } from '../helpers/manualClock.js';
import { enginePath, rawRequest, upgradeRequest } from '../helpers/rawHttp.js';
import { ConnectionLimits } from '../../server/http/connectionLimiter.js';
import type { TrustProxy } from '../../server/net/clientAddress.js';
import type { JoinReply } from '../../server/shared/events.js';

const CLIENT = '198.51.100.7';
const OTHER_CLIENT = '198.51.100.8';

/** Creates a room and joins it over a socket, both claiming to come from CLIENT through a proxy. */
async function actThroughProxy(server: TestServer): Promise<{ viewUrl: string }> {
  const created = await rawRequest(server.url, '/api/rooms', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': `6.6.6.6, ${CLIENT}`, 'X-Forwarded-Proto': 'https' },
    body: '{}',
  });
  assert.equal(created.status, 201, created.body);
  const room = JSON.parse(created.body) as { id: string; viewUrl: string };
  const socket = connectClient(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { 'X-Forwarded-For': CLIENT } });
  try {
    const reply = await new Promise<JoinReply>((resolve, reject) => {
      socket.on('connect_error', reject);
      socket.on('connect', () => socket.emit('room:join', { roomId: room.id }, resolve));
    });
    assert.equal(reply.ok, true);
  } finally {
    socket.close();
  }
  return room;
}

/** Spends the connection budget of whoever the server thinks sends X-Forwarded-For: CLIENT; says whether OTHER_CLIENT still gets in. */
async function otherClientAfterFlood(server: TestServer): Promise<number> {
  for (let i = 0; i < ConnectionLimits.Burst; i++) {
    await upgradeRequest(server.url, enginePath('websocket'), { headers: { 'X-Forwarded-For': CLIENT } });
  }
  return (await upgradeRequest(server.url, enginePath('websocket'), { headers: { 'X-Forwarded-For': OTHER_CLIENT } })).status;
}

for (const [label, trustProxy] of [['no --trust-proxy', undefined], ['--trust-proxy 10.0.0.0/8 (the peer is not one)', { ranges: ['10.0.0.0/8'] }]] as Array<[string, TrustProxy | undefined]>) {
  test(`${label}: a spoofed X-Forwarded-For and X-Forwarded-Proto are ignored`, async (t) => {
    const audit = new MemoryAuditLog();
    const server = await startServer({ trustProxy }, process.env, { audit, clock: new ManualClock() });
    t.after(() => server.close());
    const room = await actThroughProxy(server);
    assert.match(room.viewUrl, /^http:\/\//, 'X-Forwarded-Proto from an untrusted peer does not change the links');
    for (const event of ['room.created', 'member.joined'] as const) {
      assert.deepEqual(audit.of(event).map((record) => record.address), ['127.0.0.1'], event);
    }
    assert.equal(await otherClientAfterFlood(server), 429, 'the flood counted against the peer, whatever it claimed');
    // Nor does an untrusted X-Forwarded-Proto make the https spelling of this origin acceptable.
    const port = new URL(server.url).port;
    const https = await upgradeRequest(server.url, enginePath('websocket'), { headers: { Origin: `https://127.0.0.1:${port}`, 'X-Forwarded-Proto': 'https' } });
    assert.equal(https.status, 403);
  });
}

test('--trust-proxy loopback: the client named by the trusted proxy is the requester, the socket address and the limit key', async (t) => {
  const audit = new MemoryAuditLog();
  const server = await startServer({ trustProxy: { ranges: ['loopback'] } }, process.env, { audit, clock: new ManualClock() });
  t.after(() => server.close());
  const room = await actThroughProxy(server);
  assert.match(room.viewUrl, /^https:\/\//, 'a trusted proxy says the client used https');
  for (const event of ['room.created', 'member.joined'] as const) {
    assert.deepEqual(audit.of(event).map((record) => record.address), [CLIENT], event);
  }
  assert.equal(await otherClientAfterFlood(server), 101, 'another client behind the same proxy has its own budget');
});
