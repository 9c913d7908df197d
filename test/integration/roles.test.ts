// Roles on the server: a viewer's input and resize never reach the PTY; writers type; only the owner resizes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { sleep, waitFor } from '../helpers/wait.js';

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
