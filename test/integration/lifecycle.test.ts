// Resource ownership: closing rooms (by API and by shutdown) leaves no process, no zombie, no open fd.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { startServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import type { CreatedRoom } from '../../server/protocol/events.js';
import { waitFor } from '../helpers/wait.js';

const ROOMS = 10;

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test('closed rooms leave no live or zombie process and give back their file descriptors', async () => {
  const server = await startServer();
  const baseline = openFds();
  const pids: number[] = [];
  const members: Member[] = [];
  const created: CreatedRoom[] = [];
  for (let i = 0; i < ROOMS; i++) {
    const room = await server.createRoom();
    created.push(room);
    pids.push(server.app.rooms.get(room.id)!.pid);
    members.push(await joinMember(server.url, room.id, { token: room.writeToken }));
  }
  assert.ok(pids.every((pid) => existsSync(`/proc/${pid}`)), 'every room has a live process');
  assert.ok(openFds() > baseline, 'rooms and members hold descriptors (so the comparison below can fail)');

  // Half are closed through the API while a member is attached; the rest by the server's shutdown.
  for (const room of created.slice(0, ROOMS / 2)) {
    const response = await fetch(`${server.url}/api/rooms/${room.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${room.ownerToken}` } });
    assert.equal(response.status, 204);
  }
  await waitFor(() => members.slice(0, ROOMS / 2).every((m) => m.exits.length === 1), 'members of closed rooms to get term:exit');
  for (const member of members) member.close();
  await server.close();

  assert.equal(server.app.rooms.size, 0);
  // node-pty reaps its children; /proc/<pid> disappears only once a process is gone and reaped.
  await waitFor(() => pids.every((pid) => !existsSync(`/proc/${pid}`)), 'every room process to be gone and reaped', 5_000);
  await waitFor(() => openFds() <= baseline, `open descriptors to return to the baseline of ${baseline}`, 5_000);
});
