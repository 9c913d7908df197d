// The mirror in a worker thread: joins stay exact while the worker is saturated (during a flood, a resize,
// an exit), and a worker killed mid-flood is replaced without taking the server or other rooms with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { diffTerminals } from '../helpers/screens.js';
import { seededRandom, sleep, waitFor } from '../helpers/wait.js';
import { WORKLOAD_DONE } from '../fixtures/workload.mjs';
import type { NoticePayload } from '../../server/shared/events.js';

const WORKLOAD = fileURLToPath(new URL('../fixtures/screenWorkload.mjs', import.meta.url));
const FLOOD = fileURLToPath(new URL('../fixtures/outputFlood.mjs', import.meta.url));
const SCROLLBACK = 1000;
/** Joins around an exit stop here, whether or not the program has exited by then (a bound, not a timing). */
const MAX_EXIT_JOINERS = 150;
/**
 * Megabytes the saturating room writes: a second or more of parsing for the one worker. The test's members parse
 * in the test's own thread, which is also the server's, so more would measure the test rather than the server.
 */
const FLOOD_MB = 16;
/**
 * The size the owner gives the room once the workload is done: narrower than any of the random resizes (60–119
 * columns), so its reflow wraps rows after the end of the stream, on the mirror and every member alike.
 */
const FINAL_SIZE = { cols: 50, rows: 12 } as const;

async function roomWith(server: TestServer, command: string[]): Promise<{ id: string; ownerToken: string; writeToken: string }> {
  // Rooms run the profile; a second command needs its own server, so the command goes in as arguments.
  return server.createRoom({ args: command });
}

test('joins stay exact while the one mirror worker is saturated by another room\'s flood, through resizes', async (t) => {
  const seed = Number(process.env.TTYROOM_TEST_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (rerun with TTYROOM_TEST_SEED=${seed})`);
  const random = seededRandom(seed);
  // One worker holds both mirrors, so the flood's parse backlog is in front of every snapshot the joiners need.
  const server = await startServer({ command: ['bash', '--noprofile', '--norc', '-c', '"$0" "$@"'], permitArguments: true, scrollback: SCROLLBACK, mirrorWorkers: 1 });
  const members: Member[] = [];
  try {
    const flood = await roomWith(server, [process.execPath, FLOOD, String(FLOOD_MB)]);
    const floodRoom = server.app.rooms.get(flood.id)!;
    const created = await roomWith(server, [process.execPath, WORKLOAD, String(seed), '2500']);
    const room = server.app.rooms.get(created.id)!;
    const owner = await joinMember(server.url, created.id, { token: created.ownerToken, scrollback: SCROLLBACK });
    members.push(owner);
    const floodJoiners: Member[] = [];
    /** Joins that completed while the flood was still being written (its room had not exited). */
    let joinedDuringFlood = 0;
    await Promise.all([
      ...Array.from({ length: 8 }, async (_, i) => {
        // The first joiner comes at once, while the flood is surely going; the others at random moments.
        await sleep(i === 0 ? 0 : Math.floor(random() * 2500));
        members.push(await joinMember(server.url, created.id, { scrollback: SCROLLBACK }));
        if (floodRoom.exited === undefined) joinedDuringFlood++;
      }),
      ...Array.from({ length: 3 }, async () => {
        await sleep(Math.floor(random() * 2500));
        owner.socket.emit('term:resize', { cols: 60 + Math.floor(random() * 60), rows: 15 + Math.floor(random() * 20) });
      }),
      ...Array.from({ length: 2 }, async () => {
        await sleep(Math.floor(random() * 2500));
        floodJoiners.push(await joinMember(server.url, flood.id, { scrollback: SCROLLBACK }));
      }),
    ]);
    assert.ok(joinedDuringFlood > 0, 'members joined while the flood kept the worker busy (else this test shows nothing)');
    t.diagnostic(`${joinedDuringFlood} of 8 joins completed during the flood`);

    // The marker is looked for in the owner's stream (it joined seconds before the workload ends), not on the
    // screen: a resize after it reflows the screen, and the marker, printed near the top (the workload's reset
    // homes the cursor), can go into the scrollback, on the mirror and on every member alike. Under load the
    // random resizes can land there; the final one always does.
    await waitFor(() => owner.outputText().includes(WORKLOAD_DONE), 'the workload to finish', 180_000);
    owner.socket.emit('term:resize', FINAL_SIZE);
    await waitFor(() => room.cols === FINAL_SIZE.cols && room.rows === FINAL_SIZE.rows, 'the final resize');
    await waitFor(() => floodRoom.exited !== undefined, 'the flood to end', 180_000);
    for (const [name, target, group] of [['workload', room, members], ['flood', floodRoom, floodJoiners]] as const) {
      const end = target.streamOffset;
      await waitFor(() => group.every((m) => m.expectedOffset() === end), `every ${name} member to reach the end of the stream`, 60_000);
      // A resize at the end moves no offset: the barrier makes sure the final one has reached every member.
      await Promise.all(group.map((m) => m.barrier()));
      await Promise.all(group.map((m) => m.settled()));
      const mirror = await target.mirrorScreen();
      for (const [i, member] of group.entries()) {
        assert.deepEqual(member.violations, [], `${name} member ${i}: stream without gaps or repeats`);
        assert.deepEqual(diffTerminals(mirror, member.terminal), [], `${name} member ${i}: same screen as the mirror`);
      }
    }
  } finally {
    for (const member of members) member.close();
    await server.close();
  }
});

test('members joining around a program\'s exit get the final screen and exactly one term:exit', async () => {
  const server = await startServer({ command: [process.execPath, FLOOD, '1'], scrollback: SCROLLBACK, mirrorWorkers: 1, maxMembers: 0 });
  const members: Member[] = [];
  try {
    const created = await server.createRoom();
    const room = server.app.rooms.get(created.id)!;
    // Joins keep coming until well after the exit: some land while the worker still parses the tail.
    let exitedAt: number | undefined;
    room.onExit(() => {
      exitedAt = members.length;
    });
    while ((exitedAt === undefined || members.length < exitedAt + 3) && members.length < MAX_EXIT_JOINERS) {
      members.push(await joinMember(server.url, created.id, { scrollback: SCROLLBACK }));
    }
    assert.ok(exitedAt !== undefined, `the program exited within ${MAX_EXIT_JOINERS} joins`);
    await waitFor(() => members.every((m) => m.exits.length > 0), `every member to hear of the exit (exited after ${exitedAt} joins)`, 30_000)
      .catch((error: unknown) => {
        throw new Error(`${String(error)}; without it: ${members.map((m, i) => (m.exits.length ? '' : `#${i} at ${m.expectedOffset()}/${room.streamOffset} snapshots ${m.snapshots}`)).filter(Boolean).join(', ')}`);
      });
    const mirror = await room.mirrorScreen();
    for (const [i, member] of members.entries()) {
      await member.settled();
      assert.equal(member.exits.length, 1, `member ${i}: one term:exit`);
      assert.equal(member.expectedOffset(), room.streamOffset, `member ${i}: the whole stream`);
      assert.deepEqual(member.violations, [], `member ${i}: no gap or repeat`);
      // The oldest scrollback line is left out: the flood's 100-column lines wrap, and a full scrollback's first
      // line is then a continuation whose wrap flag no snapshot can recreate (its predecessor is gone; README).
      assert.deepEqual(diffTerminals(mirror, member.terminal, 10, SCROLLBACK - 1), [], `member ${i}: the final screen`);
    }
  } finally {
    for (const member of members) member.close();
    await server.close();
  }
});

test('a mirror worker killed mid-flood is replaced: the server and the other rooms go on, the screen is right', async (t) => {
  const seed = Number(process.env.TTYROOM_TEST_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed}`);
  const server = await startServer({ command: ['bash', '--noprofile', '--norc', '-c', '"$0" "$@"'], permitArguments: true, scrollback: SCROLLBACK, mirrorWorkers: 1 });
  const members: Member[] = [];
  try {
    // The quiet room: a shell with something on its screen, on the same (only) worker.
    const quiet = await roomWith(server, ['bash', '--noprofile', '--norc']);
    const quietRoom = server.app.rooms.get(quiet.id)!;
    const typist = await joinMember(server.url, quiet.id, { token: quiet.writeToken, scrollback: SCROLLBACK });
    members.push(typist);
    typist.socket.emit('term:input', 'echo before-the-crash\r');
    await waitFor(async () => /^before-the-crash$/m.test(await quietRoom.screenText()), 'the quiet room to show its line');

    const busy = await roomWith(server, [process.execPath, WORKLOAD, String(seed), '8000']);
    const busyRoom = server.app.rooms.get(busy.id)!;
    const watcher = await joinMember(server.url, busy.id, { scrollback: SCROLLBACK });
    members.push(watcher);
    const notices: NoticePayload[] = [];
    watcher.socket.on('room:notice', (notice) => notices.push(notice));
    await waitFor(() => busyRoom.streamOffset > 256 * 1024, 'the flood to be under way', 30_000);

    const worker = server.app.mirrors.workerOf(busyRoom.mirrorHandle);
    assert.equal(server.app.mirrors.workerOf(quietRoom.mirrorHandle), worker, 'both rooms share the worker that is killed');
    await server.app.mirrors.killWorker(worker);

    // The server answers, and the quiet room's screen survived (rebuilt from its checkpoint) and still works.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.match(await (await fetch(`${server.url}/api/rooms/${quiet.id}/screen`)).text(), /^before-the-crash$/m);
    typist.socket.emit('term:input', 'echo after-the-crash\r');
    await waitFor(async () => /^after-the-crash$/m.test(await quietRoom.screenText()), 'the quiet room to take input after the crash');
    await waitFor(() => notices.some((notice) => notice.code === 'mirror-restarted'), 'members to be told');

    // The flooding room's rebuilt mirror shows what a member that watched the whole stream shows.
    await waitFor(async () => (await busyRoom.screenText()).includes(WORKLOAD_DONE), 'the workload to finish', 60_000);
    const end = busyRoom.streamOffset;
    await waitFor(() => watcher.expectedOffset() === end, 'the watcher to have the whole stream', 30_000);
    await watcher.settled();
    assert.deepEqual(watcher.violations, []);
    assert.deepEqual(diffTerminals(await busyRoom.mirrorScreen(), watcher.terminal, 10, 0), [], 'the rebuilt mirror\'s screen equals the watcher\'s');
    // And a late joiner gets that screen.
    const late = await joinMember(server.url, busy.id, { scrollback: SCROLLBACK });
    members.push(late);
    await late.settled();
    assert.deepEqual(diffTerminals(watcher.terminal, late.terminal, 10, 0), [], 'a late joiner sees the same screen');
  } finally {
    for (const member of members) member.close();
    await server.close();
  }
});
