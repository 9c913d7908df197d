// The terminal client's REST calls (server/termclient/serverRequest.ts) against a real server and against servers
// that misbehave: created rooms and lists checked, the server's own error messages, a silent server, a huge answer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startServer } from '../helpers/server.js';
import { createRoom, listRooms, requestJson, ServerRequestError, ServerRequestLimits } from '../../server/termclient/serverRequest.js';
import type { RoomSummary } from '../../server/shared/events.js';

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function rejection(promise: Promise<unknown>): Promise<ServerRequestError> {
  const error = await promise.then(
    () => assert.fail('expected the request to fail'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof ServerRequestError, `a ServerRequestError, not ${String(error)}`);
  return error;
}

test('createRoom and listRooms against a real server; its refusals come back with its own message and status', async () => {
  const server = await startServer({ maxRooms: 1 });
  try {
    const created = await createRoom(server.url, {}, { name: 'from the terminal', cols: 90, rows: 20, approval: true });
    assert.equal(created.name, 'from the terminal');
    assert.ok(created.ownerUrl.startsWith(`${server.url}/r/${created.id}#`));
    const listed = await listRooms(server.url, {});
    assert.deepEqual(listed, (await (await fetch(`${server.url}/api/rooms`)).json()) as RoomSummary[]);
    assert.equal(listed[0]?.cols, 90);

    const full = await rejection(createRoom(server.url, {}, {}));
    assert.equal(full.status, 429);
    assert.equal(full.code, 'too-many-rooms');
    assert.match(full.message, / \(HTTP 429\)$/);
    const bad = await rejection(createRoom(server.url, {}, { name: 5 } as never));
    assert.equal(bad.message, 'name must be a string (HTTP 400)');
    const missing = await rejection(requestJson(server.url, '/api/rooms/nosuchroom', {}));
    assert.equal(missing.status, 404);
    assert.match(missing.message, /^[^\n]+ \(HTTP 404\)$/);
    const hidden = await rejection(requestJson(server.url, `/api/rooms/${created.id}/screen`, {}));
    assert.equal(hidden.status, 409);
    assert.match(hidden.message, /^this room admits members one by one.* \(HTTP 409\)$/);
    // The bearer goes with the request: the owner lists the room's tokens, which nobody else may.
    await rejection(requestJson(server.url, `/api/rooms/${created.id}/tokens`, {}));
    assert.ok(Array.isArray(await requestJson(server.url, `/api/rooms/${created.id}/tokens`, {}, { bearer: created.ownerToken })));
  } finally {
    await server.close();
  }
});

test('an answer that is not a ttyroom answer is refused, not trusted', async () => {
  const answers: Record<string, [number, string]> = {
    '/api/rooms': [200, JSON.stringify([{ id: 'a', name: 'x', members: '3' }])],
  };
  const fake = createHttpServer((req, res) => {
    const [status, body] = answers[req.url ?? ''] ?? [200, '<html>not json</html>'];
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  const origin = await listen(fake);
  try {
    assert.match((await rejection(listRooms(origin, {}))).message, /sent a room list that is not what a ttyroom server sends/);
    answers['/api/rooms'] = [200, JSON.stringify({ rooms: [] })];
    assert.match((await rejection(listRooms(origin, {}))).message, /sent a room list that is not/);
    answers['/api/rooms'] = [201, JSON.stringify({ id: 'a', name: 'x', viewUrl: 'u', writeUrl: 'u', ownerUrl: 'u', ownerToken: 't' })];
    assert.match((await rejection(createRoom(origin, {}, {}))).message, /sent a created room that is not/);
    assert.match((await rejection(requestJson(origin, '/other', {}))).message, /not JSON \(is it a ttyroom server\?\)/);
    answers['/api/rooms'] = [500, JSON.stringify({ error: { code: 'internal', message: 'boom\u001b[2J\u0007' } })];
    assert.equal((await rejection(listRooms(origin, {}))).message, 'boom[2J (HTTP 500)');
  } finally {
    fake.close();
  }
});

test('a server that accepts and never answers fails the request at the timeout', async () => {
  const sockets: Socket[] = [];
  const silent = createTcpServer((socket) => sockets.push(socket));
  const origin = await listen(silent);
  try {
    const error = await rejection(requestJson(origin, '/api/rooms', {}, { timeoutMs: 200 }));
    assert.equal(error.message, `${origin} did not answer within 0.2 s`);
    assert.ok(ServerRequestLimits.TimeoutMs >= 5_000, 'the default leaves a slow server time to answer');
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test('an answer larger than the limit is cut off and refused', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const flood = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  const origin = await listen(flood);
  try {
    const error = await rejection(listRooms(origin, {}));
    assert.equal(error.message, `the answer from ${origin} is larger than ${ServerRequestLimits.MaxAnswerBytes} bytes`);
  } finally {
    flood.closeAllConnections();
    flood.close();
  }
});
