// Graceful shutdown (G4 in docs/properties.md): on SIGTERM no newcomers, members told, every process ended, exit 0 before the deadline.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { joinMember, type Member } from '../helpers/member.js';
import { commandLine, isRunningAs, killIfRunning, pidsRunningAs } from '../helpers/processes.js';
import { createRoomAt, startServerProcess, TEST_SHELL_LINE } from '../helpers/serverProcess.js';
import { waitFor } from '../helpers/wait.js';

async function markedPid(member: Member, name: string): Promise<number> {
  const pattern = new RegExp(`${name}=(\\d+)`);
  await waitFor(() => pattern.test(member.outputText()), `the ${name} marker`);
  return Number(pattern.exec(member.outputText())![1]);
}

/** 'refused' when a brand-new socket.io client cannot connect, 'connected' when it can. */
function tryConnect(url: string): Promise<'connected' | 'refused'> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5_000 });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', () => {
      socket.close();
      resolve('refused');
    });
  });
}

test('G4: SIGTERM with rooms open and members attached: refused newcomers, term:exit server-shutdown, no process left, exit 0 before the deadline', async (t) => {
  const DEADLINE_S = 6;
  // Far longer than the deadline: the server must shorten it for shutdown, or miss the deadline.
  const KILL_GRACE_S = 60;
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-g4-'));
  const server = await startServerProcess([
    'serve', '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE,
    '--kill-grace', String(KILL_GRACE_S), '--shutdown-deadline', String(DEADLINE_S),
  ]);
  const members: Member[] = [];
  const processes: Array<{ pid: number; argv: readonly string[] }> = [];
  try {
    assert.equal(await tryConnect(server.url), 'connected', 'newcomers connect before the signal (so the check below can fail)');
    // Room A: a plain shell with a background job, a writer and a viewer.
    const a = await createRoomAt(server.url);
    const aWriter = await joinMember(server.url, a.id, { token: a.writeToken });
    const aViewer = await joinMember(server.url, a.id);
    members.push(aWriter, aViewer);
    aWriter.socket.emit('term:input', 'echo "SH=$$"; sleep 7301 & echo "J=$!"\r');
    const aShell = await markedPid(aWriter, 'SH');
    processes.push({ pid: aShell, argv: commandLine(aShell)! }, { pid: await markedPid(aWriter, 'J'), argv: ['sleep', '7301'] });
    // Room B: a shell that ignores SIGHUP, in a foreground job that ignores it too: only SIGKILL ends them.
    const b = await createRoomAt(server.url);
    const bOwner = await joinMember(server.url, b.id, { token: b.ownerToken });
    members.push(bOwner);
    bOwner.socket.emit('term:input', `echo "SH=$$"; trap '' HUP; sleep 7302\r`);
    const bShell = await markedPid(bOwner, 'SH');
    await waitFor(() => pidsRunningAs(['sleep', '7302']).length === 1, 'the foreground sleep');
    processes.push({ pid: bShell, argv: commandLine(bShell)! }, { pid: pidsRunningAs(['sleep', '7302'])[0]!, argv: ['sleep', '7302'] });
    for (const { pid, argv } of processes) assert.ok(isRunningAs(pid, argv), `${argv.join(' ')} (${pid}) runs before the signal`);

    const signalledAt = performance.now();
    server.child.kill('SIGTERM');
    await server.waitForStderr(/SIGTERM received/);
    // A second signal during shutdown must not start it again.
    server.child.kill('SIGTERM');
    assert.equal(await tryConnect(server.url), 'refused', 'a new connection right after the signal is refused');
    await assert.rejects(fetch(`${server.url}/healthz`), 'plain HTTP is refused too');

    const exit = await server.exited;
    const elapsedMs = performance.now() - signalledAt;
    t.diagnostic(`SIGTERM to exit: ${Math.round(elapsedMs)} ms (grace shortened from ${KILL_GRACE_S} s to fit the ${DEADLINE_S} s deadline)`);
    assert.deepEqual(exit, { code: 0, signal: null }, `exit status; stderr: ${server.stderr()}`);
    assert.ok(elapsedMs < DEADLINE_S * 1000, `exited after ${Math.round(elapsedMs)} ms, before the ${DEADLINE_S} s deadline`);
    assert.match(server.stderr(), /SIGTERM received again; already shutting down/);
    for (const member of members) {
      assert.equal(member.exits.length, 1, 'each member was told once');
      assert.equal(member.exits[0]!.reason, 'server-shutdown');
    }
    assert.equal(bOwner.exits[0]!.signal, 'SIGKILL', 'room B needed SIGKILL, after the shortened grace');
    for (const { pid, argv } of processes) assert.ok(!isRunningAs(pid, argv), `${argv.join(' ')} (${pid}) survived the shutdown`);
  } finally {
    for (const member of members) member.close();
    server.stop();
    killIfRunning(processes);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
