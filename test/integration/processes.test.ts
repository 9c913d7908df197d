// Process ends (F1, F2 in docs/properties.md): a shell killed from outside is reported once and cleaned up; closing a room ends its whole session.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { commandLine, isRunningAs, killIfRunning, pidsRunningAs, ptyMasterCount } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';
import { isRunning } from '../../server/terminal/processTree.js';

/** Waits for `NAME=<pid>` in the member's output (the typed command echoes `NAME=$!`, without digits). */
async function markedPid(member: Member, name: string): Promise<number> {
  const pattern = new RegExp(`${name}=(\\d+)`);
  await waitFor(() => pattern.test(member.outputText()), `the ${name} marker`);
  return Number(pattern.exec(member.outputText())![1]);
}

/** One round trip on the member's socket: everything the server sent before is in by then. */
async function roundTrip(member: Member): Promise<void> {
  await member.socket.emitWithAck('room:join', { roomId: 'nothing-here' });
}

test('F1: kill -9 of the shell from outside: term:exit once with SIGKILL, no zombie, the pty master closed', async () => {
  const server = await startServer();
  const masters = ptyMasterCount();
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const pid = room.pid!;
  const writer = await joinMember(server.url, created.id, { token: created.writeToken });
  const viewer = await joinMember(server.url, created.id);
  try {
    assert.equal(ptyMasterCount(), masters + 1, 'the room holds one pty master (so the check below can fail)');
    process.kill(pid, 'SIGKILL');
    await waitFor(() => writer.exits.length > 0 && viewer.exits.length > 0, 'term:exit on both members');
    // Closing the exited room (the owner's DELETE, or expiry) must not report the exit again.
    await server.app.rooms.close(created.id, 'closed');
    await roundTrip(writer);
    await roundTrip(viewer);
    for (const member of [writer, viewer]) {
      assert.equal(member.exits.length, 1, 'exactly one term:exit');
      assert.equal(member.exits[0]!.signal, 'SIGKILL');
      assert.equal(member.exits[0]!.reason, 'exited');
    }
    // /proc/<pid> stays while the process is a zombie; it goes once node-pty reaped it.
    await waitFor(() => !existsSync(`/proc/${pid}`), 'the shell to be reaped (no zombie)', 5_000);
    await waitFor(() => ptyMasterCount() === masters, 'the pty master fd to be closed', 5_000);
  } finally {
    writer.close();
    viewer.close();
    await server.close();
  }
});

test('F2: closing a room ends background, nohup and SIGHUP-ignoring jobs, and a shell that ignores SIGHUP', async () => {
  const GRACE_MS = 500;
  const server: TestServer = await startServer({ killGraceMs: GRACE_MS });
  const created = await server.createRoom();
  const shellPid = server.app.rooms.get(created.id)!.pid!;
  const member = await joinMember(server.url, created.id, { token: created.writeToken });
  const jobs = [
    { argv: ['sleep', '7101'], line: 'sleep 7101 & echo "J1=$!"' },
    { argv: ['sleep', '7102'], line: 'nohup sleep 7102 >/dev/null 2>&1 & echo "J2=$!"' },
    { argv: ['sleep', '7103'], line: `(trap '' HUP; exec sleep 7103) & echo "J3=$!"` },
  ];
  const foreground = ['sleep', '7104'];
  const started: Array<{ pid: number; argv: readonly string[] }> = [];
  try {
    for (const [i, job] of jobs.entries()) {
      member.socket.emit('term:input', `${job.line}\r`);
      started.push({ pid: await markedPid(member, `J${i + 1}`), argv: job.argv });
    }
    // The shell itself now ignores SIGHUP too, and sits in the foreground sleep.
    member.socket.emit('term:input', `trap '' HUP; ${foreground.join(' ')}\r`);
    await waitFor(() => pidsRunningAs(foreground).length === 1, 'the foreground sleep');
    started.push({ pid: pidsRunningAs(foreground)[0]!, argv: foreground });
    started.push({ pid: shellPid, argv: commandLine(shellPid)! });
    // `$!` names the forked shell, which execs the job a moment later (on a busy machine, a long moment).
    for (const { pid, argv } of started) await waitFor(() => isRunningAs(pid, argv), `${argv.join(' ')} (${pid}) to run before the close`);

    await server.app.rooms.close(created.id, 'closed');

    // close() resolves only once the session was swept: nothing may be left, not even for a moment.
    for (const { pid, argv } of started) assert.ok(!isRunningAs(pid, argv), `${argv.join(' ')} (${pid}) survived the close`);
    await waitFor(() => member.exits.length > 0, 'term:exit');
    assert.deepEqual(member.exits, [{ exitCode: 0, signal: 'SIGKILL', reason: 'closed' }], 'the shell ignored SIGHUP, so SIGKILL ended it');
  } finally {
    killIfRunning(started);
    member.close();
    await server.close();
  }
});

test('a shell that exits on its own leaves nothing behind either: its nohup job is ended after the grace period', async () => {
  const server = await startServer({ killGraceMs: 1_500 });
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const ended = new Promise<void>((resolve) => room.onProcessesEnded(() => resolve()));
  const member = await joinMember(server.url, created.id, { token: created.writeToken });
  const job = { pid: 0, argv: ['sleep', '7105'] };
  try {
    member.socket.emit('term:input', 'nohup sleep 7105 >/dev/null 2>&1 & echo "J=$!"\r');
    job.pid = await markedPid(member, 'J');
    member.socket.emit('term:input', 'exit 4\r');
    await waitFor(() => member.exits.length > 0, 'term:exit');
    assert.deepEqual(member.exits, [{ exitCode: 4, reason: 'exited' }]);
    assert.ok(isRunningAs(job.pid, job.argv), 'the nohup job outlived the shell at first (so the check below can fail)');
    await ended;
    assert.ok(!isRunningAs(job.pid, job.argv), 'the nohup job was ended with the room');
  } finally {
    killIfRunning([job]);
    member.close();
    await server.close();
  }
});

test('disposing the registry while a room closes ends the room at once, and the close that was under way returns', { timeout: 120_000 }, async () => {
  // A long grace, so only the disposal can end the shell before the test's deadline.
  const server = await startServer({ killGraceMs: 600_000 });
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const shell = room.processIdentity!;
  const writer = await joinMember(server.url, created.id, { token: created.writeToken });
  try {
    // The shell ignores the hangup, so the close waits out its grace.
    writer.socket.emit('term:input', "trap '' HUP; echo TRAP=$((40+2))\r");
    await waitFor(() => writer.outputText().includes('TRAP=42'), 'the shell to ignore SIGHUP');
    let closed = false;
    const closing = server.app.rooms.close(created.id, 'closed').then(() => {
      closed = true;
    });
    await waitFor(() => !server.app.rooms.get(created.id), 'the room to be unlisted as it closes');
    assert.equal(closed, false, 'the close waits for the shell (so the check below can fail)');
    server.app.rooms.dispose();
    await closing;
    await waitFor(() => !isRunning(shell), 'the shell to be ended by the disposal');
  } finally {
    writer.close();
    await server.close();
  }
});
