// G1, G2 on a manual clock: the idle limit (writer input only, output does not count) and the absolute lifetime
// close the room through the registry: members told, room gone, process ended, audited.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startServer, TEST_SHELL } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { ManualClock } from '../helpers/manualClock.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { waitFor } from '../helpers/wait.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Output the whole time: idle means nobody typed, not that the screen is still. */
const TICKER = ['bash', '--noprofile', '--norc', '-c', 'while :; do echo tick; sleep 0.1; done'];

async function barrier(...members: Member[]): Promise<void> {
  await Promise.all(members.map((member) => member.barrier()));
}

function codes(member: Member): string[] {
  return member.notices.map((notice) => notice.code);
}

test('G1: output flowing but no writer input for 30 minutes: warned at 28, closed at 30 with idle-timeout; typing postpones', async () => {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  const server = await startServer({ command: TICKER }, process.env, { clock, audit });
  const start = clock.now();
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const pid = room.pid;
  const writer = await joinMember(server.url, created.id, { token: created.writeToken });
  const viewer = await joinMember(server.url, created.id);
  const ticks = (): number => viewer.outputText().split('tick').length - 1;
  const outputStillFlows = async (): Promise<void> => {
    const before = ticks();
    await waitFor(() => ticks() >= before + 3, 'the ticker to keep printing');
  };
  try {
    clock.advanceTo(start + 27 * MINUTE);
    await barrier(writer, viewer);
    assert.deepEqual(codes(viewer), [], 'no warning before 28 minutes');
    await outputStillFlows();

    // A writer types at 27 minutes: the warning due at 28 does not come; the limit now ends at 57.
    writer.socket.emit('term:input', 'x');
    await barrier(writer);
    clock.advanceTo(start + 29 * MINUTE);
    // A viewer's refused input does not count as activity.
    viewer.socket.emit('term:input', 'y');
    await barrier(writer, viewer);
    assert.deepEqual(codes(viewer), [], 'writer input postponed the warning');
    clock.advanceTo(start + 55 * MINUTE - 1);
    await barrier(writer, viewer);
    assert.deepEqual(codes(viewer), []);
    await outputStillFlows();

    clock.advance(1);
    await barrier(writer, viewer);
    assert.deepEqual(codes(viewer), ['idle-warning']);
    assert.deepEqual(codes(writer), ['idle-warning']);
    assert.equal(viewer.notices[0]!.closesAt, new Date(start + 57 * MINUTE).toISOString());

    // Input after the warning withdraws it: nothing closes at 57.
    clock.advanceTo(start + 56 * MINUTE);
    writer.socket.emit('term:input', 'x');
    await barrier(writer, viewer);
    assert.deepEqual(codes(viewer), ['idle-warning', 'idle-cleared']);
    clock.advanceTo(start + 57 * MINUTE);
    await barrier(writer, viewer);
    assert.equal(server.app.rooms.get(created.id), room, 'still open after the withdrawn deadline');
    assert.equal(viewer.exits.length, 0);

    // Nobody writes again: warned at 84, closed at 86, output flowing all along.
    clock.advanceTo(start + 84 * MINUTE);
    await barrier(writer, viewer);
    assert.deepEqual(codes(viewer), ['idle-warning', 'idle-cleared', 'idle-warning']);
    viewer.socket.emit('term:input', 'y');
    await barrier(viewer);
    await outputStillFlows();
    clock.advanceTo(start + 86 * MINUTE);
    assert.equal(server.app.rooms.get(created.id), undefined, 'removed from the registry at once');
    await waitFor(() => viewer.exits.length === 1 && writer.exits.length === 1, 'term:exit on both members');
    assert.equal(viewer.exits[0]!.reason, 'idle-timeout');
    assert.equal(writer.exits[0]!.reason, 'idle-timeout');
    await waitFor(() => !existsSync(`/proc/${pid}`), 'the ticker to be ended and reaped', 5_000);
    const closed = audit.of('room.closed').filter((record) => record.room === created.id);
    assert.equal(closed.length, 1);
    assert.equal(closed[0]!.detail?.reason, 'idle-timeout');
    assert.equal(closed[0]!.time, new Date(start + 86 * MINUTE).toISOString());
  } finally {
    writer.close();
    viewer.close();
    await server.close();
  }
  assert.equal(clock.pending, 0, 'no policy timer outlives the server');
});

test('G2: the lifetime closes the room on time; leaving and rejoining, and typing, do not extend it', async () => {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  // Idle is off here so only the lifetime can close the room.
  const server = await startServer({ idleTimeoutMs: 0 }, process.env, { clock, audit });
  const start = clock.now();
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const pid = room.pid;
  const first = await joinMember(server.url, created.id, { token: created.ownerToken });
  let owner: Member | undefined;
  let late: Member | undefined;
  try {
    clock.advanceTo(start + 6 * HOUR);
    first.close();
    await waitFor(() => room.memberCount === 0, 'the owner to leave');
    owner = await joinMember(server.url, created.id, { token: created.ownerToken });
    clock.advanceTo(start + 12 * HOUR - 2 * MINUTE - 1);
    owner.socket.emit('term:input', 'echo still-here\r');
    await barrier(owner);
    assert.deepEqual(codes(owner), []);
    clock.advance(1);
    await barrier(owner);
    assert.deepEqual(codes(owner), ['lifetime-warning']);
    assert.equal(owner.notices[0]!.closesAt, new Date(start + 12 * HOUR).toISOString());

    // Someone joining after the warning is told too.
    late = await joinMember(server.url, created.id);
    assert.deepEqual(codes(late), ['lifetime-warning']);

    clock.advanceTo(start + 12 * HOUR - 1);
    await barrier(owner, late);
    assert.equal(server.app.rooms.get(created.id), room, 'open until the last millisecond');
    clock.advance(1);
    assert.equal(server.app.rooms.get(created.id), undefined);
    await waitFor(() => owner!.exits.length === 1 && late!.exits.length === 1, 'term:exit');
    assert.equal(owner.exits[0]!.reason, 'lifetime');
    await waitFor(() => !existsSync(`/proc/${pid}`), 'the shell to be ended and reaped', 5_000);
    const closed = audit.of('room.closed').find((record) => record.room === created.id);
    assert.equal(closed?.detail?.reason, 'lifetime');
    assert.equal(closed?.time, new Date(start + 12 * HOUR).toISOString());
  } finally {
    owner?.close();
    late?.close();
    await server.close();
  }
});

test('an exited room is not closed again by its timeouts', async () => {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  const server = await startServer({ command: [...TEST_SHELL, '-c', 'exit 4'] }, process.env, { clock, audit });
  // The server's own timers (the record's retention sweep) are not the room's.
  const serverTimers = clock.pending;
  try {
    const created = await server.createRoom();
    const room = server.app.rooms.get(created.id)!;
    await new Promise<void>((resolve) => room.onExit(() => resolve()));
    clock.advance(24 * HOUR);
    assert.equal(server.app.rooms.get(created.id), room, 'still listed with its final screen until its TTL');
    assert.deepEqual(audit.of('room.closed').map((record) => record.detail?.reason), ['exited']);
    assert.equal(clock.pending, serverTimers, 'no timer of the room is left');
  } finally {
    await server.close();
  }
});
