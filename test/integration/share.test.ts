// `ttyroom share -- bash` in a real terminal (tmux): the presenter types in the pane and a member who joined with
// the printed viewer link sees it; the window sizes the room; the printed links are the API's; the owner link
// is kept off the screen in a file only its owner reads; the room ends, and share with it, when bash exits.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, TEST_SHELL_LINE } from '../helpers/serverProcess.js';
import { joinMember } from '../helpers/member.js';
import { shellQuote, Tmux, TMUX_MISSING } from '../helpers/tmux.js';
import { waitFor } from '../helpers/wait.js';
import type { RoomSummary } from '../../server/shared/events.js';

/** Generous: tmux, node and the shell all start and draw on a loaded machine. */
const DRAW_TIMEOUT_MS = 30_000;

async function roomsAt(url: string): Promise<RoomSummary[]> {
  const response = await fetch(`${url}/api/rooms`);
  assert.equal(response.status, 200);
  return (await response.json()) as RoomSummary[];
}

test('share -- bash in tmux: links, QR, the presenter\'s keys reach viewers, the window sizes the room, exit ends it', { skip: TMUX_MISSING }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-share-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const command = [process.execPath, BIN, 'share', '--port', '0', '--data-dir', dataDir, '--name', 'class demo', '--', ...TEST_SHELL_LINE.split(' ')].map(shellQuote).join(' ');
  const tmux = new Tmux(100, 40, command);
  t.after(() => tmux.close());

  // What share printed before it attached stays on the normal screen, under the room's alternate screen.
  let printed = '';
  await waitFor(() => {
    printed = tmux.savedScreen();
    return printed.includes('viewer link:') && tmux.format('#{alternate_on}') === '1';
  }, 'share printed its links and attached', DRAW_TIMEOUT_MS);
  const url = /^ttyroom listening on (http:\/\/\S+)$/m.exec(printed)![1]!;
  const viewerLink = /^viewer link: (\S+)$/m.exec(printed)![1]!;
  const writerLink = /^writer link: (\S+)$/m.exec(printed)![1]!;
  assert.match(printed, /^owner link: +in .*share-owner-link \(readable by you alone\)$/m, 'the owner link is not on the screen');
  assert.ok(printed.includes('\u2580'), 'a QR code of the viewer link is drawn');

  const [room] = await roomsAt(url);
  assert.ok(room, 'the server has the room');
  assert.equal(room.name, 'class demo');
  assert.equal(viewerLink, `${url}/r/${room.id}`, 'the viewer link is the room\'s');
  assert.ok(writerLink.startsWith(`${viewerLink}#token=`));
  assert.deepEqual([room.cols, room.rows], [100, 39], 'the window sizes the room, less the status line');

  const ownerFile = join(dataDir, 'share-owner-link');
  assert.equal(statSync(ownerFile).mode & 0o777, 0o600);
  const ownerLink = readFileSync(ownerFile, 'utf8').trim();
  assert.ok(ownerLink.startsWith(`${viewerLink}#token=`));

  const viewer = await joinMember(url, room.id, { name: 'student' });
  t.after(() => viewer.close());
  const writer = await joinMember(url, room.id, { token: new URL(writerLink).hash.slice('#token='.length), name: 'pair' });
  t.after(() => writer.close());
  assert.equal(writer.reply.ok && writer.reply.role, 'writer', 'the writer link gives the keyboard');

  tmux.sendKeys(['echo PRESENTER-$((6*7))', 'Enter']);
  await waitFor(() => viewer.outputText().includes('PRESENTER-42'), 'the viewer sees the presenter type', DRAW_TIMEOUT_MS);
  await waitFor(() => tmux.lines().some((line) => line === 'PRESENTER-42'), 'the presenter sees it too', DRAW_TIMEOUT_MS);
  assert.match(tmux.lines().at(-1)!, /owner/, 'the status line names the presenter\'s role');

  tmux.resize(90, 20);
  await waitFor(async () => {
    const [now] = await roomsAt(url);
    return now?.cols === 90 && now.rows === 19;
  }, 'the room follows the window', DRAW_TIMEOUT_MS);

  tmux.sendKeys(['exit 3', 'Enter']);
  await waitFor(() => tmux.exitStatus() !== undefined, 'share ended with the shell', DRAW_TIMEOUT_MS);
  assert.equal(tmux.exitStatus(), 3, 'attached, share exits with its command\'s status');
  await waitFor(() => viewer.exits.length > 0, 'the viewer was told', DRAW_TIMEOUT_MS);
  assert.equal(viewer.exits[0]!.exitCode, 3);
  assert.equal(tmux.format('#{alternate_on}'), '0', 'the terminal is back on its normal screen');
});

test('share --timeout: the presenter attached is nobody else; when nobody else comes, status 3 and the terminal given back', { skip: TMUX_MISSING }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-share-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const command = [process.execPath, BIN, 'share', '--port', '0', '--data-dir', dataDir, '--timeout', '2', '--no-qr', '--', ...TEST_SHELL_LINE.split(' ')].map(shellQuote).join(' ');
  const tmux = new Tmux(80, 24, command);
  t.after(() => tmux.close());
  await waitFor(() => tmux.exitStatus() !== undefined, 'share gave up waiting', DRAW_TIMEOUT_MS);
  assert.equal(tmux.exitStatus(), 3);
  assert.equal(tmux.format('#{alternate_on}'), '0', 'the terminal is back on its normal screen');
  assert.equal(tmux.format('#{cursor_flag}'), '1', 'with its cursor');
  assert.match(tmux.lines().join('\n'), /nobody joined within 2 s/);
});

test('share, attached, gets SIGTERM or SIGHUP: the room is closed, the terminal given back as stty found it, and nothing says the room goes on', { skip: TMUX_MISSING }, async (t) => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    await t.test(signal, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'ttyroom-share-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const marker = `share-signal-${process.pid}-${signal}`;
      const share = [process.execPath, BIN, 'share', '--port', '0', '--data-dir', join(dir, 'data'), '--name', marker, '--no-qr', '--', ...TEST_SHELL_LINE.split(' ')].map(shellQuote).join(' ');
      const script = `stty -a > ${shellQuote(join(dir, 'before'))}; ${share}; status=$?; stty -a > ${shellQuote(join(dir, 'after'))}; exit $status`;
      const tmux = new Tmux(80, 24, `bash --noprofile --norc -c ${shellQuote(script)}`);
      t.after(() => tmux.close());
      await waitFor(() => /owner/.test(tmux.lines().at(-1) ?? ''), 'share attached', DRAW_TIMEOUT_MS);
      // The room's program asks for modes the painter mirrors, so giving the terminal back must undo them.
      tmux.sendKeys(["printf '\\033[?1h\\033=\\033[?2004h\\033[?25l'", 'Enter']);
      await waitFor(() => tmux.format('#{keypad_flag}') === '1', 'the program\'s modes reached the pane', DRAW_TIMEOUT_MS);
      const pid = tmux.pidOf(marker);
      assert.ok(pid !== undefined, 'share is running');
      process.kill(pid, signal);
      await waitFor(() => tmux.exitStatus() !== undefined, 'share ended', DRAW_TIMEOUT_MS);
      assert.equal(tmux.exitStatus(), 0, 'a graceful stop, as serve\'s');
      assert.equal(readFileSync(join(dir, 'before'), 'utf8'), readFileSync(join(dir, 'after'), 'utf8'), 'stty -a is the same after as before');
      assert.equal(tmux.format('#{alternate_on}'), '0', 'back on the normal screen');
      assert.equal(tmux.format('#{cursor_flag}'), '1', 'the cursor is shown');
      assert.equal(tmux.format('#{keypad_flag}'), '0', 'keypad in normal mode');
      assert.equal(tmux.format('#{keypad_cursor_flag}'), '0', 'cursor keys in normal mode');
      const said = tmux.lines().join('\n');
      assert.match(said, new RegExp(`${signal} received`));
      assert.doesNotMatch(said, /goes on/, 'share closes its room; it does not go on');
    });
  }
});

test('share -- a command that ends at once: the presenter\'s terminal still gets the room\'s end, and share its status', { skip: TMUX_MISSING }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-share-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const command = [process.execPath, BIN, 'share', '--port', '0', '--data-dir', dataDir, '--no-qr', '--', 'sh', '-c', 'echo FAST; exit 5'].map(shellQuote).join(' ');
  const tmux = new Tmux(80, 24, command);
  t.after(() => tmux.close());
  await waitFor(() => tmux.exitStatus() !== undefined, 'share ended', DRAW_TIMEOUT_MS);
  assert.equal(tmux.exitStatus(), 5);
  assert.match(tmux.lines().join('\n'), /ttyroom: the room's program exited with status 5/, 'the attached terminal was told, not refused');
  assert.match(tmux.lines().join('\n'), /^FAST$/m, 'the room\'s last screen stays in the terminal after it ended');
  assert.equal(tmux.format('#{alternate_on}'), '0');
});
