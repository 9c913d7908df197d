// Roles on the server (B1, B6, B7): a viewer's input and resize never reach the PTY; writers type; only the owner
// resizes and hands out the keyboard; claimed roles are ignored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { diffTerminals } from '../helpers/screens.js';
import { TerminalSize } from '../../server/shared/limits.js';
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

/**
 * C6: term:resize payloads that are not `{ cols, rows }` with whole numbers in range. NaN and Infinity travel
 * as null in socket.io's JSON, and are sent anyway: that is what a hostile client can send.
 */
const BAD_SIZES: ReadonlyArray<[string, unknown]> = [
  ['0×0', { cols: 0, rows: 0 }],
  ['65535×65535', { cols: 65535, rows: 65535 }],
  ['negative', { cols: -1, rows: 5 }],
  ['negative rows', { cols: 50, rows: -24 }],
  ['NaN', { cols: Number.NaN, rows: 5 }],
  ['Infinity', { cols: Number.POSITIVE_INFINITY, rows: Number.POSITIVE_INFINITY }],
  ['strings', { cols: '80', rows: '24' }],
  ['floats', { cols: 80.5, rows: 24.25 }],
  ['one past the maximum', { cols: TerminalSize.MaxCols + 1, rows: TerminalSize.MaxRows }],
  ['one below the minimum', { cols: TerminalSize.MinCols - 1, rows: TerminalSize.MinRows }],
  ['missing rows', { cols: 50 }],
  ['missing both', {}],
  ['null', null],
  ['a number', 80],
  ['a string', '80x24'],
  ['an array', [80, 24]],
  ['nested', { cols: { valueOf: 50 }, rows: [24] }],
  ['a good size with a huge extra object', { cols: 50, rows: 10, junk: { filler: 'x'.repeat(200_000), list: Array.from({ length: 5_000 }, (_, i) => i) } }],
];

test('the owner resizes the PTY; members get the resize in the stream; bad sizes are refused and change nothing', async () => {
  const server = await startServer();
  const created = await server.createRoom({ cols: 80, rows: 24 });
  const room = server.app.rooms.get(created.id)!;
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
  const viewer = await joinMember(server.url, created.id);
  const late: Member[] = [];
  try {
    owner.socket.emit('term:resize', { cols: 100, rows: 30 });
    await waitFor(() => viewer.terminal.cols === 100 && viewer.terminal.rows === 30, 'the viewer to follow the resize');
    assert.equal(room.cols, 100);
    owner.socket.emit('term:input', 'stty size\r');
    await waitFor(async () => (await room.screenText()).includes('30 100'), 'the shell to see the new size');

    for (const [, size] of BAD_SIZES) owner.socket.emit('term:resize', size as { cols: number; rows: number });
    await waitFor(() => owner.errors.filter((e) => e.code === 'bad-request').length === BAD_SIZES.length, `${BAD_SIZES.length} refusals`);
    assert.deepEqual(owner.errors.map((e) => e.code), BAD_SIZES.map(() => 'bad-request'), 'each bad size refused with bad-request');
    assert.match(owner.errors[0]!.message, /cols, rows/);
    await owner.barrier();
    assert.deepEqual([room.cols, room.rows], [100, 30], 'the mirror kept its size');
    assert.deepEqual([viewer.terminal.cols, viewer.terminal.rows], [100, 30], 'no resize reached the members');

    // The PTY kept it too: the shell's idea of the size equals the mirror's.
    owner.socket.emit('term:input', 'clear; stty size\r');
    await waitFor(async () => /^30 100$/m.test((await room.screenText())), 'the shell to report its size again');

    // The smallest and largest sizes are accepted, and the PTY, the mirror and a late joiner agree on each.
    for (const [cols, rows] of [[TerminalSize.MinCols, TerminalSize.MinRows], [TerminalSize.MaxCols, TerminalSize.MaxRows], [90, 20]] as const) {
      owner.socket.emit('term:resize', { cols, rows });
      await waitFor(() => room.cols === cols && room.rows === rows, `the mirror to be ${cols}x${rows}`);
      owner.socket.emit('term:input', `clear; stty size | tr ' ' x | sed 's/^/SIZE-/'\r`);
      // At 2×1 nothing readable fits on the screen; the other two sizes show the shell's answer.
      if (cols > TerminalSize.MinCols) {
        await waitFor(async () => (await room.screenText()).includes(`SIZE-${rows}x${cols}`), `the shell to see ${cols}x${rows}`);
      }
    }
    // The prompt after the answer: the shell is idle, so the screen stays put while the late member joins.
    await waitFor(async () => {
      const lines = (await room.screenText()).split('\n');
      return (lines[lines.findIndex((line) => line.includes('SIZE-20x90')) + 1] ?? '').length > 0;
    }, 'the prompt after the size');
    const joiner = await joinMember(server.url, created.id);
    late.push(joiner);
    await waitFor(() => joiner.expectedOffset() === room.streamOffset, 'the late joiner to have the whole stream');
    await joiner.settled();
    assert.deepEqual([joiner.terminal.cols, joiner.terminal.rows], [90, 20], 'the late joiner got the mirror\'s size');
    assert.deepEqual(diffTerminals((await room.mirrorScreen()), joiner.terminal), [], 'the late joiner\'s screen equals the mirror\'s');
    assert.deepEqual(viewer.violations, []);
    assert.deepEqual(joiner.violations, []);
  } finally {
    owner.close();
    viewer.close();
    for (const member of late) member.close();
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
    assert.equal((await room.screenText()).includes(target), false, 'the mirror never saw it');
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
      assert.equal((await room.screenText()).includes('viewer-token'), false);
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
