// Late join under load: members join at random moments of a busy stream (with owner resizes in it)
// and end with exactly the mirror's screen, cell by cell, having seen every chunk once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { diffTerminals } from '../helpers/screens.js';
import { seededRandom, sleep, waitFor } from '../helpers/wait.js';
import { WORKLOAD_DONE } from '../fixtures/workload.mjs';

const WORKLOAD = fileURLToPath(new URL('../fixtures/screenWorkload.mjs', import.meta.url));
const WORKLOAD_MS = 2500;
const JOINERS = 12;
const RESIZES = 4;
const SCROLLBACK = 1000;
/** The stream is at least this long however busy the machine is (the workload runs on until it has written it). */
const MIN_STREAM_UNITS = 150_000;

test('members that join at random moments of a busy stream end with the mirror\'s exact screen', async (t) => {
  const seed = Number(process.env.TTYROOM_TEST_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (rerun with TTYROOM_TEST_SEED=${seed})`);
  const random = seededRandom(seed);
  const server = await startServer({ command: [process.execPath, WORKLOAD, String(seed), String(WORKLOAD_MS), String(MIN_STREAM_UNITS)], scrollback: SCROLLBACK });
  const members: Member[] = [];
  try {
    const created = await server.createRoom({ cols: 80, rows: 24 });
    const room = server.app.rooms.get(created.id)!;
    const owner = await joinMember(server.url, created.id, { token: created.ownerToken, scrollback: SCROLLBACK });
    members.push(owner);

    const joinTimes = Array.from({ length: JOINERS }, () => Math.floor(random() * WORKLOAD_MS)).sort((a, b) => a - b);
    const resizeTimes = Array.from({ length: RESIZES }, () => Math.floor(random() * WORKLOAD_MS));
    const started = Date.now();
    await Promise.all([
      ...joinTimes.map(async (at) => {
        await sleep(at);
        members.push(await joinMember(server.url, created.id, { scrollback: SCROLLBACK }));
      }),
      ...resizeTimes.map(async (at) => {
        await sleep(at);
        owner.socket.emit('term:resize', { cols: 60 + Math.floor(random() * 60), rows: 15 + Math.floor(random() * 20) });
      }),
    ]);
    t.diagnostic(`joins done after ${Date.now() - started} ms`);

    // In the owner's stream, not on the screen: a resize that lands after the marker (under load one can) reflows
    // the screen, and the marker, printed near the top, can go into the scrollback (mirrorWorker.test.ts).
    await waitFor(() => owner.outputText().includes(WORKLOAD_DONE), 'the workload to finish', 30_000);
    const end = room.streamOffset;
    await waitFor(() => members.every((m) => m.expectedOffset() === end), 'every member to reach the end of the stream', 15_000);
    await Promise.all(members.map((m) => m.settled()));

    assert.ok(end >= MIN_STREAM_UNITS, `the workload produced a real stream (${end} code units)`);
    for (const [i, member] of members.entries()) {
      assert.deepEqual(member.violations, [], `member ${i}: stream without gaps or repeats`);
      assert.deepEqual(diffTerminals((await room.mirrorScreen()), member.terminal), [], `member ${i} (joined at ${i === 0 ? 0 : joinTimes[i - 1]} ms): same screen as the mirror`);
    }
  } finally {
    for (const member of members) member.close();
    await server.close();
  }
});
