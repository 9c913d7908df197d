// Moderation over real sockets: join approval (a blind waiting room), kick, lock, and owner-only controls refused
// to everyone else (issue 11; TESTPLAN J1, J4).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemberListPacing } from '../../server/shared/flowControl.js';
import { startServer } from '../helpers/server.js';
import { idOf, listShows } from '../helpers/collab.js';
import { joinMember } from '../helpers/member.js';
import { ManualClock } from '../helpers/manualClock.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { waitFor } from '../helpers/wait.js';



const HIDDEN = 'LOBBY-SECRET';

test('approval: a waiting joiner gets room:waiting and nothing else (no screen, output, names or chat) until admitted; a denied one never does', async (t) => {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { clock, audit });
  t.after(() => server.close());
  const room = await server.createRoom({ approval: true });
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  owner.socket.emit('term:input', `echo ${HIDDEN}-$((1+1))\r`);
  await waitFor(() => owner.outputText().includes(`${HIDDEN}-2`), 'output before the joiner comes');
  owner.socket.emit('chat:send', `chat ${HIDDEN}`);

  const waiting = await joinMember(server.url, room.id, { name: 'stranger' });
  const denied = await joinMember(server.url, room.id, { name: 'intruder' });
  t.after(() => [owner, waiting, denied].forEach((m) => m.close()));
  assert.ok(waiting.reply.ok && waiting.reply.waiting === true && waiting.reply.role === 'viewer');
  await listShows(clock, owner, (list) => list.filter((m) => m.state === 'waiting').length === 2, 'the owner to see both waiting');

  // Output and member changes while they wait, and events they are not allowed to send.
  owner.socket.emit('term:input', `echo ${HIDDEN}-$((2+2))\r`);
  await waitFor(() => owner.outputText().includes(`${HIDDEN}-4`), 'output while they wait');
  waiting.socket.emit('term:input', 'echo let me in\r');
  waiting.socket.emit('hand:raise');
  waiting.socket.emit('chat:send', 'hello?');
  await waiting.barrier();
  clock.advance(MemberListPacing.CoalesceMs);
  await owner.barrier();

  for (const joiner of [waiting, denied]) {
    const kinds = new Set(joiner.events.map((e) => e.event));
    kinds.delete('room:error');
    assert.deepEqual([...kinds], ['room:waiting'], 'only room:waiting (and refusals) reach a waiting joiner');
    assert.equal(joiner.received().includes(HIDDEN), false);
    assert.equal(joiner.received().includes('lead'), false, 'no member names');
  }
  assert.ok(waiting.errors.every((e) => e.code === 'bad-request'), 'a waiting joiner may send nothing');

  owner.socket.emit('member:admit', { memberId: idOf(denied), allow: false });
  await waitFor(() => denied.errors.some((e) => e.code === 'denied') && !denied.socket.connected, 'the denial and the disconnect');
  assert.equal(denied.snapshots, 0);
  assert.equal(denied.received().includes(HIDDEN), false);

  owner.socket.emit('member:admit', { memberId: idOf(waiting), allow: true });
  await waitFor(() => waiting.snapshots === 1, 'the admitted joiner\'s snapshot');
  assert.deepEqual(waiting.roles, ['viewer']);
  assert.ok(waiting.of('room:settings').length === 1 && waiting.of('chat:message').length === 1, 'settings and the chat so far');
  await waitFor(() => waiting.terminal.buffer.active.length > 0, 'its screen');
  await listShows(clock, waiting, (list) => list.some((m) => m.name === 'lead'), 'the member list once inside');
  assert.deepEqual(audit.of('member.denied').map((r) => r.detail?.target), [idOf(denied)]);
  assert.deepEqual(audit.of('member.admitted').map((r) => r.detail?.target), [idOf(waiting)]);

  // Turning approval off lets whoever still waits in.
  const late = await joinMember(server.url, room.id);
  t.after(() => late.close());
  assert.ok(late.reply.ok && late.reply.waiting === true);
  owner.socket.emit('room:settings', { approval: false });
  await waitFor(() => late.snapshots === 1, 'let in when approval is turned off');
});

test('kick and lock: the kicked member is disconnected and, with the room locked, cannot come back; owners still can', async (t) => {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { clock, audit });
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const troll = await joinMember(server.url, room.id, { token: room.writeToken, name: 'troll' });
  t.after(() => [owner, troll].forEach((m) => m.close()));

  owner.socket.emit('member:kick', { memberId: idOf(owner) });
  await waitFor(() => owner.errors.some((e) => e.code === 'forbidden'), 'an owner cannot be kicked');
  owner.socket.emit('room:settings', { locked: true });
  owner.socket.emit('member:kick', { memberId: idOf(troll) });
  await waitFor(() => troll.errors.some((e) => e.code === 'kicked') && !troll.socket.connected, 'kicked and disconnected');
  await listShows(clock, owner, (list) => list.length === 1, 'the member list without it');

  const back = await joinMember(server.url, room.id, { token: room.writeToken, awaitSnapshot: false });
  const stranger = await joinMember(server.url, room.id, { awaitSnapshot: false });
  const secondTab = await joinMember(server.url, room.id, { token: room.ownerToken });
  t.after(() => [back, stranger, secondTab].forEach((m) => m.close()));
  for (const refused of [back, stranger]) {
    assert.deepEqual(refused.reply.ok ? 'admitted' : refused.reply.code, 'locked');
    assert.equal(refused.snapshots, 0);
  }
  assert.ok(secondTab.reply.ok && secondTab.reply.role === 'owner');
  assert.deepEqual(audit.of('member.kicked').map((r) => r.detail?.target), [idOf(troll)]);
  assert.equal(audit.of('limit.refused').filter((r) => r.detail?.limit === 'room-locked').length, 2);

  owner.socket.emit('room:settings', { locked: false });
  await waitFor(() => owner.of('room:settings').some((s) => !s.locked), 'unlocked');
  const welcome = await joinMember(server.url, room.id);
  t.after(() => welcome.close());
  assert.ok(welcome.reply.ok);
});

test('J1: a viewer\'s and a writer\'s owner-only events are refused with forbidden, change nothing and are audited', async (t) => {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { clock, audit });
  t.after(() => server.close());
  const room = await server.createRoom({ approval: true });
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const writer = await joinMember(server.url, room.id, { token: room.writeToken, awaitSnapshot: false });
  owner.socket.emit('member:admit', { memberId: idOf(writer), allow: true });
  await waitFor(() => writer.snapshots === 1, 'the writer admitted');
  const waiting = await joinMember(server.url, room.id, { awaitSnapshot: false });
  t.after(() => [owner, writer, waiting].forEach((m) => m.close()));

  const attempts: Array<[string, unknown]> = [
    ['member:role', { memberId: idOf(writer), role: 'viewer' }],
    ['member:kick', { memberId: idOf(owner) }],
    ['member:admit', { memberId: idOf(waiting), allow: true }],
    ['room:settings', { locked: true }],
    ['room:curtain', { down: true }],
    ['room:handover', { memberId: idOf(writer) }],
    ['hand:lower', { memberId: idOf(owner) }],
  ];
  for (const [event, payload] of attempts) (writer.socket.emit as (e: string, p: unknown) => void)(event, payload);
  await waitFor(() => writer.errors.length === attempts.length, 'every attempt answered');
  assert.ok(writer.errors.every((e) => e.code === 'forbidden'), JSON.stringify(writer.errors));

  await owner.barrier();
  const room$ = server.app.rooms.get(room.id)!;
  assert.deepEqual(room$.settings, { locked: false, approval: true, floor: 'many', chat: true, resize: 'owner' });
  assert.equal(room$.curtainDown, false);
  assert.equal(room$.roleOf(idOf(writer)), 'writer');
  assert.equal(room$.roleOf(idOf(owner)), 'owner');
  assert.equal(room$.roleOf(idOf(waiting)), undefined, 'still waiting');
  assert.equal(waiting.snapshots, 0);
  writer.close();
  await waitFor(() => audit.of('write.denied').length > 0, 'the refusals audited');
  assert.equal(audit.of('write.denied').reduce((sum, r) => sum + Number(r.detail?.count ?? 0), 0), attempts.length);
});

test('bad payloads for every new event get bad-request and change nothing', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  t.after(() => owner.close());
  const bad: Array<[string, unknown]> = [
    ['member:role', { memberId: 'x', role: 'owner' }],
    ['member:role', { memberId: 'x', role: 'viewer', seconds: 5 }],
    ['member:role', { memberId: 'x', role: 'writer', seconds: 0 }],
    ['member:kick', {}],
    ['member:admit', { memberId: 'x', allow: 'yes' }],
    ['room:settings', {}],
    ['room:settings', { floor: 'anarchy' }],
    ['room:curtain', { down: 'yes' }],
    ['room:curtain', { down: false, audience: [] }],
    ['room:handover', { memberId: '<b>' }],
    ['hand:lower', { memberId: 7 }],
    ['chat:send', 'x'.repeat(100_000)],
    ['chat:send', { text: 'hi' }],
  ];
  for (const [event, payload] of bad) (owner.socket.emit as (e: string, p: unknown) => void)(event, payload);
  await waitFor(() => owner.errors.length === bad.length, 'every payload answered');
  assert.ok(owner.errors.every((e) => e.code === 'bad-request'), JSON.stringify(owner.errors));
  assert.deepEqual(owner.of('chat:message'), []);
  assert.deepEqual(server.app.rooms.get(room.id)!.settings.floor, 'many');
});

test('a member whose connection drops comes back with its rejoin pass past approval and the lock, once; a kicked member\'s pass is void', async (t) => {
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { clock });
  t.after(() => server.close());
  const room = await server.createRoom({ approval: true });
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const student = await joinMember(server.url, room.id, { awaitSnapshot: false });
  const troll = await joinMember(server.url, room.id, { awaitSnapshot: false });
  t.after(() => [owner, student, troll].forEach((m) => m.close()));
  for (const member of [student, troll]) owner.socket.emit('member:admit', { memberId: idOf(member), allow: true });
  await waitFor(() => student.snapshots === 1 && troll.snapshots === 1, 'both admitted');
  const [studentPass] = student.of('room:pass');
  const [trollPass] = troll.of('room:pass');
  assert.ok(studentPass && trollPass && studentPass.pass !== trollPass.pass);
  assert.ok(student.events.findIndex((e) => e.event === 'room:pass') < student.events.findIndex((e) => e.event === 'term:snapshot'));

  owner.socket.emit('room:settings', { locked: true });
  owner.socket.emit('member:kick', { memberId: idOf(troll) });
  await waitFor(() => !troll.socket.connected, 'the kick');
  student.close();

  const back = await joinMember(server.url, room.id, { extra: { pass: studentPass.pass } });
  const trollBack = await joinMember(server.url, room.id, { extra: { pass: trollPass.pass }, awaitSnapshot: false });
  const replay = await joinMember(server.url, room.id, { extra: { pass: studentPass.pass }, awaitSnapshot: false });
  t.after(() => [back, trollBack, replay].forEach((m) => m.close()));
  assert.ok(back.reply.ok && back.reply.waiting === undefined && back.reply.role === 'viewer', 'back in, not waiting, though the room is locked');
  assert.deepEqual([trollBack.reply.ok, replay.reply.ok], [false, false]);
  assert.ok(!trollBack.reply.ok && trollBack.reply.code === 'locked' && !replay.reply.ok && replay.reply.code === 'locked');
  assert.equal(back.of('room:pass').length, 1, 'a new pass for next time');

  // Unlocked but with approval on, a pass that is too old means waiting like anyone.
  owner.socket.emit('room:settings', { locked: false });
  await waitFor(() => owner.of('room:settings').some((s) => !s.locked), 'unlocked');
  const nextPass = back.of('room:pass')[0]!.pass;
  back.close();
  await waitFor(() => server.app.rooms.get(room.id)!.memberCount === 1, 'the member gone');
  clock.advance(10 * 60_000);
  const tooLate = await joinMember(server.url, room.id, { extra: { pass: nextPass }, awaitSnapshot: false });
  t.after(() => tooLate.close());
  assert.ok(tooLate.reply.ok && tooLate.reply.waiting === true);
});

test('with approval on or the room locked, the REST screen is the owner\'s alone: a joiner waiting in the lobby, or one kicked out of a locked room, cannot read it there', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom({ approval: true });
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  t.after(() => owner.close());
  owner.socket.emit('term:input', `echo ${HIDDEN}-$((3+3))\r`);
  await waitFor(() => owner.outputText().includes(`${HIDDEN}-6`), 'output on the screen');
  const screen = async (token?: string): Promise<{ status: number; body: string }> => {
    const response = await fetch(`${server.url}/api/rooms/${room.id}/screen`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: response.status, body: await response.text() };
  };

  const waiting = await joinMember(server.url, room.id, { token: room.writeToken, name: 'stranger' });
  t.after(() => waiting.close());
  assert.ok(waiting.reply.ok && waiting.reply.waiting === true);
  // The same credentials the waiting joiner holds: none (a public room's viewer) and the writer link.
  for (const token of [undefined, room.writeToken]) {
    const answer = await screen(token);
    assert.equal(answer.body.includes(HIDDEN), false, 'nothing of the screen past the lobby');
    assert.equal(answer.status, 409);
  }
  assert.ok((await screen(room.ownerToken)).body.includes(`${HIDDEN}-6`), 'the owner reads it');

  // Without approval but locked: a kicked member's link reads nothing either.
  owner.socket.emit('room:settings', { approval: false, locked: true });
  await waitFor(() => owner.of('room:settings').some((s) => s.locked && !s.approval), 'locked, approval off');
  assert.equal((await screen(room.writeToken)).status, 409);
  owner.socket.emit('room:settings', { locked: false });
  await waitFor(() => owner.of('room:settings').some((s) => !s.locked && !s.approval), 'open again');
  assert.ok((await screen(room.writeToken)).body.includes(`${HIDDEN}-6`), 'an open room shows its screen to its links');
});

test('a rejoin pass works only with the credential it came with, and coming back with it replaces a lingering old connection', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom({ approval: true });
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const viewer = await joinMember(server.url, room.id, { awaitSnapshot: false });
  const other = await joinMember(server.url, room.id, { awaitSnapshot: false });
  t.after(() => [owner, viewer, other].forEach((m) => m.close()));
  for (const member of [viewer, other]) owner.socket.emit('member:admit', { memberId: idOf(member), allow: true });
  await waitFor(() => viewer.snapshots === 1 && other.snapshots === 1, 'both admitted');

  // Let in as a viewer, it cannot come back past approval on the writer link.
  const upgraded = await joinMember(server.url, room.id, { token: room.writeToken, extra: { pass: viewer.of('room:pass')[0]!.pass }, awaitSnapshot: false });
  t.after(() => upgraded.close());
  assert.ok(upgraded.reply.ok && upgraded.reply.waiting === true, 'another credential: it waits like anyone');

  // The same credential while the old connection is still there (a drop keepalive has not noticed yet).
  const back = await joinMember(server.url, room.id, { extra: { pass: other.of('room:pass')[0]!.pass } });
  t.after(() => back.close());
  assert.ok(back.reply.ok && back.reply.waiting === undefined);
  await waitFor(() => !other.socket.connected, 'the old connection closed');
  assert.equal(server.app.rooms.get(room.id)!.roleOf(idOf(other)), undefined);
});
