// Proves /proc/<pid>/stat parsing survives hostile comm values, and that session listing and killing find exactly a session's live processes.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  identify, isRunning, killSession, parseProcStat, readProcStat, sessionMembers, signalSession, type ProcessIdentity, type ProcStat,
} from '../../server/terminal/processTree.js';
import { waitFor } from '../helpers/wait.js';

/** A stat line as the kernel writes it: fields 3..52 after `(comm)`, with the ones we read filled in. */
function statLine(pid: number, comm: string, fields: { state?: string; ppid?: number; pgrp?: number; session?: number; startTime?: number } = {}): string {
  const rest = Array.from({ length: 50 }, () => '0');
  rest[0] = fields.state ?? 'S';
  rest[1] = String(fields.ppid ?? 1);
  rest[2] = String(fields.pgrp ?? pid);
  rest[3] = String(fields.session ?? pid);
  rest[4] = '34816'; // tty_nr
  rest[5] = '-1'; // tpgid: negative numbers occur in real lines
  rest[19] = String(fields.startTime ?? 1000);
  return `${pid} (${comm}) ${rest.join(' ')}\n`;
}

describe('parseProcStat', () => {
  const comms = ['bash', 'two words', 'a) (b', ') 1 2 3', '((((', '))))', 'x) S 1 1 1', '', 'tab\there', 'new\nline', 'ünïcode'];
  for (const comm of comms) {
    test(`comm ${inspect(comm)} is read whole and the fields after it are right`, () => {
      const stat = parseProcStat(statLine(4242, comm, { state: 'T', ppid: 17, pgrp: 4240, session: 4200, startTime: 987654 }));
      assert.deepEqual(stat, { pid: 4242, comm, state: 'T', ppid: 17, pgrp: 4240, session: 4200, startTime: 987654, cpuTicks: 0 });
    });
  }

  test('a real line: our own process', () => {
    const stat = readProcStat(process.pid);
    assert.ok(stat);
    assert.equal(stat.pid, process.pid);
    assert.equal(stat.ppid, process.ppid);
    assert.equal(stat.state, 'R', 'we are running while we read it');
    assert.ok(stat.startTime > 0);
  });

  const broken = ['', '123', '123 bash S 1 1 1', '123 (bash', 'abc (bash) S 1 1 1', '123 (bash) S 1 1', `123 (bash) S x 1 1 ${'0 '.repeat(20)}`];
  for (const line of broken) {
    test(`${inspect(line)} is refused, not half-read`, () => {
      assert.equal(parseProcStat(line), undefined);
    });
  }
});

describe('sessionMembers on a made-up /proc', () => {
  const root = mkdtempSync(join(tmpdir(), 'ttyroom-proc-'));
  // Pids far above any real pid_max, so nothing here can be confused with a real process.
  const LEADER = 9_000_001;
  const write = (pid: number, comm: string, fields: Parameters<typeof statLine>[2]): void => {
    mkdirSync(join(root, String(pid)), { recursive: true });
    writeFileSync(join(root, String(pid), 'stat'), statLine(pid, comm, fields));
  };
  write(LEADER, 'bash', { session: LEADER, startTime: 500 });
  write(9_000_002, 'sleep 1', { session: LEADER, pgrp: 9_000_002, startTime: 510 });
  write(9_000_003, 'nohup) (x', { session: LEADER, pgrp: 9_000_003, startTime: 500 });
  write(9_000_004, 'zombie', { session: LEADER, state: 'Z', startTime: 520 });
  write(9_000_005, 'older', { session: LEADER, startTime: 499 });
  write(9_000_006, 'elsewhere', { session: 9_000_100, startTime: 600 });
  mkdirSync(join(root, 'self'));
  writeFileSync(join(root, 'uptime'), '1.0 1.0\n');
  const pids = (members: ProcStat[] | undefined): number[] | undefined => members?.map((m) => m.pid).sort();

  test('lists live processes of the session that started no earlier than its leader, the leader included', () => {
    assert.deepEqual(pids(sessionMembers({ pid: LEADER, startTime: 500 }, root)), [LEADER, 9_000_002, 9_000_003]);
  });

  test('the leader gone: its session is still found by session id', () => {
    assert.deepEqual(pids(sessionMembers({ pid: 9_000_100, startTime: 550 }, root)), [9_000_006]);
  });

  test('the leader pid held by a process with another start time: the session is not ours', () => {
    assert.equal(sessionMembers({ pid: LEADER, startTime: 400 }, root), undefined);
  });

  test('start times after every member: nothing', () => {
    assert.deepEqual(sessionMembers({ pid: 9_000_100, startTime: 601 }, root), []);
  });

  test('our own session is never a target', () => {
    const own = readProcStat(process.pid)!;
    const leader = readProcStat(own.session);
    if (leader) assert.equal(sessionMembers({ pid: own.session, startTime: leader.startTime }), undefined);
    assert.equal(sessionMembers({ pid: process.pid, startTime: own.startTime }), undefined);
  });

  test.after(() => rmSync(root, { recursive: true, force: true }));
});

describe('real sessions', () => {
  /** A new session (setsid) whose shell starts two sleeps, one of them in another process group. */
  async function startSession(): Promise<{ leader: ProcessIdentity; cleanup(): Promise<void> }> {
    const child = spawn('bash', ['-c', 'sleep 7401 & (set -m; sleep 7402 &); wait'], { detached: true, stdio: 'ignore' });
    // A failed test must not hang on the child: cleanup() kills it by pid.
    child.unref();
    const leader = identify(child.pid!)!;
    // Kills until nothing is left, so a sleep forked while we clean up is caught too.
    const cleanup = async (): Promise<void> => void await killSession(leader);
    try {
      // By name too: a forked child is listed before it has exec'd sleep (under load, for a while).
      await waitFor(() => {
        const members = sessionMembers(leader) ?? [];
        return members.length === 3 && members.filter((m) => m.comm === 'sleep').length === 2;
      }, 'the shell and its two sleeps');
    } catch (error) {
      await cleanup();
      throw error;
    }
    return { leader, cleanup };
  }

  test('listing finds the shell and both sleeps; killSession ends them all, and then nothing is listed', async () => {
    const session = await startSession();
    try {
      const { leader } = session;
      const members = sessionMembers(leader)!;
      assert.ok(members.every((m) => m.session === leader.pid));
      assert.equal(members.filter((m) => m.comm === 'sleep').length, 2);
      assert.ok(isRunning(leader));

      const result = await killSession(leader);
      assert.equal(result.foreign, false);
      assert.equal(result.killed, 3);
      assert.deepEqual(result.survivors, []);
      assert.deepEqual(sessionMembers(leader) ?? [], []);
      for (const member of members) assert.ok(!isRunning({ pid: member.pid, startTime: member.startTime }), `${member.pid} is gone`);
    } finally {
      session.cleanup();
    }
  });

  test('a recorded identity whose pid now belongs to another process is left alone', async () => {
    const session = await startSession();
    try {
      const real = session.leader;
      const stale = { pid: real.pid, startTime: real.startTime - 1 };
      assert.equal(signalSession(stale, 'SIGKILL'), undefined);
      const result = await killSession(stale);
      assert.equal(result.foreign, true);
      assert.equal(result.killed, 0);
      assert.ok(isRunning(real), 'the process holding the pid was not touched');
      assert.equal(sessionMembers(real)?.length, 3, 'nor anything of its session');
    } finally {
      await session.cleanup();
    }
  });
});
