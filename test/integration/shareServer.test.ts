// `ttyroom share --server URL`: the room is created on a running server through its API and this terminal (a
// real pty here) attaches as its owner; a detach leaves the room running; without a terminal it prints the links.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pty from 'node-pty';
import { BIN } from '../helpers/serverProcess.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

/** Generous: node starts, creates, connects and draws on a loaded machine. */
const SHARE_TIMEOUT_MS = 30_000;
/** The detach key, twice (Ctrl-\ Ctrl-\). */
const DETACH = '\x1c\x1c';

/** Runs the command without blocking this process: the server under test lives in it. */
function run(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: SHARE_TIMEOUT_MS }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function withServer(t: TestContext): Promise<TestServer> {
  const server = await startServer();
  t.after(() => server.close());
  return server;
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ttyroom-share-server-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('share --server in a terminal: the room is made there, this terminal types as its owner, a detach leaves it running', async (t) => {
  const server = await withServer(t);
  const dataDir = tempDir(t);
  // A file left by an earlier share, readable by all: the new owner link must not be readable even for a moment.
  writeFileSync(join(dataDir, 'share-owner-link'), 'old\n');
  chmodSync(join(dataDir, 'share-owner-link'), 0o644);
  const child = pty.spawn(process.execPath, [BIN, 'share', '--server', server.url, '--name', 'remote demo', '--no-qr', '--data-dir', dataDir], {
    cols: 90,
    rows: 25,
    env: process.env as Record<string, string>,
  });
  let output = '';
  child.onData((data) => {
    output += data;
  });
  const exited = new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));
  t.after(() => child.kill('SIGKILL'));

  await waitFor(() => output.includes('· owner ·'), 'attached as the owner', SHARE_TIMEOUT_MS);
  const viewerLink = /viewer link: (\S+)/.exec(output)![1]!;
  assert.match(output, /writer link: \S+#token=/);
  assert.match(output, /owner link: +in \S+share-owner-link \(readable by you alone\)/);
  const room = server.app.rooms.list().find((candidate) => viewerLink.endsWith(`/r/${candidate.id}`));
  assert.ok(room, 'the printed viewer link is a room of that server');
  assert.equal(room.name, 'remote demo');
  assert.deepEqual([room.cols, room.rows], [90, 24], 'this terminal sizes it, less the status line');
  const ownerFile = join(dataDir, 'share-owner-link');
  assert.equal(statSync(ownerFile).mode & 0o777, 0o600);
  assert.ok(readFileSync(ownerFile, 'utf8').startsWith(`${viewerLink}#token=`));

  child.write('echo REMOTE-$((5*5))\r');
  await waitFor(async () => (await room.screenText()).includes('REMOTE-25'), 'the owner\'s keys reached the room', SHARE_TIMEOUT_MS);
  child.write(DETACH);
  assert.equal(await exited, 0);
  assert.match(output, /come back with: ttyroom attach/);
  assert.equal(room.exited, undefined, 'the room goes on after the detach');
});

test('share --server without a terminal prints the three links and leaves the room to its owner link; errors are one line', async (t) => {
  const server = await withServer(t);
  const dataDir = tempDir(t);
  const result = await run(['share', '--server', server.url, '--data-dir', dataDir]);
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, 3, 'viewer, writer and owner links, no QR code in a pipe');
  assert.match(lines[0]!, /^viewer link: http:\/\/127\.0\.0\.1:\d+\/r\/[\w-]+$/);
  assert.match(lines[1]!, /^writer link: \S+#token=/);
  assert.match(lines[2]!, /^owner link: +\S+#token=\S+&write=/);
  assert.equal(server.app.rooms.list().length, 1);

  const unknownProfile = await run(['share', '--server', server.url, '--profile', 'nope', '--data-dir', dataDir]);
  assert.equal(unknownProfile.status, 1);
  assert.match(unknownProfile.stderr.trim(), /^ttyroom: share: .*unknown profile "nope"/);
  const unreachable = await run(['share', '--server', 'http://127.0.0.1:9', '--data-dir', dataDir]);
  assert.equal(unreachable.status, 1);
  assert.match(unreachable.stderr.trim(), /^ttyroom: share: cannot reach/);
  const badUrl = await run(['share', '--server', 'http://127.0.0.1:9/path']);
  assert.equal(badUrl.status, 2);
  assert.match(badUrl.stderr.trim(), /--server: only the origin/);
});
