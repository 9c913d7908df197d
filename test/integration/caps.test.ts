// H5: rooms up to the per-user and per-server caps, members up to the room cap; past them a clear error,
// an audit record, and no process spawned.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { waitFor } from '../helpers/wait.js';

/** Pids of this test process's children: node-pty forks every room's process from here. */
function childPids(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces; the fields after it are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) children.push(Number(entry));
    } catch {
      // The process ended while we listed /proc: it is not a child any more.
    }
  }
  return children.sort((a, b) => a - b);
}

/** POST /api/rooms from a chosen loopback address, so two "users" can be told apart without sign-in. */
function createFrom(server: TestServer, localAddress: string): Promise<{ status: number; body: any }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/rooms', method: 'POST', localAddress, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

test('H5: per-user and per-server room caps refuse with 429 too-many-rooms, audited, and spawn nothing', async () => {
  const audit = new MemoryAuditLog();
  const server = await startServer({ maxRooms: 3, maxRoomsPerUser: 2 }, process.env, { audit });
  try {
    const alice = '127.0.0.1';
    const bob = '127.0.0.2';
    // The test runner's own helpers (tsx's esbuild service) may be children too: count from a baseline.
    const baseline = childPids().length;
    assert.equal((await createFrom(server, alice)).status, 201);
    assert.equal((await createFrom(server, alice)).status, 201);
    const children = childPids();
    assert.equal(children.length, baseline + 2, 'one process per room, so the comparisons below can fail');

    const overUser = await createFrom(server, alice);
    assert.equal(overUser.status, 429);
    assert.equal(overUser.body.error.code, 'too-many-rooms');
    assert.match(overUser.body.error.message, /maximum of 2 rooms/);
    assert.deepEqual(childPids(), children, 'no process spawned past the per-user cap');
    assert.equal(server.app.rooms.size, 2);

    // Another address may still create, up to the server's cap.
    assert.equal((await createFrom(server, bob)).status, 201);
    const afterBob = childPids();
    assert.equal(afterBob.length, baseline + 3);
    const overServer = await createFrom(server, bob);
    assert.equal(overServer.status, 429);
    assert.equal(overServer.body.error.code, 'too-many-rooms');
    assert.match(overServer.body.error.message, /server already holds its maximum of 3 rooms/);
    assert.deepEqual(childPids(), afterBob, 'no process spawned past the server cap');
    assert.equal(server.app.rooms.size, 3);

    const refusals = audit.of('limit.refused').map((record) => [record.detail?.limit, record.address]);
    assert.deepEqual(refusals, [['rooms-per-user', alice], ['rooms-per-server', bob]]);
    assert.deepEqual(audit.of('room.created').map((record) => record.address), [alice, alice, bob]);

    // Closing one of alice's rooms frees a place for her.
    const aliceRoom = server.app.rooms.list()[0]!;
    await server.app.rooms.close(aliceRoom.id, 'closed');
    assert.equal((await createFrom(server, alice)).status, 201);
  } finally {
    await server.close();
  }
});

test('H5: a full room refuses the next member with room-full (audited); the owner still gets in; a place frees up', async () => {
  const audit = new MemoryAuditLog();
  const server = await startServer({ maxMembers: 2 }, process.env, { audit });
  const created = await server.createRoom();
  const members: Member[] = [];
  try {
    members.push(await joinMember(server.url, created.id, { name: 'one' }));
    members.push(await joinMember(server.url, created.id, { name: 'two' }));
    const third = await joinMember(server.url, created.id, { name: 'three' });
    members.push(third);
    assert.equal(third.reply.ok, false);
    assert.equal(!third.reply.ok && third.reply.code, 'room-full');
    assert.match(!third.reply.ok ? third.reply.message : '', /full \(2 members\)/);
    const room = server.app.rooms.get(created.id)!;
    assert.equal(room.memberCount, 2);
    const refused = audit.of('limit.refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.room, created.id);
    assert.equal(refused[0]!.detail?.limit, 'members-per-room');

    members[0]!.close();
    await waitFor(() => room.memberCount === 1, 'a member to leave');
    const again = await joinMember(server.url, created.id, { name: 'three-again' });
    members.push(again);
    assert.equal(again.reply.ok, true, 'a place freed up');

    const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
    members.push(owner);
    assert.equal(owner.reply.ok, true, 'the owner is never locked out of their room');
    assert.equal(room.memberCount, 3);
  } finally {
    for (const member of members) member.close();
    await server.close();
  }
});
