// E5 and snapshot cost: a late joiner after 10 MB gets a snapshot within its size cap that shows the mirror's
// screen, and a burst of twenty joiners costs at most two serializes of the screen.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { startServer } from '../helpers/server.js';
import { joinMember, type ClientSocket, type Member } from '../helpers/member.js';
import { diffTerminals } from '../helpers/screens.js';
import { waitFor } from '../helpers/wait.js';
import { SnapshotLimits } from '../../server/shared/flowControl.js';

const COLOUR_FLOOD = fileURLToPath(new URL('../fixtures/colourFlood.mjs', import.meta.url));
const SCROLLBACK = 10_000;
const JOINERS = 20;

test('a late joiner after 10 MB of colourful output: the snapshot is within its cap and shows the mirror\'s screen', async (t) => {
  const server = await startServer({ command: [process.execPath, COLOUR_FLOOD, '10'], scrollback: SCROLLBACK });
  let late: Member | undefined;
  try {
    const created = await server.createRoom();
    const room = server.app.rooms.get(created.id)!;
    await waitFor(() => room.exited !== undefined, 'the 10 MB to be written and the program to exit', 60_000);
    assert.match((await room.screenText()), /COLOUR-FLOOD-DONE/);
    let snapshotLength = 0;
    late = await joinMember(server.url, created.id, { scrollback: SCROLLBACK });
    snapshotLength = (await room.snapshot()).data.length;
    await late.settled();
    const kept = late.terminal.buffer.normal.length - late.terminal.rows;
    const mirror = await room.mirrorScreen();
    t.diagnostic(`snapshot ${(snapshotLength / 2 ** 20).toFixed(2)} Mi units, cap ${SnapshotLimits.MaxUnits / 2 ** 20} Mi; ${kept} of ${mirror.normal.lines.length - mirror.rows} scrollback lines kept`);
    assert.ok(snapshotLength <= SnapshotLimits.MaxUnits, `snapshot of ${snapshotLength} units is within the cap`);
    assert.ok(kept < SCROLLBACK, 'the cap was reached: older scrollback was left out (so the size check above means something)');
    assert.ok(kept > SCROLLBACK / 10, `most of the scrollback that fits is kept (${kept} lines)`);
    assert.deepEqual(diffTerminals(mirror, late.terminal, 10, kept), [], 'the screen and the scrollback sent equal the mirror');
  } finally {
    late?.close();
    await server.close();
  }
});

async function connected(url: string): Promise<ClientSocket> {
  const socket: ClientSocket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

for (const busy of [false, true]) {
  test(`${JOINERS} joiners at once ${busy ? 'during a flood' : 'in a quiet room'} cost at most two serializes`, async (t) => {
    const server = await startServer({ scrollback: SCROLLBACK });
    const sockets: ClientSocket[] = [];
    try {
      const created = await server.createRoom();
      const room = server.app.rooms.get(created.id)!;
      const owner = await joinMember(server.url, created.id, { token: created.writeToken });
      // Fill the scrollback (so each serialize is the expensive kind) with more than a cached snapshot may
      // be caught up by, so the joins below cannot reuse the owner's.
      owner.socket.emit('term:input', 'for i in $(seq 1 30000); do echo "line $i of the scrollback"; done; echo FILLED\r');
      await waitFor(async () => (await room.screenText()).includes('FILLED'), 'the scrollback to fill', 30_000);
      if (busy) owner.socket.emit('term:input', 'yes\r');
      for (let i = 0; i < JOINERS; i++) sockets.push(await connected(server.url));
      if (busy) await waitFor(() => owner.outputText().length > 2 * 2 ** 20, 'the flood to be under way', 30_000);

      const before = room.serializations;
      const snapshots = sockets.map((socket) => new Promise<number>((resolve) => socket.once('term:snapshot', ({ offset }) => resolve(offset))));
      const replies = await Promise.all(sockets.map((socket) => socket.emitWithAck('room:join', { roomId: created.id })));
      assert.ok(replies.every((reply) => reply.ok));
      const offsets = await Promise.all(snapshots);
      const serializes = room.serializations - before;
      t.diagnostic(`${serializes} serialize(s) for ${JOINERS} joiners; ${new Set(offsets).size} distinct snapshot offset(s)`);
      // Zero is possible too: a snapshot taken shortly before (a member's resync) may still be fresh enough.
      assert.ok(serializes <= 2, `${serializes} serializes for ${JOINERS} joiners`);
      assert.ok(new Set(offsets).size <= 2, 'the joiners share at most two snapshots');
      if (busy) owner.socket.emit('term:input', '\x03');
      owner.close();
    } finally {
      for (const socket of sockets) socket.close();
      await server.close();
    }
  });
}
