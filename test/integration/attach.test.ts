// `ttyroom attach` in a real terminal (tmux): the pane shows exactly the mirror's screen, a full-screen program's
// colours and alternate screen included; a writer's keys reach the shell and a watcher's do not; the window
// drives the room's size when the role does; after a network drop it resumes with nothing lost or repeated.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { BIN } from '../helpers/serverProcess.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeTerminal, writeAsync, type HeadlessTerminal } from '../helpers/screens.js';
import { shellQuote, Tmux, TMUX_MISSING } from '../helpers/tmux.js';
import { waitFor } from '../helpers/wait.js';
import { api } from '../helpers/api.js';
import { joinMember } from '../helpers/member.js';

/** Generous: tmux, node and the shell all start and draw on a loaded machine. */
const DRAW_TIMEOUT_MS = 30_000;

function attachCommand(link: string, extra: readonly string[] = []): string {
  return [process.execPath, BIN, 'attach', link, ...extra].map(shellQuote).join(' ');
}

/** The room's screen as the mirror has it, parsed into a terminal of the room's size from its ANSI snapshot. */
async function mirrorTerminal(server: TestServer, roomId: string, token: string): Promise<HeadlessTerminal> {
  const room = server.app.rooms.get(roomId)!;
  const { cols, rows } = room;
  const answer = await api(server, 'GET', `/api/rooms/${roomId}/screen?format=ansi`, { token });
  assert.equal(answer.status, 200, answer.text);
  const terminal = makeTerminal(cols, rows, 0);
  await writeAsync(terminal, answer.text);
  return terminal;
}

/** The pane's visible cells, read back through tmux's own record of them (capture-pane -e). */
async function paneTerminal(tmux: Tmux, cols: number, rows: number): Promise<HeadlessTerminal> {
  const terminal = makeTerminal(cols, rows, 0);
  // The grid's rows only: the status line under them would scroll this terminal by one.
  await writeAsync(terminal, tmux.ansi().split('\r\n').slice(0, rows).join('\r\n'));
  return terminal;
}

/** One cell as a comparable string: its characters, width, colours (mode and value) and attributes. */
function cellKey(terminal: HeadlessTerminal, x: number, y: number): string {
  const line = terminal.buffer.active.getLine(terminal.buffer.active.viewportY + y);
  const cell = line?.getCell(x);
  if (!cell) return '?';
  return [
    cell.getChars() || ' ', cell.getWidth(),
    cell.getFgColorMode(), cell.getFgColor(), cell.getBgColorMode(), cell.getBgColor(),
    cell.isBold(), cell.isDim(), cell.isItalic(), cell.isUnderline(), cell.isBlink(), cell.isInverse(),
    cell.isInvisible(), cell.isStrikethrough(),
  ].join('|');
}

/** Differences between the mirror's grid and the top-left of the pane, cell by cell (at most `limit`). */
function gridDiff(mirror: HeadlessTerminal, pane: HeadlessTerminal, limit = 8): string[] {
  const diffs: string[] = [];
  for (let y = 0; y < mirror.rows && diffs.length < limit; y++) {
    for (let x = 0; x < mirror.cols && diffs.length < limit; x++) {
      const expected = cellKey(mirror, x, y);
      const actual = cellKey(pane, x, y);
      if (expected !== actual) diffs.push(`row ${y} col ${x}: mirror ${expected} != pane ${actual}`);
    }
  }
  return diffs;
}

async function paneMatchesMirror(server: TestServer, tmux: Tmux, roomId: string, token: string, size: { cols: number; rows: number }): Promise<string[]> {
  const mirror = await mirrorTerminal(server, roomId, token);
  return gridDiff(mirror, await paneTerminal(tmux, size.cols, size.rows));
}

function mirrorText(server: TestServer, roomId: string): Promise<string> {
  return server.app.rooms.get(roomId)!.screenText();
}

function startTmux(t: TestContext, cols: number, rows: number, command: string): Tmux {
  const tmux = new Tmux(cols, rows, command);
  t.after(() => tmux.close());
  return tmux;
}

async function withServer(t: TestContext): Promise<TestServer> {
  const server = await startServer();
  t.after(() => server.close());
  return server;
}

/** vim draws the full-screen test; .ci/run installs it with tmux. */
const VIM_MISSING = spawnSync('vim', ['--version'], { encoding: 'utf8' }).status === 0 ? undefined : 'vim is not installed (.ci/run installs it)';

test('a writer attached in tmux: its keys reach the shell, and after vim draws in colour on the alternate screen the pane is the mirror\'s screen', { skip: TMUX_MISSING ?? VIM_MISSING }, async (t) => {
  const server = await withServer(t);
  const created = await server.createRoom({ cols: 80, rows: 24 });
  // One row more than the room: the status line sits under the grid.
  const tmux = startTmux(t, 80, 25, attachCommand(created.writeUrl, ['--name', 'pane-writer']));
  await waitFor(() => tmux.lines().at(-1)!.includes('writer'), 'the status line says writer', DRAW_TIMEOUT_MS);

  tmux.sendKeys(['printf "\\033[1;31mRED-$((6*7))\\033[0m\\n"', 'Enter'], false);
  await waitFor(async () => (await mirrorText(server, created.id)).includes('RED-42'), 'the writer\'s keys reached the shell', DRAW_TIMEOUT_MS);

  tmux.sendKeys(["vim -u NONE -N -i NONE -c 'syntax on' -c 'set hlsearch' /usr/share/doc/tmux/example_tmux.conf 2>/dev/null || vim -u NONE -N -i NONE -c 'syntax on' /etc/profile", 'Enter']);
  const room = server.app.rooms.get(created.id)!;
  await waitFor(async () => (await room.mirrorScreen()).active === 'alternate', 'vim shows the alternate screen', DRAW_TIMEOUT_MS);
  let diffs: string[] = [];
  await waitFor(async () => {
    diffs = await paneMatchesMirror(server, tmux, created.id, created.ownerToken, { cols: 80, rows: 24 });
    return diffs.length === 0;
  }, 'the pane equals the mirror', DRAW_TIMEOUT_MS).catch(() => undefined);
  assert.deepEqual(diffs, [], 'pane vs mirror, cell by cell');
  assert.equal(tmux.format('#{alternate_on}'), '1', 'the pane shows the alternate screen while attached');

  // Colours really are in play (a plain screen would make the comparison weak).
  const mirror = await mirrorTerminal(server, created.id, created.ownerToken);
  const coloured = Array.from({ length: 24 }, (_, y) => Array.from({ length: 80 }, (_, x) => cellKey(mirror, x, y))).flat().filter((key) => key.split('|')[2] !== '0');
  assert.ok(coloured.length > 10, `vim drew in colour (${coloured.length} coloured cells)`);

  tmux.sendKeys(['Escape', ':qa!', 'Enter']);
  await waitFor(async () => (await room.mirrorScreen()).active === 'normal', 'vim has quit', DRAW_TIMEOUT_MS);
  await waitFor(async () => (await paneMatchesMirror(server, tmux, created.id, created.ownerToken, { cols: 80, rows: 24 })).length === 0, 'the pane follows back to the shell', DRAW_TIMEOUT_MS);
});

test('a watcher attached in tmux: its keys never reach the shell, the status line says so, and Ctrl-C leaves with status 0', { skip: TMUX_MISSING }, async (t) => {
  const server = await withServer(t);
  const created = await server.createRoom({ cols: 60, rows: 12 });
  const tmux = startTmux(t, 60, 13, attachCommand(created.viewUrl));
  await waitFor(() => tmux.lines().at(-1)!.includes('watching'), 'the status line says watching', DRAW_TIMEOUT_MS);

  tmux.sendKeys(['echo VIEWER-KEYS-$((3*3))', 'Enter']);
  await waitFor(() => tmux.lines().at(-1)!.includes('your keys go nowhere'), 'the status line explains', DRAW_TIMEOUT_MS).catch((error: unknown) => assert.fail(`${String(error)}; the status line: ${tmux.lines().at(-1)}`));
  // A writer's line after the watcher's keys: once it is on the screen, the watcher's would have been too.
  const room = server.app.rooms.get(created.id)!;
  const writer = await joinMember(server.url, created.id, { token: created.writeToken, name: 'typist' });
  t.after(() => writer.close());
  writer.socket.emit('term:input', 'echo WRITER-$((2*2))\r');
  await waitFor(async () => (await mirrorText(server, created.id)).includes('WRITER-4'), 'the writer\'s line ran', DRAW_TIMEOUT_MS);
  assert.ok(!(await mirrorText(server, created.id)).includes('VIEWER-KEYS'), 'the watcher\'s keys reached nobody');
  await waitFor(() => tmux.lines().some((line) => line.includes('WRITER-4')), 'the watcher sees it', DRAW_TIMEOUT_MS);

  tmux.sendKeys(['C-c']);
  await waitFor(() => tmux.exitStatus() !== undefined, 'attach ended', DRAW_TIMEOUT_MS);
  assert.equal(tmux.exitStatus(), 0);
  assert.equal(tmux.format('#{alternate_on}'), '0', 'the alternate screen was left');
  assert.equal(room.exited, undefined, 'the room goes on');
});

test('an owner attached in tmux sizes the room to its window less the status line, and follows a resize', { skip: TMUX_MISSING }, async (t) => {
  const server = await withServer(t);
  const created = await server.createRoom({ cols: 80, rows: 24 });
  const tmux = startTmux(t, 100, 30, attachCommand(created.ownerUrl));
  const room = server.app.rooms.get(created.id)!;
  await waitFor(() => room.cols === 100 && room.rows === 29, 'the room takes the window\'s size', DRAW_TIMEOUT_MS);
  tmux.resize(70, 20);
  await waitFor(() => room.cols === 70 && room.rows === 19, 'the room follows the resize', DRAW_TIMEOUT_MS);
  tmux.sendKeys(['stty size', 'Enter']);
  await waitFor(async () => (await mirrorText(server, created.id)).includes('19 70'), 'the shell sees the new size', DRAW_TIMEOUT_MS);
  await waitFor(async () => (await paneMatchesMirror(server, tmux, created.id, created.ownerToken, { cols: 70, rows: 19 })).length === 0, 'the pane equals the mirror', DRAW_TIMEOUT_MS);
});

test('a network drop: attach reconnects and resumes; the pane ends exactly as the mirror, every line once', { skip: TMUX_MISSING }, async (t) => {
  const server = await withServer(t);
  const connections = new Set<Socket>();
  server.app.httpServer.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  const created = await server.createRoom({ cols: 60, rows: 30 });
  const tmux = startTmux(t, 60, 31, attachCommand(created.viewUrl));
  await waitFor(() => tmux.lines().at(-1)!.includes('watching'), 'attached', DRAW_TIMEOUT_MS);
  const room = server.app.rooms.get(created.id)!;
  // The program goes on printing while the connection is down; its own pauses, not the test's.
  const writer = await joinMember(server.url, created.id, { token: created.writeToken, name: 'typist' });
  t.after(() => writer.close());
  // Long enough that the drop and the reconnect fall inside it on any machine: output goes on meanwhile.
  writer.socket.emit('term:input', 'clear; for i in $(seq 1 24); do echo LINE-$i; sleep 0.4; done; echo LOOP-DONE\r');
  await waitFor(async () => (await mirrorText(server, created.id)).includes('LINE-3'), 'the loop runs', DRAW_TIMEOUT_MS);
  const dropped = connections.size;
  for (const socket of connections) socket.destroy();
  assert.ok(dropped > 0, 'a connection was dropped');
  await waitFor(() => tmux.lines().at(-1)!.includes('reconnecting'), 'attach says it is reconnecting', DRAW_TIMEOUT_MS);
  assert.ok(!(await mirrorText(server, created.id)).includes('LOOP-DONE'), 'the drop came while the program was still printing');
  await waitFor(async () => (await mirrorText(server, created.id)).includes('LOOP-DONE'), 'the loop ended', DRAW_TIMEOUT_MS);
  await waitFor(() => tmux.lines().some((line) => line === 'LOOP-DONE'), 'the pane shows the end', DRAW_TIMEOUT_MS);
  const lines = tmux.lines().filter((line) => /^LINE-\d+$/.test(line)).map((line) => Number(line.slice(5)));
  assert.deepEqual(lines, Array.from({ length: 24 }, (_, i) => i + 1), 'every line once, in order');
  assert.deepEqual(await paneMatchesMirror(server, tmux, created.id, created.ownerToken, { cols: 60, rows: 30 }), []);
});

test('a watcher whose window is smaller than the room is told so on the status line, and sees the grid cut, not rewrapped', { skip: TMUX_MISSING }, async (t) => {
  const server = await withServer(t);
  const created = await server.createRoom({ cols: 80, rows: 24 });
  const writer = await joinMember(server.url, created.id, { token: created.writeToken, name: 'typist' });
  t.after(() => writer.close());
  writer.socket.emit('term:input', `clear; printf '%s\\n' ${'A'.repeat(70)}B\r`);
  await waitFor(async () => (await mirrorText(server, created.id)).includes('AB'), 'the long line is on the screen', DRAW_TIMEOUT_MS);
  const tmux = startTmux(t, 50, 12, attachCommand(created.viewUrl));
  await waitFor(() => /window 50×12 < room 80×24: enlarge it/.test(tmux.lines().at(-1) ?? ''), 'the status line says the window is too small', DRAW_TIMEOUT_MS)
    .catch((error: unknown) => assert.fail(`${String(error)}; the status line: ${tmux.lines().at(-1)}`));
  const mirrorLines = (await mirrorText(server, created.id)).split('\n');
  const row = mirrorLines.findIndex((line) => line.startsWith('AAAA'));
  await waitFor(() => tmux.lines()[row]?.startsWith('A') === true, 'the room is drawn', DRAW_TIMEOUT_MS);
  assert.equal(tmux.lines()[row], 'A'.repeat(50), 'the row is cut at the window\'s edge, never wrapped onto the next');
  assert.notEqual(tmux.lines()[row + 1]?.startsWith('A'), true);
});
