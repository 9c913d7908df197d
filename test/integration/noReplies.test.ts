// D3, D4: output that asks a terminal to report something program-controlled (the window title after a
// title holding a command, DECRQSS with a newline, the clipboard) puts nothing into the PTY's input, with a
// writer and three viewers attached. Only the mirror's fixed "invalid request" answer to DECRQSS comes back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';

const PROBE = fileURLToPath(new URL('../fixtures/replyProbe.mjs', import.meta.url));
/** A line the probe prints once it has listened for replies: `PROBE received=<hex> fences=<n>`. */
const PROBE_LINE = /PROBE received=([0-9a-f]*) fences=(\d+)/;
/** Bound on the whole exchange; it takes well under a second here. */
const PROBE_WAIT_MS = 15_000;
const VIEWERS = 3;

const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

test('title reports, DECRQSS with a newline and OSC 52 put nothing program-chosen into the PTY', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ttyroom-replies-'));
  const payloadFile = join(scratch, 'payload');
  const marker = join(scratch, 'pwned');
  const command = `touch ${marker}`;
  writeFileSync(payloadFile, [
    // A title (OSC 2 and OSC 0, the icon label OSC 1 too) holding a newline and a command, then every
    // window report xterm knows, the title and icon label reports (CSI 21/20 t) first among them.
    `\x1b]2;x\n${command}\n\x07`,
    `\x1b]0;x\r${command}\r\x07`,
    `\x1b]1;x\n${command}\n\x07`,
    ...[21, 20, 11, 13, 14, 15, 16, 18, 19].map((ps) => `\x1b[${ps}t`),
    '\x1b[14;2t',
    // Window manipulation: resize to 10×10 cells, move, iconify, push and pop the title, report it again.
    '\x1b[8;10;10t\x1b[3;0;0t\x1b[2t\x1b[22;0t\x1b[23;0t\x1b[21t',
    // DECRQSS whose "setting" is a newline and a command.
    `\x1bP$q\n${command}\n\x1b\\`,
    // OSC 52: set the clipboard, then ask for it (BEL and ST forms).
    `\x1b]52;c;${Buffer.from(`${command}\n`).toString('base64')}\x07`,
    '\x1b]52;c;?\x07',
    '\x1b]52;p;?\x1b\\',
    // Colour queries: a browser could answer these; nobody may.
    '\x1b]10;?\x07\x1b]11;?\x07\x1b]4;1;?\x07',
  ].join(''));
  const server = await startServer({ command: [process.execPath, PROBE, payloadFile] });
  const members: Member[] = [];
  try {
    const created = await server.createRoom({ cols: 80, rows: 24 });
    const room = server.app.rooms.get(created.id)!;
    members.push(await joinMember(server.url, created.id, { token: created.writeToken }));
    for (let i = 0; i < VIEWERS; i++) members.push(await joinMember(server.url, created.id));
    members[0]!.socket.emit('term:input', 'g');
    await waitFor(async () => PROBE_LINE.test((await room.screenText())), 'the probe to report what it read', PROBE_WAIT_MS);
    const [, received, fences] = PROBE_LINE.exec((await room.screenText()))!;

    assert.equal(received, hex('\x1bP0$r\x1b\\'), 'only DECRQSS\'s fixed "invalid request" answer came back, nothing of the request in it');
    assert.equal(Number(fences), 1, 'the fence was answered once');
    assert.equal(existsSync(marker), false, 'no command ran');
    assert.deepEqual([room.cols, room.rows], [80, 24], 'the window manipulation changed nothing');
    for (const member of members) {
      assert.ok(member.outputText().includes('\x1b]52;c;?\x07'), 'every member got the stream, OSC 52 query included');
      assert.deepEqual(member.violations, []);
    }
  } finally {
    for (const member of members) member.close();
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});
