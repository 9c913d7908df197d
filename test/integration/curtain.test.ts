// The privacy curtain over real sockets (issue 11; TESTPLAN J3): output produced while it is down reaches only the
// owner and the writers the owner chose, by no path — live stream, resume, resync after a cut-off, late join during
// or after, the REST screen — and lifting it with "clear" leaves nothing of it in any later snapshot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { idOf } from '../helpers/collab.js';
import { joinMember } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';
import { io } from 'socket.io-client';
import type { ClientSocket } from '../helpers/member.js';
import { HeadlessSink } from '../helpers/headlessSink.js';
import { RoomClient } from '../../server/shared/roomClient.js';

/** What the shell prints behind the curtain; the command typed is `printf 'CUR%sTAIN'`, so only its output holds this. */
const MARKER = 'CURXTAIN';
const PRINT_MARKER = "printf 'CUR%sTAIN\\n' X\r";
/** Enough output to put a member that never acks over its budget (MemberFlowControl.BudgetUnits is 1 MiB). */
const FLOOD_BYTES = 1_400_000;


async function screen(url: string, roomId: string, token?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/api/rooms/${roomId}/screen?format=ansi`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: response.status, body: await response.text() };
}

test('J3: output behind the curtain reaches only the owner and the chosen writer, by no path, and "clear" keeps it out of every later snapshot', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  const chosen = await joinMember(server.url, room.id, { token: room.writeToken, name: 'chosen' });
  const writer = await joinMember(server.url, room.id, { token: room.writeToken, name: 'not-chosen' });
  const viewer = await joinMember(server.url, room.id, { name: 'viewer' });
  const leaver = await joinMember(server.url, room.id, { name: 'leaver' });
  const laggard = await joinMember(server.url, room.id, { name: 'laggard', acks: true });
  const members = [owner, chosen, writer, viewer, leaver, laggard];
  t.after(() => members.forEach((m) => m.close()));

  // The laggard never acks, so a flood cuts it off; the leaver leaves, remembering where it was.
  owner.socket.emit('term:input', `head -c ${FLOOD_BYTES} /dev/zero | tr '\\0' a; echo; echo FLOODED-$((1+1))\r`);
  await waitFor(() => laggard.of('term:behind').length === 1, 'the laggard to be cut off', 60_000);
  await waitFor(() => viewer.outputText().includes('FLOODED-2') && owner.outputText().includes('FLOODED-2'), 'the flood to end', 60_000);
  const cutAt = laggard.of('term:behind')[0]!.offset;
  await leaver.barrier();
  const resumeFrom = leaver.expectedOffset();
  leaver.close();

  owner.socket.emit('room:curtain', { down: true, audience: [idOf(chosen)] });
  for (const member of [owner, chosen, writer, viewer, laggard]) {
    await waitFor(() => member.of('room:curtain').length === 1, 'everyone told');
  }
  assert.deepEqual(
    [owner, chosen, writer, viewer, laggard].map((m) => m.of('room:curtain')[0]),
    [{ down: true, sees: true }, { down: true, sees: true }, { down: true, sees: false }, { down: true, sees: false }, { down: true, sees: false }],
  );

  // During the curtain: a resume, a late join, and the laggard catching up all wait.
  const resumed = await joinMember(server.url, room.id, { extra: { resumeFrom }, awaitSnapshot: false });
  const lateDuring = await joinMember(server.url, room.id, { awaitSnapshot: false });
  members.push(resumed, lateDuring);
  laggard.socket.emit('term:ack', { offset: cutAt });

  owner.socket.emit('term:input', PRINT_MARKER);
  await waitFor(() => owner.outputText().includes(MARKER) && chosen.outputText().includes(MARKER), 'the owner and the chosen writer to see it');
  assert.equal((await screen(server.url, room.id)).status, 409, 'the REST screen is hidden from a viewer');
  assert.equal((await screen(server.url, room.id, room.writeToken)).status, 409, 'and from a writer link');
  assert.ok((await screen(server.url, room.id, room.ownerToken)).body.includes(MARKER), 'the owner reads it');
  for (const member of [writer, viewer, laggard, resumed, lateDuring]) await member.barrier();
  for (const member of [writer, viewer, laggard, resumed, lateDuring]) {
    assert.equal(member.received().includes(MARKER), false, 'nothing of it reached a member in front of the curtain');
  }
  assert.deepEqual([resumed.snapshots, lateDuring.snapshots, laggard.snapshots], [0, 0, 1], 'no start, no resync while it is down');
  assert.equal(resumed.of('term:output').length, 0, 'no resume across the curtain');

  const before = viewer.snapshots;
  owner.socket.emit('room:curtain', { down: false, clear: true });
  for (const member of [writer, viewer, laggard, resumed, lateDuring]) {
    await waitFor(() => member.of('room:curtain').some((c) => !c.down) && member.snapshots > (member === viewer ? before : member === laggard ? 1 : 0), 'a fresh screen after the lift');
  }
  const afterJoin = await joinMember(server.url, room.id);
  const lateResume = await joinMember(server.url, room.id, { extra: { resumeFrom } });
  members.push(afterJoin, lateResume);
  assert.equal(lateResume.snapshots, 1, 'a resume from before the curtain gets a snapshot, not the history across it');

  owner.socket.emit('term:input', 'echo AFTER-$((1+1))\r');
  const front = [writer, viewer, laggard, resumed, lateDuring, afterJoin, lateResume];
  for (const member of front) await waitFor(() => member.outputText().includes('AFTER-2'), 'live again after the lift');
  for (const member of front) {
    assert.equal(member.received().includes(MARKER), false, 'no later snapshot or stream shows it');
    assert.deepEqual(member.violations, []);
  }
  assert.equal((await screen(server.url, room.id)).body.includes(MARKER), false, 'nor the REST screen');
});

test('lifting without clearing shows the screen as it is then, but replays nothing across the curtain; roles changed meanwhile move members in and out', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const helper = await joinMember(server.url, room.id, { name: 'helper' });
  const viewer = await joinMember(server.url, room.id);
  t.after(() => [owner, helper, viewer].forEach((m) => m.close()));

  owner.socket.emit('member:role', { memberId: idOf(helper), role: 'writer' });
  await waitFor(() => helper.roles.length === 1, 'the grant');
  owner.socket.emit('room:curtain', { down: true, audience: [idOf(helper)] });
  await waitFor(() => helper.of('room:curtain').length === 1, 'the curtain');
  owner.socket.emit('term:input', PRINT_MARKER);
  await waitFor(() => helper.outputText().includes(MARKER), 'the chosen writer sees it');

  // Taking the keyboard back takes the helper out from behind the curtain at once.
  owner.socket.emit('member:role', { memberId: idOf(helper), role: 'viewer' });
  await waitFor(() => helper.of('room:curtain').length === 2, 'told it is in front now');
  assert.deepEqual(helper.of('room:curtain')[1], { down: true, sees: false });
  owner.socket.emit('term:input', "printf 'SEC%sOND\\n' X\r");
  await waitFor(() => owner.outputText().includes('SECXOND'), 'more behind the curtain');
  await helper.barrier();
  assert.equal(helper.received().includes('SECXOND'), false);

  const liftedAt = server.app.rooms.get(room.id)!.streamOffset;
  owner.socket.emit('room:curtain', { down: false });
  await waitFor(() => viewer.snapshots === 2 && helper.snapshots === 2, 'fresh screens');
  const snapshot = viewer.of('term:snapshot')[1]!;
  assert.ok(snapshot.offset >= liftedAt, 'taken after the lift');
  assert.ok(viewer.of('term:output').every((chunk) => !chunk.data.includes(MARKER)), 'no output chunk from behind the curtain');
  await viewer.settled();
  assert.ok(viewer.terminal.buffer.active.getLine(0) !== undefined);
});

test('the program exits while the curtain is down: a joiner then is told it ended, and lifting with "clear" still shows nobody what was behind it', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const viewer = await joinMember(server.url, room.id);
  const members = [owner, viewer];
  t.after(() => members.forEach((m) => m.close()));

  owner.socket.emit('room:curtain', { down: true });
  await waitFor(() => viewer.of('room:curtain').length === 1, 'the curtain');
  owner.socket.emit('term:input', `${PRINT_MARKER.slice(0, -1)}; exit\r`);
  await waitFor(() => owner.exits.length === 1 && viewer.exits.length === 1, 'the program to end');
  assert.ok(owner.outputText().includes(MARKER));

  const lateDuring = await joinMember(server.url, room.id, { awaitSnapshot: false });
  members.push(lateDuring);
  await waitFor(() => lateDuring.exits.length === 1, 'a joiner in front of the curtain is told the program ended');
  assert.equal(lateDuring.snapshots, 0);

  owner.socket.emit('room:curtain', { down: false, clear: true });
  await waitFor(() => viewer.snapshots === 2 && lateDuring.snapshots === 1, 'fresh screens after the lift');
  const after = await joinMember(server.url, room.id);
  members.push(after);
  for (const member of [viewer, lateDuring, after]) {
    await member.barrier();
    assert.equal(member.received().includes(MARKER), false, 'the cleared screen shows nothing of it');
  }
  assert.equal((await screen(server.url, room.id)).body.includes(MARKER), false, 'nor the REST screen');
});

test('a browser client whose connection drops while the curtain is down learns that it lifted meanwhile when it comes back', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  t.after(() => owner.close());
  const socket: ClientSocket = io(server.url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
  const client = new RoomClient(socket, new HeadlessSink(), { roomId: room.id });
  t.after(() => client.dispose());
  const curtain: boolean[] = [];
  client.onCurtain(({ down }) => curtain.push(down));
  const joins: number[] = [];
  client.onJoined(() => joins.push(joins.length));
  await waitFor(() => joins.length === 1 && client.parsedOffset > 0, 'the first join');

  owner.socket.emit('room:curtain', { down: true });
  await waitFor(() => curtain.at(-1) === true, 'the curtain down');
  // The network goes away for a while; the owner lifts the curtain before it comes back.
  socket.io.reconnection(false);
  socket.io.engine.close();
  await waitFor(() => client.state === 'reconnecting', 'the drop');
  owner.socket.emit('room:curtain', { down: false });
  await waitFor(() => owner.of('room:curtain').some((c) => !c.down), 'the lift');
  socket.io.reconnection(true);
  socket.connect();
  await waitFor(() => joins.length === 2 && client.state === 'connected', 'the rejoin');
  await waitFor(() => curtain.at(-1) === false, 'the page to hear the curtain is up, not keep covering the terminal');
});
