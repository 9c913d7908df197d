// One-shot modes from the command line: --once, --timeout, and `ttyroom share -- COMMAND` (its lines, links, exit status).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { joinMember, type Member } from '../helpers/member.js';
import { childrenOf, isRunningAs, killIfRunning } from '../helpers/processes.js';
import { BIN, createRoomAt, startServerProcess, TEST_SHELL_LINE, type ServerProcess } from '../helpers/serverProcess.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { readableLine } from '../../server/util/logger.js';

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
      // One log record, read as a person would (the log is JSON lines when stderr is not a terminal).
      assert.deepEqual(server.stderr().trim().split('\n').map(readableLine), ['ttyroom: nobody joined within 1 s (--timeout); exiting']);
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

test('share: prints the server line, then viewer and writer links (capability in the fragment); exits 0 when COMMAND ends', () =>
  withDataDir(async (dataDir) => {
    const server: ServerProcess = await startServerProcess(['share', '--port', '0', '--data-dir', dataDir, '--name', 'demo room', '--', 'bash', '--noprofile', '--norc']);
    const members: Member[] = [];
    try {
      const lines = await server.waitForStdoutLines(3);
      const escaped = server.url.replace(/[.]/g, '\\.');
      const viewer = new RegExp(`^viewer link: ${escaped}/r/([A-Za-z0-9_-]+)$`).exec(lines[1]!);
      assert.ok(viewer, `second line is the viewer link: ${lines[1]}`);
      const roomId = viewer[1]!;
      const writer = new RegExp(`^writer link: ${escaped}/r/${roomId}#token=([A-Za-z0-9_-]+)$`).exec(lines[2]!);
      assert.ok(writer, `third line is the writer link, its token in the fragment: ${lines[2]}`);
      assert.ok(lines.every((line) => !line.includes('?')), 'no capability in a query string');

      const rooms = (await (await fetch(`${server.url}/api/rooms`)).json()) as Array<{ id: string; name: string }>;
      assert.deepEqual(rooms.map(({ id, name }) => ({ id, name })), [{ id: roomId, name: 'demo room' }]);
      assert.equal((await secondCreate(server.url)).status, 409, 'share implies --once');

      const watcher = await joinMember(server.url, roomId);
      const typist = await joinMember(server.url, roomId, { token: writer[1]! });
      members.push(watcher, typist);
      assert.deepEqual([watcher.reply.ok && watcher.reply.role, typist.reply.ok && typist.reply.role], ['viewer', 'writer']);
      typist.socket.emit('term:input', 'echo "shared-$((6 * 7))"; exit 5\r');
      assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr());
      assert.ok(watcher.outputText().includes('shared-42'), 'the viewer watched the command');
      assert.deepEqual(watcher.exits, [{ exitCode: 5, reason: 'exited' }]);
    } finally {
      for (const member of members) member.close();
      server.stop();
    }
  }));

test('share refuses --command, misplaced client options and a missing program with status 2 and one line; --help documents it', () => {
  const cases: Array<[string[], RegExp]> = [
    [['share', '--port', '0', '--ca', 'ca.pem', '--', 'bash'], /--ca goes with --server URL/],
    [['share', '--profile', 'ops'], /--profile goes with --server URL/],
    [['share', '--server', 'http://127.0.0.1:9', '--', 'bash'], /takes no command after --/],
    [['share', '--server'], /--server needs a value/],
    [['share', '--command', 'bash', '--', 'bash'], /not --command/],
    [['share', '--name', '--', 'bash'], /--name needs a value/],
    [['share', '--timeout', 'soon', '--', 'bash'], /--timeout must be a number of seconds/],
    [['serve', '--', 'htop'], /ttyroom share -- htop/],
    [['share', '--port', '0', '--', 'no-such-program-ttyroom-7'], /command not found or not executable: no-such-program-ttyroom-7/],
    [['share', '--port', '0', '--', './no/such/path'], /command not found or not executable: \.\/no\/such\/path/],
  ];
  for (const [args, message] of cases) {
    const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 2, `${args.join(' ')}: status 2 (stderr: ${result.stderr})`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line`);
    assert.match(lines[0]!, message);
    assert.equal(result.stdout, '', 'no server line: nothing was started');
  }
  const help = spawnSync(process.execPath, [BIN, 'share', '--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: ttyroom share \[options\] \[--name NAME\] \[--readonly\] \[--no-qr\] \[-- COMMAND \[ARGS\.\.\.\]\]/);
  for (const word of ['--name', 'TTYROOM_NAME', '--once', '--timeout', '--shutdown-deadline', '--readonly', '--no-qr', '--server', 'login shell']) assert.ok(help.stdout.includes(word), `share --help mentions ${word}`);
  const top = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.match(top.stdout, /^\s+share\s/m);
});
