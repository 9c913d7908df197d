// A late join over a slow link: the browser's RoomClient (acking what its terminal parsed) joins a room with 10 000
// lines of coloured scrollback through a 2 Mbit/s proxy while output goes on, and ends with the mirror's screen
// without being cut off and re-snapshotted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { RoomClient } from '../../server/shared/roomClient.js';
import { MemberFlowControl } from '../../server/shared/flowControl.js';
import { HeadlessSink } from '../helpers/headlessSink.js';
import type { ClientSocket } from '../helpers/member.js';
import { diffTerminals } from '../helpers/screens.js';
import { startServer } from '../helpers/server.js';
import { LinkDefaults, startThrottledProxy } from '../helpers/throttledProxy.js';
import { waitFor } from '../helpers/wait.js';

const COLOUR_LOG = fileURLToPath(new URL('../fixtures/colourLog.mjs', import.meta.url));
const SCROLLBACK = 10_000;
/** One coloured line every 50 ms (about 2 KB/s): the room stays busy, well within the link. */
const TICK_MS = 50;
/** The snapshot takes several seconds at 2 Mbit/s, far longer on a loaded machine; the deadline only bounds a hang. */
const TRANSFER_DEADLINE_MS = 120_000;

test('a late join over a 2 Mbit/s link with 10 000 lines of coloured scrollback converges to the mirror\'s screen, once', async (t) => {
  const server = await startServer({ command: [process.execPath, COLOUR_LOG, String(SCROLLBACK), String(TICK_MS)], scrollback: SCROLLBACK });
  const proxy = await startThrottledProxy(server.app.httpServer);
  const sink = new HeadlessSink(SCROLLBACK);
  let client: RoomClient | undefined;
  try {
    const created = await server.createRoom();
    const room = server.app.rooms.get(created.id)!;
    // The first line after the scrollback is #10000; from then on the screen always shows one numbered that high.
    await waitFor(async () => /#[1-9]\d{4,}/.test(await room.screenText()), 'the scrollback to be written and output to go on', 60_000);

    const socket: ClientSocket = io(proxy.url, { transports: ['websocket'], forceNew: true, extraHeaders: { host: new URL(server.url).host } });
    let snapshots = 0;
    let behinds = 0;
    let snapshotBytes = 0;
    socket.on('term:snapshot', ({ data }) => {
      snapshots++;
      // As socket.io sends it: JSON, in UTF-8.
      snapshotBytes = Buffer.byteLength(JSON.stringify(data));
    });
    socket.on('term:behind', () => behinds++);
    const started = Date.now();
    client = new RoomClient(socket, sink, { roomId: created.id });
    const member = client;
    await waitFor(() => behinds > 0 || (sink.replaces > 0 && member.parsedOffset > 0), 'the snapshot to arrive and be parsed', TRANSFER_DEADLINE_MS, 20);
    const transferMs = Date.now() - started;
    // Then the output that went on meanwhile, which queued behind the snapshot.
    const liveEnd = room.streamOffset;
    await waitFor(() => behinds > 0 || member.parsedOffset >= liveEnd, 'the member to catch up with the live stream', TRANSFER_DEADLINE_MS, 20);
    t.diagnostic(`snapshot ${(snapshotBytes / 2 ** 20).toFixed(2)} MiB on the wire (member budget ${MemberFlowControl.BudgetUnits / 2 ** 20} Mi), parsed after ${transferMs} ms at ${LinkDefaults.BytesPerSecond * 8 / 1e6} Mbit/s; ${(proxy.bytesDown / 2 ** 20).toFixed(2)} MiB carried; ${snapshots} snapshot(s), ${behinds} cut-off(s)`);
    assert.ok(snapshotBytes > MemberFlowControl.BudgetUnits, 'the snapshot is larger than a member\'s budget (what this test is about)');
    assert.equal(behinds, 0, 'the member was never cut off');
    assert.equal(snapshots, 1, 'one snapshot: no resync');

    // Stop the output so both sides have an end to reach, then compare every line of the scrollback too.
    const exited = new Promise<void>((resolve) => room.onExit(() => resolve()));
    process.kill(-room.pid!, 'SIGKILL');
    await exited;
    const end = room.streamOffset;
    await waitFor(() => member.parsedOffset === end, `the member to reach the end of the stream (${end})`, TRANSFER_DEADLINE_MS, 20);
    await sink.settled();
    assert.deepEqual(diffTerminals(await room.mirrorScreen(), sink.terminal), [], 'the member shows the mirror\'s screen and scrollback');
    assert.equal(behinds, 0, 'still never cut off');
    assert.equal(snapshots, 1, 'still one snapshot');
  } finally {
    client?.dispose();
    sink.terminal.dispose();
    await proxy.close();
    await server.close();
  }
});
