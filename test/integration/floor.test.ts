// Floor control over real sockets: raised hands, timed grants on the server's clock, driver mode, hand-over,
// "who is typing", and the resize policies (issue 11).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemberListPacing } from '../../server/shared/flowControl.js';
import { TypingPacing } from '../../server/shared/limits.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { idOf, listShows } from '../helpers/collab.js';
import { joinMember, type Member } from '../helpers/member.js';
import { ManualClock } from '../helpers/manualClock.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { assertNeverEchoed } from '../helpers/echo.js';
import { waitFor } from '../helpers/wait.js';
import { io } from 'socket.io-client';
import type { ClientSocket } from '../helpers/member.js';
import { HeadlessSink } from '../helpers/headlessSink.js';
import { RoomClient } from '../../server/shared/roomClient.js';

interface Setup {
  server: TestServer;
  clock: ManualClock;
  audit: MemoryAuditLog;
}

async function setup(t: { after(fn: () => Promise<void>): void }): Promise<Setup> {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { clock, audit });
  const members: Member[] = [];
  t.after(async () => {
    for (const member of members) member.close();
    await server.close();
  });
  return { server, clock, audit };
}



/** Types a command whose output (not its echo) is `marker-42`, and waits for `observer` to see it. */
async function typeAndSee(writer: Member, observer: Member, marker: string): Promise<void> {
  writer.socket.emit('term:input', `echo ${marker}-$((40+2))\r`);
  await waitFor(() => observer.outputText().includes(`${marker}-42`), `${marker} to run`);
}

test('a timed grant: the student types while it lasts; it ends by itself on the server clock, the student is told both times and is refused after', async (t) => {
  const { server, clock, audit } = await setup(t);
  const room = await server.createRoom();
  const teacher = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'teacher' });
  const student = await joinMember(server.url, room.id, { name: 'student' });
  t.after(() => [teacher, student].forEach((m) => m.close()));

  student.socket.emit('hand:raise');
  await listShows(clock, teacher, (list) => list.some((m) => m.id === idOf(student) && m.hand), 'the raised hand');

  const grantedAt = clock.now();
  teacher.socket.emit('member:role', { memberId: idOf(student), role: 'writer', seconds: 2 });
  await waitFor(() => student.roles.length === 1, 'the grant');
  assert.deepEqual(student.of('room:role')[0], { role: 'writer', until: new Date(grantedAt + 2000).toISOString() });
  // Time moves only as far as the member list's pacing here, so the grant is not used up while waiting.
  await teacher.barrier();
  clock.advance(MemberListPacing.CoalesceMs);
  await waitFor(() => {
    const entry = teacher.members.find((m) => m.id === idOf(student));
    return entry?.role === 'writer' && entry.hand === false && entry.grantUntil === new Date(grantedAt + 2000).toISOString();
  }, 'the grant, and the hand lowered by it, in the member list');
  await typeAndSee(student, teacher, 'GRANTED');

  clock.advanceTo(grantedAt + 1999);
  await typeAndSee(student, teacher, 'STILL');
  clock.advance(1);
  await waitFor(() => student.roles.length === 2, 'the end of the grant');
  assert.deepEqual(student.of('room:role')[1], { role: 'viewer' });

  student.socket.emit('term:input', 'echo TOO-LATE\r');
  await waitFor(() => student.errors.some((e) => e.code === 'forbidden'), 'the refusal');
  await assertNeverEchoed(teacher, teacher, 'TOO-LATE');
  assert.equal(audit.of('role.changed').at(-1)?.detail?.seconds, 2);
  assert.deepEqual(audit.of('grant.ended').map((r) => r.actor), [idOf(student)]);
});

test('a member who disconnects during a timed grant does not keep it: back in, it is a viewer, and the timer ends quietly', async (t) => {
  const { server, clock, audit } = await setup(t);
  const room = await server.createRoom();
  const teacher = await joinMember(server.url, room.id, { token: room.ownerToken });
  const student = await joinMember(server.url, room.id);
  teacher.socket.emit('member:role', { memberId: idOf(student), role: 'writer', seconds: 60 });
  await waitFor(() => student.roles.length === 1, 'the grant');
  const grantEnd = Date.parse(student.of('room:role')[0]!.until!);
  assert.equal(clock.timersDueAt(grantEnd), 1, 'the grant\'s timer');
  student.close();
  await listShows(clock, teacher, (list) => list.length === 1, 'the student to leave');
  assert.equal(clock.timersDueAt(grantEnd), 0, 'the grant\'s timer went with the member, not left to fire');

  const again = await joinMember(server.url, room.id);
  t.after(() => [teacher, again].forEach((m) => m.close()));
  assert.ok(again.reply.ok && again.reply.role === 'viewer');
  again.socket.emit('term:input', 'echo STOLEN\r');
  await waitFor(() => again.errors.some((e) => e.code === 'forbidden'), 'the refusal');
  clock.advance(60_000);
  assert.deepEqual(again.roles, []);
  assert.deepEqual(audit.of('grant.ended'), [], 'a grant of a member that left ends with it, not later');
  await assertNeverEchoed(teacher, teacher, 'STOLEN');
});

test('raise and deny: the owner lowers the hand, the member stays a viewer; only the owner may lower another\'s hand', async (t) => {
  const { server, clock } = await setup(t);
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const asker = await joinMember(server.url, room.id, { name: 'asker' });
  const other = await joinMember(server.url, room.id, { name: 'other' });
  t.after(() => [owner, asker, other].forEach((m) => m.close()));

  asker.socket.emit('hand:raise');
  await listShows(clock, other, (list) => list.find((m) => m.id === idOf(asker))?.hand === true, 'the hand up');
  other.socket.emit('hand:lower', { memberId: idOf(asker) });
  await waitFor(() => other.errors.some((e) => e.code === 'forbidden'), 'another viewer refused');
  owner.socket.emit('hand:lower', { memberId: idOf(asker) });
  await listShows(clock, asker, (list) => list.find((m) => m.id === idOf(asker))?.hand === false, 'the hand down');
  await asker.barrier();
  assert.deepEqual(asker.roles, [], 'denied, the member is told nothing about its role: it stays a viewer');
  assert.equal(asker.members.find((m) => m.id === idOf(asker))?.role, 'viewer');
  asker.socket.emit('term:input', 'echo DENIED\r');
  await waitFor(() => asker.errors.some((e) => e.code === 'forbidden'), 'its input refused');
  await assertNeverEchoed(owner, owner, 'DENIED');
});

test('driver mode: granting B takes the keyboard from A, whose next input is refused; a writer link cannot add a second driver', async (t) => {
  const { server, clock, audit } = await setup(t);
  const room = await server.createRoom({ floor: 'driver' });
  const lead = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  const a = await joinMember(server.url, room.id, { name: 'a' });
  const b = await joinMember(server.url, room.id, { name: 'b' });
  t.after(() => [lead, a, b].forEach((m) => m.close()));

  lead.socket.emit('member:role', { memberId: idOf(a), role: 'writer' });
  await waitFor(() => a.roles.length === 1, 'A drives');
  await typeAndSee(a, lead, 'A-DRIVES');
  lead.socket.emit('member:role', { memberId: idOf(b), role: 'writer' });
  await waitFor(() => a.roles.length === 2 && b.roles.length === 1, 'the keyboard to move');
  assert.deepEqual([a.roles, b.roles], [['writer', 'viewer'], ['writer']]);
  a.socket.emit('term:input', 'echo A-AGAIN\r');
  await waitFor(() => a.errors.some((e) => e.code === 'forbidden'), "A's input refused");
  await typeAndSee(b, lead, 'B-DRIVES');
  await assertNeverEchoed(lead, b, 'A-AGAIN');
  assert.equal(audit.of('role.changed').at(-1)?.detail?.displaced, idOf(a));

  const linked = await joinMember(server.url, room.id, { token: room.writeToken });
  t.after(() => linked.close());
  assert.ok(linked.reply.ok && linked.reply.role === 'viewer', 'B drives, so a writer link comes in watching');
  await listShows(clock, lead, (list) => list.filter((m) => m.role === 'writer').length === 1 && list.length === 4, 'one driver');
});

test('switching to driver mode keeps only the writer given the keyboard last', async (t) => {
  const { server, clock } = await setup(t);
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const first = await joinMember(server.url, room.id, { token: room.writeToken });
  clock.advance(1000);
  const second = await joinMember(server.url, room.id);
  t.after(() => [owner, first, second].forEach((m) => m.close()));
  owner.socket.emit('member:role', { memberId: idOf(second), role: 'writer' });
  await waitFor(() => second.roles.length === 1, 'the grant');
  owner.socket.emit('room:settings', { floor: 'driver' });
  await waitFor(() => first.roles.length === 1, 'the older writer to lose the keyboard');
  assert.deepEqual([first.roles, second.roles], [['viewer'], ['writer']]);
  await waitFor(() => second.of('room:settings').some((s) => s.floor === 'driver'), 'everyone told the new setting');
});

test('hand-over: the new owner gets the owner role and its own owner link, the old owner becomes a writer and its owner link stops working', async (t) => {
  const { server, clock, audit } = await setup(t);
  const room = await server.createRoom();
  const lead = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  const next = await joinMember(server.url, room.id, { name: 'next' });
  t.after(() => [lead, next].forEach((m) => m.close()));

  next.socket.emit('room:handover', { memberId: idOf(lead) });
  await waitFor(() => next.errors.some((e) => e.code === 'forbidden'), 'a viewer cannot take the room');
  lead.socket.emit('room:handover', { memberId: idOf(next) });
  await waitFor(() => next.roles.length === 1 && lead.roles.length === 1, 'both told');
  assert.deepEqual([lead.roles, next.roles], [['writer'], ['owner']]);
  const [credential] = next.of('room:credential');
  assert.ok(credential && credential.token.length > 20);
  assert.deepEqual(audit.of('room.handover').map((r) => r.detail?.target), [idOf(next)]);

  const oldLink = await joinMember(server.url, room.id, { token: room.ownerToken, awaitSnapshot: false });
  const newLink = await joinMember(server.url, room.id, { token: credential.token });
  t.after(() => [oldLink, newLink].forEach((m) => m.close()));
  assert.equal(oldLink.reply.ok, false, 'the old owner link no longer works');
  assert.ok(newLink.reply.ok && newLink.reply.role === 'owner');
  // The old owner keeps typing as a writer.
  await typeAndSee(lead, next, 'STILL-WRITES');
  await listShows(clock, next, (list) => list.filter((m) => m.role === 'owner').length === 2, 'two owner connections of the new owner');
});

test('who is typing: two writers type in turn and every member is told the right one, at most once per pacing interval each', async (t) => {
  const { server, clock } = await setup(t);
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const w1 = await joinMember(server.url, room.id, { token: room.writeToken, name: 'w1' });
  const w2 = await joinMember(server.url, room.id, { token: room.writeToken, name: 'w2' });
  const viewer = await joinMember(server.url, room.id);
  const everyone = [owner, w1, w2, viewer];
  t.after(() => everyone.forEach((m) => m.close()));
  const typists = (member: Member): string[] => member.of('room:typing').map((p) => p.memberId);

  const turns = [w1, w2, w1, w2];
  for (const [i, writer] of turns.entries()) {
    writer.socket.emit('term:input', 'x');
    // Within the pacing interval a second keystroke is not announced again.
    writer.socket.emit('term:input', 'y');
    await waitFor(() => everyone.every((m) => typists(m).length === i + 1), `turn ${i + 1} announced to all`);
    clock.advance(TypingPacing.MinIntervalMs);
  }
  for (const member of everyone) assert.deepEqual(typists(member), turns.map(idOf));
  // A refused keystroke is nobody's typing.
  viewer.socket.emit('term:input', 'z');
  await waitFor(() => viewer.errors.some((e) => e.code === 'forbidden'), 'the refusal');
  await owner.barrier();
  assert.equal(typists(owner).length, turns.length);
});

test('resize policies: "smallest" follows the smallest writer window, "fixed" keeps the created size, "owner" ignores writers', async (t) => {
  const { server } = await setup(t);
  const smallest = await server.createRoom({ resize: 'smallest', cols: 120, rows: 40 });
  const owner = await joinMember(server.url, smallest.id, { token: smallest.ownerToken });
  const writer = await joinMember(server.url, smallest.id, { token: smallest.writeToken });
  const fixed = await server.createRoom({ resize: 'fixed', cols: 100, rows: 30 });
  const fixedOwner = await joinMember(server.url, fixed.id, { token: fixed.ownerToken });
  const ownerRoom = await server.createRoom();
  const ownerRoomWriter = await joinMember(server.url, ownerRoom.id, { token: ownerRoom.writeToken });
  t.after(() => [owner, writer, fixedOwner, ownerRoomWriter].forEach((m) => m.close()));
  const size = (id: string) => {
    const room = server.app.rooms.get(id)!;
    return `${room.cols}x${room.rows}`;
  };

  owner.socket.emit('term:resize', { cols: 100, rows: 30 });
  writer.socket.emit('term:resize', { cols: 90, rows: 40 });
  await waitFor(() => size(smallest.id) === '90x30', 'the smallest of both windows');
  writer.close();
  await waitFor(() => size(smallest.id) === '100x30', 'the owner\'s window once the writer left');

  fixedOwner.socket.emit('term:resize', { cols: 60, rows: 20 });
  await waitFor(() => fixedOwner.errors.some((e) => e.code === 'forbidden'), 'the fixed size refused');
  assert.equal(size(fixed.id), '100x30');

  ownerRoomWriter.socket.emit('term:resize', { cols: 60, rows: 20 });
  await waitFor(() => ownerRoomWriter.errors.some((e) => e.code === 'forbidden'), 'a writer refused');
  assert.equal(size(ownerRoom.id), '80x24');
});

test('driver mode stays one driver when writers come in through the lobby and when the owner hands the room over', async (t) => {
  const { server, clock } = await setup(t);
  const room = await server.createRoom({ floor: 'driver', approval: true });
  const lead = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  const a = await joinMember(server.url, room.id, { token: room.writeToken, name: 'a' });
  const b = await joinMember(server.url, room.id, { token: room.writeToken, name: 'b' });
  const c = await joinMember(server.url, room.id, { token: room.writeToken, name: 'c' });
  t.after(() => [lead, a, b, c].forEach((m) => m.close()));
  for (const joiner of [a, b, c]) assert.ok(joiner.reply.ok && joiner.reply.waiting === true);

  lead.socket.emit('member:admit', { memberId: idOf(a), allow: true });
  lead.socket.emit('member:admit', { memberId: idOf(b), allow: true });
  await waitFor(() => a.snapshots === 1 && b.snapshots === 1, 'both admitted');
  assert.deepEqual([a.roles, b.roles], [['writer'], ['viewer']], 'the second writer link comes in watching');
  lead.socket.emit('room:settings', { approval: false });
  await waitFor(() => c.snapshots === 1, 'let in when approval is turned off');
  assert.deepEqual(c.roles, ['viewer']);
  await listShows(clock, lead, (list) => list.length === 4 && list.filter((m) => m.role === 'writer').length === 1, 'one driver');

  // The old owner becomes a writer only while nobody else drives.
  lead.socket.emit('room:handover', { memberId: idOf(c) });
  await waitFor(() => lead.roles.length === 1 && c.roles.length === 2, 'the hand-over');
  assert.deepEqual(lead.roles, ['viewer']);
  await listShows(clock, c, (list) => list.filter((m) => m.role === 'writer').length === 1 && list.filter((m) => m.role === 'owner').length === 1, 'still one driver');
});

test('resize policies changed at run time: "smallest" counts the window the owner reported before, "fixed" goes back to the created size', async (t) => {
  const { server } = await setup(t);
  const room = await server.createRoom({ cols: 80, rows: 24 });
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const writer = await joinMember(server.url, room.id, { token: room.writeToken });
  t.after(() => [owner, writer].forEach((m) => m.close()));
  const size = () => {
    const live = server.app.rooms.get(room.id)!;
    return `${live.cols}x${live.rows}`;
  };

  owner.socket.emit('term:resize', { cols: 100, rows: 30 });
  await waitFor(() => size() === '100x30', "the owner's window");
  // The browser reports its window once; it has no reason to say it again when the policy changes.
  owner.socket.emit('room:settings', { resize: 'smallest' });
  await waitFor(() => writer.of('room:settings').some((s) => s.resize === 'smallest'), 'the new policy');
  writer.socket.emit('term:resize', { cols: 120, rows: 40 });
  await writer.barrier();
  assert.equal(size(), '100x30', "the writer's bigger window does not cut the owner's");

  owner.socket.emit('room:settings', { resize: 'fixed' });
  await waitFor(() => size() === '80x24', 'the size the room was created with');
});

test('a browser client back after a dropped connection shows no timed grant: the grant ended with the old connection', async (t) => {
  const { server } = await setup(t);
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  t.after(() => owner.close());
  const socket: ClientSocket = io(server.url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
  // A writer link: back in, it is a writer again, so a stale grant would go on counting down on its page.
  const client = new RoomClient(socket, new HeadlessSink(), { roomId: room.id, token: room.writeToken });
  t.after(() => client.dispose());
  const joins: number[] = [];
  client.onJoined(() => joins.push(joins.length));
  await waitFor(() => joins.length === 1 && client.memberId !== undefined, 'the first join');
  owner.socket.emit('member:role', { memberId: client.memberId!, role: 'writer', seconds: 60 });
  await waitFor(() => client.grantUntil !== undefined, 'the timed grant');

  socket.io.engine.close();
  await waitFor(() => joins.length === 2 && client.state === 'connected', 'the rejoin');
  assert.equal(client.role, 'writer');
  assert.equal(client.grantUntil, undefined);
});
