// What a user does to install the command, for real: `npm pack` in the checkout, `npm install -g` of the tarball
// into a temporary prefix (native modules built on the spot), then the installed `ttyroom` run from another folder
// serves, runs a room's program, serves the browser client, lists rooms and attaches a real terminal (a pty) to a
// room. Slow (minutes): `npm run test:install`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import { createRoomAt } from '../helpers/serverProcess.js';
import { makeTerminal, type HeadlessTerminal } from '../helpers/screens.js';
import { joinMember } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';
import type { RoomSummary } from '../../server/shared/events.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const InstallLimits = {
  /** ms for `npm pack` (it runs the build through "prepare"). */
  PackMs: 5 * 60_000,
  /** ms for `npm install -g`: about 2.5 minutes on a 2-core machine, mostly compiling better-sqlite3 and node-pty. */
  InstallMs: 15 * 60_000,
  /** ms for one run of the installed command (a server start, a listing). */
  CommandMs: 60_000,
} as const;

/** The pty `ttyroom attach` runs in: a common terminal size. */
const ATTACH_SIZE = { cols: 80, rows: 24 } as const;

/** Ctrl-\ twice: attach's default detach (server/termclient/detachKeys.ts). */
const DETACH = '\x1c\x1c';

/** The text of the terminal's screen, one line per row, as a person reads it. */
function screenText(terminal: HeadlessTerminal): string {
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let row = 0; row < terminal.rows; row++) lines.push(buffer.getLine(buffer.baseY + row)?.translateToString(true) ?? '');
  return lines.join('\n');
}

/** Packages whose install scripts build their native part; npm 11 lists (and with strict-allow-scripts blocks) any other. */
const NATIVE_PACKAGES = ['node-pty', 'better-sqlite3', 'argon2'];

/**
 * The environment of a user's shell: without what `npm run` adds for this checkout (its package, its prefix, its
 * lifecycle), and without NODE_PATH, so nothing of the checkout can be found by the installed command.
 */
function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_|^npm_config_(local_|global_)?prefix$|^(INIT_CWD|NODE_PATH|NODE_OPTIONS)$/.test(key)) continue;
    env[key] = value;
  }
  delete env.TTYROOM_SERVER;
  return env;
}

function run(file: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env: userEnvironment(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed (${error.message}):\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

test('npm pack, npm install -g into a prefix, and the installed ttyroom (serve, rooms, attach, share) works from another folder', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'ttyroom-install-'));
  const packDir = join(work, 'pack');
  const prefix = join(work, 'prefix');
  const elsewhere = join(work, 'elsewhere');
  for (const dir of [packDir, elsewhere]) mkdirSync(dir);
  let server: ReturnType<typeof spawn> | undefined;
  try {
    let started = Date.now();
    await run('npm', ['pack', '--pack-destination', packDir], ROOT, InstallLimits.PackMs);
    t.diagnostic(`npm pack: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const tarballs = readdirSync(packDir).filter((name) => name.endsWith('.tgz'));
    assert.equal(tarballs.length, 1, `one tarball: ${tarballs.join(', ')}`);

    // The README's command, with --prefix so nothing outside `work` changes; the npm cache serves what it holds.
    started = Date.now();
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund',
      `--allow-scripts=${NATIVE_PACKAGES.join(',')}`, join(packDir, tarballs[0]!)], elsewhere, InstallLimits.InstallMs);
    t.diagnostic(`npm install -g: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const ttyroom = join(prefix, 'bin', 'ttyroom');
    const installed = readdirSync(join(prefix, 'lib', 'node_modules', 'ttyroom', 'node_modules'));
    for (const tool of ['typescript', 'esbuild', 'tsx', 'playwright-core']) assert.ok(!installed.includes(tool), `${tool} (a dev tool) was installed`);

    const help = await run(ttyroom, ['--help'], elsewhere, InstallLimits.CommandMs);
    assert.match(help.stdout, /^usage: ttyroom <command>/);
    assert.match(help.stdout, /^ {2}rooms /m);

    const dataDir = join(work, 'data');
    server = spawn(ttyroom, ['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--command', 'bash --noprofile --norc'],
      { cwd: elsewhere, env: userEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    server.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await waitFor(() => stdout.includes('\n') || server!.exitCode !== null, 'the installed server to print its first line', InstallLimits.CommandMs);
    const first = /^ttyroom listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(stdout.split('\n')[0]!);
    assert.ok(first, `first line: ${JSON.stringify(stdout)}; stderr: ${stderr}`);
    const url = first[1]!;

    // The browser client is served from the installed copy.
    for (const path of ['/', '/assets/room.js', '/assets/xterm.css']) {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 200, path);
      await response.arrayBuffer();
    }

    // The room's program runs in the installed node-pty, and the installed mirror answers a late joiner.
    const room = await createRoomAt(url, { name: 'installed' });
    const writer = await joinMember(url, room.id, { token: room.writeToken });
    try {
      writer.socket.emit('term:input', 'echo installed-$((6*7))\r');
      await waitFor(() => writer.outputText().includes('installed-42'), 'the room program to answer', InstallLimits.CommandMs);
    } finally {
      writer.close();
    }

    const listed = await run(ttyroom, ['rooms', '--server', url, '--json'], elsewhere, InstallLimits.CommandMs);
    const rooms = JSON.parse(listed.stdout) as RoomSummary[];
    assert.deepEqual(rooms.map(({ id, name }) => ({ id, name })), [{ id: room.id, name: 'installed' }]);

    // `ttyroom attach` in a real terminal: it draws the room's screen, a writer's keys reach the shell, and the
    // detach key leaves with status 0.
    const terminal = makeTerminal(ATTACH_SIZE.cols, ATTACH_SIZE.rows);
    const attach = pty.spawn(ttyroom, ['attach', room.writeUrl], {
      ...ATTACH_SIZE, cwd: elsewhere, env: { ...userEnvironment(), TERM: 'xterm-256color' } as Record<string, string>,
    });
    const attachExit = new Promise<number>((resolve) => attach.onExit(({ exitCode }) => resolve(exitCode)));
    let attachEnded = false;
    void attachExit.then(() => (attachEnded = true));
    attach.onData((data) => terminal.write(data));
    try {
      await waitFor(() => screenText(terminal).includes('installed-42'), 'attach to draw the room', InstallLimits.CommandMs);
      attach.write('echo via-attach-$((7*6))\r');
      await waitFor(() => screenText(terminal).includes('via-attach-42'), 'keys typed in attach to reach the room', InstallLimits.CommandMs);
      attach.write(DETACH);
      assert.equal(await attachExit, 0);
    } finally {
      if (!attachEnded) attach.kill('SIGKILL');
      terminal.dispose();
    }

    // `ttyroom share` in a real terminal, from the installed copy: it prints the viewer link, attaches this
    // terminal as the owner, the room runs what is typed here, and it ends with the shell's status.
    const shareTerminal = makeTerminal(ATTACH_SIZE.cols, ATTACH_SIZE.rows);
    const share = pty.spawn(ttyroom, ['share', '--port', '0', '--data-dir', join(work, 'share-data'), '--no-qr', '--', 'bash', '--noprofile', '--norc'], {
      ...ATTACH_SIZE, cwd: elsewhere, env: { ...userEnvironment(), TERM: 'xterm-256color' } as Record<string, string>,
    });
    const shareExit = new Promise<number>((resolve) => share.onExit(({ exitCode }) => resolve(exitCode)));
    let shareEnded = false;
    void shareExit.then(() => (shareEnded = true));
    let shareOutput = '';
    share.onData((data) => {
      shareOutput += data;
      shareTerminal.write(data);
    });
    try {
      await waitFor(() => /viewer link: http:\/\/127\.0\.0\.1:\d+\/r\//.test(shareOutput) && shareOutput.includes('· owner ·'), 'share to print its link and attach', InstallLimits.CommandMs);
      share.write('echo via-share-$((6*7))\r');
      await waitFor(() => screenText(shareTerminal).includes('via-share-42'), 'keys typed in share to reach its room', InstallLimits.CommandMs);
      share.write('exit 4\r');
      assert.equal(await shareExit, 4);
    } finally {
      if (!shareEnded) share.kill('SIGKILL');
      shareTerminal.dispose();
    }
  } finally {
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    rmSync(work, { recursive: true, force: true });
  }
});
