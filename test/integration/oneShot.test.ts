// One-shot modes from the command line: --once (one room, exit when it ends) and --timeout (exit when nobody joins).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { joinMember, type Member } from '../helpers/member.js';
import { childrenOf, isRunningAs, killIfRunning } from '../helpers/processes.js';
import { createRoomAt, startServerProcess, TEST_SHELL_LINE } from '../helpers/serverProcess.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** Runs `body` with a fresh data dir, and removes it afterwards. */
async function withDataDir(body: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-oneshot-'));
  try {
    await body(dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function secondCreate(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  return { status: response.status, body: await response.json() };
}

test('--once: the first room is accepted, a second gets 409, and the server exits 0 once the room has ended and its member was told', () =>
  withDataDir(async (dataDir) => {
    const server = await startServerProcess(['serve', '--once', '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE]);
    let member: Member | undefined;
    try {
      const created = await createRoomAt(server.url);
      const refused = await secondCreate(server.url);
      assert.equal(refused.status, 409);
      assert.deepEqual(refused.body, { error: { code: 'conflict', message: 'this server was started with --once and already has its one room' } });
      member = await joinMember(server.url, created.id, { token: created.writeToken });
      await sleep(300);
      assert.equal(server.child.exitCode, null, 'still running while the room is');
      member.socket.emit('term:input', 'exit 7\r');
      assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr());
      assert.deepEqual(member.exits, [{ exitCode: 7, reason: 'exited' }], 'the member was told before the server left');
      assert.match(server.stderr(), /--once/);
    } finally {
      member?.close();
      server.stop();
    }
  }));

test('--timeout: nobody joins in time → a non-zero status and one clear stderr line; its room process is ended', () =>
  withDataDir(async (dataDir) => {
    const server = await startServerProcess(['serve', '--timeout', '1', '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE]);
    let shells: Array<{ pid: number; argv: string[] }> = [];
    try {
      await createRoomAt(server.url);
      shells = childrenOf(server.child.pid!);
      assert.equal(shells.length, 1, 'the room runs its shell');
      const exit = await server.exited;
      assert.deepEqual(exit, { code: 3, signal: null });
      assert.deepEqual(server.stderr().trim().split('\n'), ['ttyroom: nobody joined within 1 s (--timeout); exiting']);
      assert.ok(!isRunningAs(shells[0]!.pid, shells[0]!.argv), 'the room process was ended');
    } finally {
      server.stop();
      killIfRunning(shells);
    }
  }));

test('--timeout: a member who joins in time stops the clock', () =>
  withDataDir(async (dataDir) => {
    const TIMEOUT_S = 2;
    const server = await startServerProcess(['serve', '--timeout', String(TIMEOUT_S), '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE]);
    const startedAt = performance.now();
    let member: Member | undefined;
    try {
      const created = await createRoomAt(server.url);
      member = await joinMember(server.url, created.id);
      assert.ok(performance.now() - startedAt < TIMEOUT_S * 1000, 'joined before the timeout (or the test proves nothing)');
      await sleep(TIMEOUT_S * 1000 + 500 - (performance.now() - startedAt));
      assert.equal(server.child.exitCode, null, `still running past the timeout; stderr: ${server.stderr()}`);
      server.child.kill('SIGTERM');
      assert.equal((await server.exited).code, 0);
    } finally {
      member?.close();
      server.stop();
    }
  }));
