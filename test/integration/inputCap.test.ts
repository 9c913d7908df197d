// C5: a 50 MB paste into a program that does not read: pending input stays capped, the server does not spin,
// the writer is told once, and Ctrl-C still ends the program.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { InputLimits } from '../../server/shared/flowControl.js';
import { PayloadLimits } from '../../server/shared/limits.js';

/** Whether a child of `pid` runs `name` (the shell forks sleep in the foreground). */
function descendantNamed(pid: number, name: string): boolean {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.some((child) => {
    try {
      return readFileSync(`/proc/${child}/comm`, 'utf8').trim() === name;
    } catch {
      return false;
    }
  });
}

const PASTE_BYTES = 50 * 1024 * 1024;
/** Lets the per-connection event budget refill after the paste, so Ctrl-C is not itself rate-limited. */
const REFILL_MS = 1_500;
/** A waiting server uses next to no CPU; node-pty's own writer retried EAGAIN in a busy loop (#956). */
const MAX_CPU_SHARE_WHILE_STUCK = 0.5;

test('a 50 MB paste into `sleep`: input capped at 1 MiB, no busy loop, one input-full error, and Ctrl-C still works', async (t) => {
  const server = await startServer();
  const created = await server.createRoom();
  const writer = await joinMember(server.url, created.id, { token: created.writeToken });
  const room = server.app.rooms.get(created.id)!;
  try {
    writer.socket.emit('term:input', "PS1='P-$((6*7))> '\r");
    await waitFor(() => writer.outputText().includes('P-42> '), 'the prompt');
    writer.socket.emit('term:input', 'sleep 1001\r');
    await waitFor(() => ((server.app.rooms.get(created.id)!.pid ?? 0) > 0 && descendantNamed(room.pid!, 'sleep')), 'sleep to run');

    const line = `${'paste '.repeat(15)}\n`;
    const chunk = line.repeat(Math.floor(PayloadLimits.MaxInputChunk / line.length));
    let sent = 0;
    let maxPending = 0;
    while (sent < PASTE_BYTES) {
      writer.socket.emit('term:input', chunk);
      sent += chunk.length;
      maxPending = Math.max(maxPending, room.pendingInput);
      if (sent % (16 * chunk.length) === 0) await sleep(1);
    }
    await waitFor(() => writer.errors.some((e) => e.code === 'input-full'), 'the writer to be told its input was dropped');
    maxPending = Math.max(maxPending, room.pendingInput);
    assert.ok(room.pendingInput > 0, 'the program really is not reading (input is pending)');
    assert.ok(maxPending <= InputLimits.MaxPendingBytes, `pending input peaked at ${maxPending} bytes`);

    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(REFILL_MS);
    const cpu = process.cpuUsage(cpuBefore);
    const share = (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore);
    t.diagnostic(`pending input ${room.pendingInput} bytes (peak ${maxPending}); CPU while stuck ${(share * 100).toFixed(1)}% of a core; input-full errors: ${writer.errors.filter((e) => e.code === 'input-full').length}`);
    assert.ok(share < MAX_CPU_SHARE_WHILE_STUCK, `the server used ${(share * 100).toFixed(0)}% of a core while the input was stuck`);
    assert.ok(writer.errors.filter((e) => e.code === 'input-full').length <= 2, 'told once per stall, not once per chunk');

    const before = writer.outputText().length;
    const pressed = performance.now();
    writer.socket.emit('term:input', '\x03');
    await waitFor(() => writer.outputText().slice(before).includes('P-42> '), 'the prompt after Ctrl-C', 5_000, 5);
    t.diagnostic(`Ctrl-C to prompt with a full input queue: ${(performance.now() - pressed).toFixed(0)} ms`);
    assert.equal(room.pendingInput, 0, 'the stuck paste was discarded, as the line discipline does on ^C');

    // The shell is usable again and did not receive the rest of the paste as commands.
    writer.socket.emit('term:input', 'echo alive-$((6*7))\r');
    await waitFor(() => writer.outputText().includes('alive-42'), 'the shell to answer');
    assert.doesNotMatch(writer.outputText().slice(before), /paste: command not found/);
  } finally {
    writer.close();
    await server.close();
  }
});
