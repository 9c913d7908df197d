// Scale-out on Redis, the REST side: node B answers requests about a room of node A (and about its record after it ended) by forwarding them, with the client's address and credential as they came.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import type { RoomSummary } from '../../server/shared/events.js';
import { createRoomAt } from '../helpers/serverProcess.js';
import { joinMember } from '../helpers/member.js';
import { redisMissing } from '../helpers/redis.js';
import { twoNodesPerSuite } from '../helpers/clusterNodes.js';
import { waitFor } from '../helpers/wait.js';
import { scrape } from '../helpers/metrics.js';

const skip = redisMissing();

/**
 * The loopback address the test's requests come from: not 127.0.0.1, which the nodes use between themselves,
 * so an audit record shows whether it names the client or the node that forwarded its request.
 */
const CLIENT_ADDRESS = '127.0.0.9';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T>(): T;
}

/** One HTTP request from CLIENT_ADDRESS (fetch cannot choose its source address). */
function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'GET',
      localAddress: CLIENT_ADDRESS,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

interface AuditEvent {
  event: string;
  address?: string;
  detail?: Record<string, unknown>;
}

async function auditAt(url: string, roomId: string, ownerToken: string): Promise<AuditEvent[]> {
  const answer = await call(`${url}/api/rooms/${roomId}/audit`, { headers: bearer(ownerToken) });
  assert.equal(answer.status, 200, answer.text);
  return answer.json<{ events: AuditEvent[] }>().events;
}

describe('scale-out on Redis: REST requests for another node\'s room', { skip }, () => {
  const nodes = twoNodesPerSuite();

  test('B answers for a room of A: its summary, its screen, and a token its owner mints, with the client\'s address in A\'s audit', async () => {
    const { a, b } = nodes;
    const room = await createRoomAt(a.url, { name: 'answered elsewhere' });
    const summary = await call(`${b.url}/api/rooms/${room.id}`);
    assert.equal(summary.status, 200, summary.text);
    assert.equal(summary.json<RoomSummary>().name, 'answered elsewhere');

    const writer = nodes.track(await joinMember(a.url, room.id, { token: room.writeToken }));
    writer.socket.emit('term:input', 'echo screen-$((6*7))\r');
    await waitFor(() => writer.outputText().includes('screen-42'), 'the shell on A to answer');
    const screen = await call(`${b.url}/api/rooms/${room.id}/screen`, { headers: bearer(room.writeToken) });
    assert.equal(screen.status, 200, screen.text);
    assert.match(screen.text, /screen-42/);

    const minted = await call(`${b.url}/api/rooms/${room.id}/tokens`, { method: 'POST', headers: bearer(room.ownerToken), body: { role: 'viewer', label: 'through B' } });
    assert.equal(minted.status, 201, minted.text);
    // The link names the address the client used (B's), with B's scheme: the client never sees A.
    assert.ok(minted.json<{ url: string }>().url.startsWith(`${b.url}/r/${room.id}#token=`), minted.text);
    const viewer = nodes.track(await joinMember(b.url, room.id, { token: minted.json<{ token: string }>().token }));
    assert.equal(viewer.reply.ok, true, JSON.stringify(viewer.reply));

    const events = await auditAt(b.url, room.id, room.ownerToken);
    const mint = events.find((event) => event.event === 'token.minted');
    assert.ok(mint, JSON.stringify(events));
    assert.equal(mint.address, CLIENT_ADDRESS, 'A audits the client, not the node that forwarded its request');

    // A credential B passed on is checked on A as A checks its own: a wrong one is refused the same way.
    const wrong = await call(`${b.url}/api/rooms/${room.id}/tokens`, { headers: bearer(room.writeToken) });
    assert.equal(wrong.status, 404, wrong.text);
  });

  test('after the room ended (closed through B), its recording and audit are read through B from A\'s record', async () => {
    const { a, b } = nodes;
    const room = await createRoomAt(a.url, { name: 'ended elsewhere' });
    const writer = nodes.track(await joinMember(a.url, room.id, { token: room.writeToken }));
    writer.socket.emit('term:input', 'echo recorded-$((6*7))\r');
    await waitFor(() => writer.outputText().includes('recorded-42'), 'the shell on A to answer');
    const closed = await call(`${b.url}/api/rooms/${room.id}`, { method: 'DELETE', headers: bearer(room.ownerToken) });
    assert.equal(closed.status, 204, closed.text);
    await waitFor(() => writer.exits.length > 0, 'the room on A to end');
    await waitFor(async () => (await call(`${a.url}/api/rooms/${room.id}`)).status === 404, 'A to stop running the room');

    const recording = await call(`${b.url}/api/rooms/${room.id}/recording`, { headers: bearer(room.ownerToken) });
    assert.equal(recording.status, 200, recording.text);
    assert.equal(recording.headers['x-recording-state'], 'finished');
    assert.match(recording.text, /recorded-42/);
    const events = await auditAt(b.url, room.id, room.ownerToken);
    assert.ok(events.some((event) => event.event === 'room.closed'), JSON.stringify(events.map((event) => event.event)));
  });

  test('a client cannot pose as a node: a forged node key earns neither its claimed address nor a pass at the Host check', async () => {
    const { a, b } = nodes;
    const room = await createRoomAt(a.url, { name: 'no posing' });
    const forged = { 'x-ttyroom-node-key': 'not-the-key', 'x-ttyroom-client': '10.9.9.9', 'x-ttyroom-proto': 'https' };
    const minted = await call(`${a.url}/api/rooms/${room.id}/tokens`, { method: 'POST', headers: { ...bearer(room.ownerToken), ...forged }, body: { role: 'viewer' } });
    assert.equal(minted.status, 201, minted.text);
    assert.ok(minted.json<{ url: string }>().url.startsWith('http://'), 'the scheme is not the forged one');
    const events = await auditAt(a.url, room.id, room.ownerToken);
    assert.equal(events.find((event) => event.event === 'token.minted')?.address, CLIENT_ADDRESS);
    const elsewhere = await call(`${a.url}/api/rooms/${room.id}`, { headers: { ...forged, host: 'evil.example' } });
    assert.equal(elsewhere.status, 403, elsewhere.text);
    // A request claiming to come from a node is answered where it lands, never forwarded on: B does not know it.
    const bounced = await call(`${b.url}/api/rooms/${room.id}`, { headers: forged });
    assert.equal(bounced.status, 404, bounced.text);
  });

  test('an unknown room is 404 on B; a room of a killed node is 503 unavailable there, at once; B\'s metrics count both outcomes', async () => {
    const { a, b } = nodes;
    const forwarded = async (outcome: string) => (await scrape(b.url, undefined)).value('ttyroom_forwarded_requests_total', { outcome });
    const answeredBefore = await forwarded('answered');
    assert.ok(answeredBefore > 0, 'the requests the tests before sent through B were counted');
    assert.equal(await forwarded('unavailable'), 0);
    const unknown = await call(`${b.url}/api/rooms/nosuchroom`);
    assert.equal(unknown.status, 404, unknown.text);
    const room = await createRoomAt(a.url, { name: 'gone with A' });
    assert.equal((await call(`${b.url}/api/rooms/${room.id}`)).status, 200);
    a.process.child.kill('SIGKILL');
    await a.process.exited;
    const gone = await call(`${b.url}/api/rooms/${room.id}/recording`, { headers: bearer(room.ownerToken) });
    assert.equal(gone.status, 503, gone.text);
    assert.equal(gone.json<{ error: { code: string } }>().error.code, 'unavailable');
    assert.equal(await forwarded('unavailable'), 1);
    assert.equal(await forwarded('answered'), answeredBefore + 1, 'the summary read before A was killed; the unknown room was never forwarded');
  });
});
