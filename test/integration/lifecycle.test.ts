// Resource ownership: closing rooms (by API, by shutdown, 500 in a row) leaves no process, no zombie, no open fd, no record.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import type { CreatedRoom } from '../../server/shared/events.js';
import { waitFor } from '../helpers/wait.js';
import { isRunning, type ProcessIdentity } from '../../server/terminal/processTree.js';

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
    pids.push(server.app.rooms.get(room.id)!.pid!);
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

test('F6: opening and closing 500 rooms gives back every file descriptor and leaves no process or record', async (t) => {
  const TOTAL = 500;
  /** Rooms opened (then closed) at once: enough to overlap spawns and sweeps, few enough for 2 shared cores. */
  const BATCH = 25;
  // More rooms at once than one creator may hold by default.
  const server = await startServer({ maxRoomsPerUser: 0 });
  try {
    const baseline = openFds();
    let peak = baseline;
    const startedAt = performance.now();
    const shells: ProcessIdentity[] = [];
    for (let opened = 0; opened < TOTAL; opened += BATCH) {
      const batch = Array.from({ length: BATCH }, () => server.app.rooms.create({}, { address: '127.0.0.1' }).room);
      peak = Math.max(peak, openFds());
      for (const room of batch) shells.push(room.processIdentity!);
      await Promise.all(batch.map((room) => server.app.rooms.close(room.id, 'closed')));
    }
    const elapsedMs = performance.now() - startedAt;
    assert.equal(shells.length, TOTAL);
    assert.ok(peak >= baseline + BATCH, `open rooms hold descriptors (peak ${peak}, baseline ${baseline}), so the comparison below can fail`);
    await waitFor(() => openFds() <= baseline, `open descriptors to return to the baseline of ${baseline}`, 5_000);
    t.diagnostic(`fds: baseline ${baseline}, peak ${peak}, after ${openFds()}; ${TOTAL} rooms opened and closed in ${Math.round(elapsedMs)} ms`);
    assert.equal(server.app.rooms.size, 0);
    // Identities (pid + start time), so a pid reused by some other process since is not mistaken for a shell.
    assert.deepEqual(shells.filter((shell) => isRunning(shell)).map((shell) => shell.pid), [], 'no shell still runs');
    assert.deepEqual(readdirSync(join(server.dataDir, 'processes')), [], 'every crash-recovery record was removed');
  } finally {
    await server.close();
  }
});
