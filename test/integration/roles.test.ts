// Roles on the server (B1, B6, B7): a viewer's input and resize never reach the PTY; writers type; only the owner
// resizes and hands out the keyboard; claimed roles are ignored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { api } from '../helpers/api.js';
import { assertNeverEchoed } from '../helpers/echo.js';

/** Long enough for a shell to run a command and echo it back on this machine. */
const SETTLE_MS = 700;

test('a viewer cannot type or resize: the file never appears, the size never changes, the viewer gets forbidden', async () => {
  const server = await startServer();
  const created = await server.createRoom({ cols: 80, rows: 24 });
  const room = server.app.rooms.get(created.id)!;
  const viewer = await joinMember(server.url, created.id, { name: 'student' });
  const writer = await joinMember(server.url, created.id, { token: created.writeToken, name: 'pair' });
  try {
    assert.deepEqual(viewer.reply.ok && viewer.reply.role, 'viewer');
    const target = join(server.dataDir, 'viewer-was-here');
    const before = viewer.expectedOffset();
    viewer.socket.emit('term:input', `touch ${target}\r`);
    viewer.socket.emit('term:resize', { cols: 50, rows: 10 });
    // A viewer that claims a role in its payload changes nothing either.
    viewer.socket.emit('term:input', { role: 'owner', data: 'x' } as unknown as string);
    await waitFor(() => viewer.errors.length >= 2, 'the viewer to be refused');
    await sleep(SETTLE_MS);
    assert.equal(existsSync(target), false, 'the viewer\'s command never ran');
    assert.equal(room.cols, 80);
    assert.equal(room.rows, 24);
    assert.equal(viewer.expectedOffset(), before, 'nothing was echoed: the PTY received 0 bytes');
    assert.deepEqual(viewer.errors.slice(0, 2).map((e) => e.code), ['forbidden', 'forbidden']);

    // The writer's identical input does run, so the check above could fail.
    writer.socket.emit('term:input', `touch ${target}\r`);
    await waitFor(() => existsSync(target), 'the writer\'s command to run');
    // Writers may not resize under the default (owner) policy.
    writer.socket.emit('term:resize', { cols: 50, rows: 10 });
    await waitFor(() => writer.errors.some((e) => e.code === 'forbidden'), 'the writer\'s resize to be refused');
    assert.equal(room.cols, 80);
  } finally {
    viewer.close();
    writer.close();
    await server.close();
  }
});

test('the owner resizes the PTY; members get the resize in the stream', async () => {
  const server = await startServer();
  const created = await server.createRoom({ cols: 80, rows: 24 });
  const room = server.app.rooms.get(created.id)!;
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
  const viewer = await joinMember(server.url, created.id);
  try {
    owner.socket.emit('term:resize', { cols: 100, rows: 30 });
    await waitFor(() => viewer.terminal.cols === 100 && viewer.terminal.rows === 30, 'the viewer to follow the resize');
    assert.equal(room.cols, 100);
    owner.socket.emit('term:input', 'stty size\r');
    await waitFor(() => room.screenText().includes('30 100'), 'the shell to see the new size');
    // Bad sizes are refused, and the mirror keeps its size.
    for (const size of [{ cols: 0, rows: 0 }, { cols: 65535, rows: 65535 }, { cols: -1, rows: 5 }, { cols: Number.NaN, rows: 5 }, { cols: '80', rows: '24' }]) {
      owner.socket.emit('term:resize', size as unknown as { cols: number; rows: number });
    }
    await waitFor(() => owner.errors.filter((e) => e.code === 'bad-request').length === 5, 'five refusals');
    assert.equal(room.cols, 100);
    assert.equal(room.rows, 30);
    assert.deepEqual(viewer.violations, []);
  } finally {
    owner.close();
    viewer.close();
    await server.close();
  }
});

test('unknown room and bad token get the same answer; a second join on one connection is refused', async () => {
  const server = await startServer();
  const created = await server.createRoom();
  try {
    const badToken = await joinMember(server.url, created.id, { token: 'A'.repeat(43) });
    const noRoom = await joinMember(server.url, 'no-such-room', {});
    assert.deepEqual(badToken.reply, noRoom.reply);
    assert.equal(badToken.reply.ok, false);
    badToken.close();
    noRoom.close();

    const member = await joinMember(server.url, created.id);
    const again = await member.socket.emitWithAck('room:join', { roomId: created.id });
    assert.equal(again.ok, false);
    // Events that are not in the role table are refused.
    (member.socket as unknown as { emit(event: string, payload: unknown): void }).emit('pty:spawn', { command: 'sh' });
    await waitFor(() => member.errors.some((e) => e.code === 'bad-request' && e.message.includes('pty:spawn')), 'the unknown event to be refused');
    member.close();
  } finally {
    await server.close();
  }
});

test('input before joining is refused', async () => {
  const server = await startServer();
  await server.createRoom();
  const { io } = await import('socket.io-client');
  const socket = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    const error = await new Promise<{ code: string }>((resolve) => {
      socket.on('room:error', resolve);
      socket.on('connect', () => socket.emit('term:input', 'echo hi\r'));
    });
    assert.equal(error.code, 'bad-request');
  } finally {
    socket.close();
    await server.close();
  }
});

test('B1: a viewer typing key by key is refused every time and audited as one aggregated write.denied record', async () => {
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { audit });
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const viewer = await joinMember(server.url, created.id);
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
  try {
    const target = join(server.dataDir, 'x');
    const keys = [...`touch ${target}`, '\r'];
    for (const key of keys) viewer.socket.emit('term:input', key);
    await waitFor(() => viewer.errors.length === keys.length, 'every key refused');
    assert.ok(viewer.errors.every((error) => error.code === 'forbidden'));
    await assertNeverEchoed(viewer, owner, target);
    assert.equal(room.screenText().includes(target), false, 'the mirror never saw it');
    assert.equal(existsSync(target), false);
    const memberId = viewer.reply.ok ? viewer.reply.memberId : '';
    viewer.close();
    await waitFor(() => audit.of('member.left').length === 1, 'the viewer to leave');
    const denied = audit.of('write.denied').filter((record) => record.actor === memberId);
    assert.equal(denied.length, 1, 'one record, not one per key');
    assert.equal(denied[0]!.detail!.count, keys.length);
    assert.equal(denied[0]!.room, created.id);
  } finally {
    viewer.close();
    owner.close();
    await server.close();
  }
});

test('B6: the view link and the writer link are different secrets; a minted view token cannot write', async () => {
  const server = await startServer();
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  try {
    assert.equal(created.viewUrl.includes('#'), false, 'the public view link carries no secret');
    assert.ok(created.writeUrl.endsWith(`#token=${created.writeToken}`));
    assert.notEqual(created.writeToken, created.ownerToken);
    const minted = await api(server, 'POST', `/api/rooms/${created.id}/tokens`, { token: created.ownerToken, body: { role: 'viewer' } });
    const viewToken = minted.body.token as string;
    assert.ok(![created.writeToken, created.ownerToken].includes(viewToken));
    const viewer = await joinMember(server.url, created.id, { token: viewToken });
    const writer = await joinMember(server.url, created.id, { token: created.writeToken });
    try {
      assert.equal(viewer.reply.ok && viewer.reply.role, 'viewer');
      viewer.socket.emit('term:input', `touch ${join(server.dataDir, 'viewer-token')}\r`);
      await waitFor(() => viewer.errors.some((error) => error.code === 'forbidden'), 'the view token\'s input to be refused');
      await assertNeverEchoed(viewer, writer, 'viewer-token');
      assert.equal(existsSync(join(server.dataDir, 'viewer-token')), false);
      assert.equal(room.screenText().includes('viewer-token'), false);
    } finally {
      viewer.close();
      writer.close();
    }
  } finally {
    await server.close();
  }
});

test('B7: a role claimed in room:join or in member:role is ignored; the role comes from the verified credential', async () => {
  const server = await startServer();
  const created = await server.createRoom({ cols: 80, rows: 24 });
  const room = server.app.rooms.get(created.id)!;
  const claims = [{ role: 'owner' }, { role: 'owner', owner: true, admin: true }, { token: undefined, role: 'writer' }];
  const members: Member[] = [];
  try {
    for (const extra of claims) {
      const member = await joinMember(server.url, created.id, { extra });
      members.push(member);
      assert.equal(member.reply.ok && member.reply.role, 'viewer');
    }
    const writer = await joinMember(server.url, created.id, { token: created.writeToken, extra: { role: 'owner' } });
    members.push(writer);
    assert.equal(writer.reply.ok && writer.reply.role, 'writer');
    writer.socket.emit('term:resize', { cols: 50, rows: 10 });
    // Handing oneself the keyboard is an owner's event: refused for a writer, whatever it claims.
    const self = writer.reply.ok ? writer.reply.memberId : '';
    writer.socket.emit('member:role', { memberId: self, role: 'writer', as: 'owner' } as never);
    members[0]!.socket.emit('member:role', { memberId: members[0]!.reply.ok ? members[0]!.reply.memberId : '', role: 'writer' });
    await waitFor(() => writer.errors.length === 2 && members[0]!.errors.length === 1, 'the refusals');
    assert.deepEqual([...writer.errors, ...members[0]!.errors].map((e) => e.code), ['forbidden', 'forbidden', 'forbidden']);
    assert.equal(room.cols, 80);
    assert.equal(room.roleOf(members[0]!.reply.ok ? members[0]!.reply.memberId : ''), 'viewer');
  } finally {
    for (const member of members) member.close();
    await server.close();
  }
});

test('the owner hands the keyboard to a viewer and takes it back: room:role, member list, audit; then input is refused again', async () => {
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { audit });
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken, name: 'lead' });
  const student = await joinMember(server.url, created.id, { name: 'student' });
  try {
    const studentId = student.reply.ok ? student.reply.memberId : '';
    const ownerId = owner.reply.ok ? owner.reply.memberId : '';
    owner.socket.emit('member:role', { memberId: studentId, role: 'writer' });
    await waitFor(() => student.roles.at(-1) === 'writer', 'the student to be told it may type');
    await waitFor(() => owner.members.find((m) => m.id === studentId)?.role === 'writer', 'the member list to follow');
    const driving = join(server.dataDir, 'student-drove');
    student.socket.emit('term:input', `touch ${driving}\r`);
    await waitFor(() => existsSync(driving), 'the student\'s command to run');

    owner.socket.emit('member:role', { memberId: studentId, role: 'viewer' });
    await waitFor(() => student.roles.at(-1) === 'viewer', 'the student to be told it is a viewer again');
    student.socket.emit('term:input', `touch ${join(server.dataDir, 'taken-back')}\r`);
    await waitFor(() => student.errors.some((e) => e.code === 'forbidden'), 'its next input to be refused');
    await assertNeverEchoed(student, owner, 'taken-back');
    assert.equal(existsSync(join(server.dataDir, 'taken-back')), false);

    // Bad payloads, unknown members and owners are refused with their own codes; none changes anything.
    owner.socket.emit('member:role', { memberId: studentId, role: 'owner' } as never);
    owner.socket.emit('member:role', { memberId: 'nobody-here', role: 'writer' });
    owner.socket.emit('member:role', { memberId: ownerId, role: 'viewer' });
    owner.socket.emit('member:role', 'writer' as never);
    await waitFor(() => owner.errors.length === 4, 'four refusals');
    assert.deepEqual(owner.errors.map((e) => e.code), ['bad-request', 'not-found', 'forbidden', 'bad-request']);
    assert.equal(room.roleOf(ownerId), 'owner');

    const changes = audit.of('role.changed');
    assert.deepEqual(changes.map((r) => [r.actor, r.detail!.target, r.detail!.role]), [[ownerId, studentId, 'writer'], [ownerId, studentId, 'viewer']]);
    assert.ok(changes.every((r) => r.room === created.id && r.address));
  } finally {
    owner.close();
    student.close();
    await server.close();
  }
});
