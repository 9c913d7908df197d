// Exit: the code reaches every member; a fast program's last output is never lost (node-pty #726).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';

test('exit 3 gives every member term:exit with code 3, and the room stays viewable', async () => {
  const server = await startServer();
  const created = await server.createRoom();
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
  const viewer = await joinMember(server.url, created.id);
  try {
    owner.socket.emit('term:input', 'echo bye-now; exit 3\r');
    await waitFor(() => owner.exits.length > 0 && viewer.exits.length > 0, 'term:exit on both members');
    assert.deepEqual(owner.exits, [{ exitCode: 3, reason: 'exited' }]);
    assert.deepEqual(viewer.exits, [{ exitCode: 3, reason: 'exited' }]);
    const summary = (await (await fetch(`${server.url}/api/rooms/${created.id}`)).json()) as { exited: boolean };
    assert.equal(summary.exited, true);
    // A latecomer still gets the final screen, then the exit.
    const late = await joinMember(server.url, created.id);
    await waitFor(() => late.exits.length === 1, 'the latecomer to learn of the exit');
    await late.settled();
    assert.match(late.terminal.buffer.active.getLine(late.terminal.buffer.active.baseY + 1)?.translateToString(true) ?? '', /bye-now/);
    late.close();
  } finally {
    owner.close();
    viewer.close();
    await server.close();
  }
});

test('a signal ends the room with that signal', async () => {
  const server = await startServer();
  const created = await server.createRoom();
  const member = await joinMember(server.url, created.id, { token: created.writeToken });
  try {
    member.socket.emit('term:input', 'kill -9 $$\r');
    await waitFor(() => member.exits.length > 0, 'term:exit');
    assert.equal(member.exits[0]!.signal, 'SIGKILL');
    assert.equal(member.exits.length, 1);
  } finally {
    member.close();
    await server.close();
  }
});

test('cat of a multi-megabyte file followed by an immediate exit delivers the last line, 20 times out of 20', async () => {
  const RUNS = 20;
  const LINES = 60_000;
  const server = await startServer({ command: ['bash', '--noprofile', '--norc', '-c', 'cat big.txt; exit 0'] });
  const file = join(server.dataDir, 'big.txt');
  const body = Array.from({ length: LINES }, (_, i) => `line ${String(i).padStart(6, '0')} ${'x'.repeat(40)}`).join('\n');
  writeFileSync(file, `${body}\nLAST-LINE-${LINES}\n`);
  try {
    for (let run = 0; run < RUNS; run++) {
      const created = await server.createRoom();
      const room = server.app.rooms.get(created.id)!;
      const exited = new Promise<void>((resolve) => room.onExit(() => resolve()));
      await exited;
      assert.match((await room.screenText()), new RegExp(`LAST-LINE-${LINES}`), `run ${run}: the last line arrived`);
      assert.ok(room.streamOffset > 3_000_000, `run ${run}: the whole file went through the stream`);
      await server.app.rooms.close(created.id, 'closed');
    }
  } finally {
    await server.close();
  }
});
