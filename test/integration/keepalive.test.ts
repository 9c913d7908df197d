// G3: a client that stops answering pings is dropped and leaves the member list; one that answers stays.
// The clients speak engine.io by hand (test/fixtures/rawClient.mjs), since socket.io-client always answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keepalive } from '../../server/realtime/socketServer.js';
import { connectRaw, type RawClient } from '../fixtures/rawClient.mjs';
import { startServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';

/** Short enough for a quick test, long enough that a busy machine still answers in time. */
const TEST_KEEPALIVE = { pingIntervalMs: 300, pingTimeoutMs: 300 };

function names(member: Member): string[] {
  return member.members.map((entry) => entry.name);
}

test('G3: the silent client is dropped and leaves the member list; the answering one stays', async () => {
  const server = await startServer({}, process.env, { keepalive: TEST_KEEPALIVE });
  const created = await server.createRoom();
  const watcher = await joinMember(server.url, created.id, { name: 'watcher' });
  const clients: RawClient[] = [];
  try {
    const silent = await connectRaw(server.url, { answerPings: false });
    const answering = await connectRaw(server.url);
    clients.push(silent, answering);
    assert.deepEqual(
      [silent.open.pingInterval, silent.open.pingTimeout],
      [TEST_KEEPALIVE.pingIntervalMs, TEST_KEEPALIVE.pingTimeoutMs],
      'the server announces the configured timing',
    );
    const silentReply = await silent.emitWithAck('room:join', { roomId: created.id, name: 'silent' });
    const answeringReply = await answering.emitWithAck('room:join', { roomId: created.id, name: 'answering' });
    assert.equal(silentReply.ok, true);
    assert.equal(answeringReply.ok, true);
    await waitFor(() => names(watcher).includes('silent') && names(watcher).includes('answering'), 'both raw clients in the list');
    const joinedAt = Date.now();

    await waitFor(() => !names(watcher).includes('silent'), 'the silent client to leave the member list', 10_000);
    const droppedAfterMs = Date.now() - joinedAt;
    await silent.whenClosed;
    assert.ok(silent.pings >= 1, 'it was pinged and did not answer');
    // One interval until the ping, one timeout for the pong; the rest is slack for a busy machine.
    const bound = 3 * (TEST_KEEPALIVE.pingIntervalMs + TEST_KEEPALIVE.pingTimeoutMs);
    assert.ok(droppedAfterMs <= bound, `dropped after ${droppedAfterMs} ms (bound ${bound} ms)`);

    // The control: pinged many times over the same span, answered, and still there.
    await waitFor(() => answering.pings >= 5, 'the answering client to be pinged five times', 10_000);
    assert.equal(answering.closed, false);
    assert.deepEqual(names(watcher).sort(), ['answering', 'watcher']);
    assert.equal(server.app.rooms.get(created.id)!.memberCount, 2);
  } finally {
    for (const client of clients) client.close();
    watcher.close();
    await server.close();
  }
});

test('G3 defaults: a client that vanished is dropped within a minute, and the server uses those defaults', async () => {
  assert.ok(Keepalive.PingIntervalMs + Keepalive.PingTimeoutMs <= 60_000);
  const server = await startServer();
  try {
    const client = await connectRaw(server.url);
    assert.deepEqual([client.open.pingInterval, client.open.pingTimeout], [Keepalive.PingIntervalMs, Keepalive.PingTimeoutMs]);
    client.close();
  } finally {
    await server.close();
  }
});
