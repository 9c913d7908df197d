// File transfer (issue 14; TESTPLAN J9) with real lrzsz on a real pty, real sockets and zmodem.js as the member's
// side: sz and rz move files byte-identical to and from the current writer only; no byte of them reaches a viewer,
// the mirror, a snapshot or the recording; the screen is clean afterwards; cancels and the cap leave a usable shell.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinerFor, type Member } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';
import { storedAuditEvents } from '../helpers/audit.js';
import { lrzszMissing, markedFile, TransferSide, uploadFile } from '../helpers/transfer.js';
import type { Room } from '../../server/rooms/room.js';

const skip = lrzszMissing();
const FIVE_MB = 5 * 1024 * 1024;
/** A transfer of 5 MB through a pty on a loaded two-core machine: generous, the test waits on events. */
const TRANSFER_DEADLINE_MS = 60_000;

function roomOf(server: TestServer, id: string): Room {
  const room = server.app.rooms.get(id);
  assert.ok(room);
  return room;
}

/** Types a command whose output (not its echo) is `marker-N`, and waits until the mirror's screen shows it. */
async function runAndSee(server: TestServer, roomId: string, writer: Member, marker: string): Promise<string> {
  writer.socket.emit('term:input', `echo ${marker}-$((40+2))\r`);
  const room = roomOf(server, roomId);
  let screen = '';
  await waitFor(async () => {
    screen = await room.screenText();
    return screen.includes(`${marker}-42`);
  }, `${marker} on the mirror's screen`, 20_000);
  return screen;
}

/** A screen with only printable ASCII: no ZMODEM bytes (which decode to control or replacement characters). */
function assertCleanScreen(screen: string): void {
  const stray = [...screen].filter((char) => char !== '\n' && (char < ' ' || char > '~'));
  assert.deepEqual(stray, [], `the screen holds no transfer bytes:\n${screen}`);
  assert.doesNotMatch(screen, /\*\*B0/, 'no ZMODEM header text on the screen');
}

test('sz: a 5 MB random file reaches the writer byte-identical; a viewer, the mirror, snapshots and the recording get none of it', { skip }, async (t) => {
  const server = await startServer();
  const joiner = joinerFor(t, server);
  const room = await server.createRoom();
  const marker = `SECRET-${Date.now().toString(36)}-FILE`;
  const file = markedFile(FIVE_MB, marker);
  writeFileSync(join(server.dataDir, 'big.bin'), file);

  const writer = await joiner(server.url, room.id, { token: room.writeToken, name: 'ada', extra: { transfers: true } });
  const viewer = await joiner(server.url, room.id, { name: 'bob', extra: { transfers: true } });
  const side = new TransferSide(writer);
  t.after(() => side.dispose());

  writer.socket.emit('term:input', 'sz big.bin\r');
  await waitFor(() => side.ends.length > 0, 'the transfer to end', TRANSFER_DEADLINE_MS);
  assert.deepEqual(side.ends.map((end) => end.outcome), ['completed']);
  assert.deepEqual(side.starts.map((start) => start.direction), ['download']);
  assert.deepEqual(side.offers, [{ name: 'big.bin', size: FIVE_MB }]);
  const got = side.received.get('big.bin');
  assert.ok(got, 'the file arrived');
  assert.equal(got.length, file.length);
  assert.ok(got.equals(file), 'byte-identical');
  assert.ok(side.dataBytes > FIVE_MB, 'the writer got the ZMODEM stream');

  const screen = await runAndSee(server, room.id, writer, 'after');
  assertCleanScreen(screen);
  // The prompt came back after the transfer (over sz's "rz\r", as on any terminal) and a later command ran under it.
  assert.match(screen.trimEnd(), /^\S+[$#] sz big\.bin\n\S+[$#] echo after-\$\(\(40\+2\)\)\nafter-42\n\S+[$#]$/);

  await viewer.barrier();
  assert.deepEqual(viewer.of('transfer:data'), [], 'the viewer received no transfer bytes');
  assert.deepEqual(viewer.of('transfer:start'), []);
  assert.deepEqual(viewer.of('room:transfer').map((state) => state.active), [true, false], 'the viewer was told a transfer ran, then ended');
  assert.equal(viewer.received().includes(marker), false, 'no byte of the file in anything the viewer received');
  assert.equal(writer.outputText().includes(marker), false, 'nor in the terminal stream the writer received');
  const late = await joiner(server.url, room.id, { name: 'late' });
  assert.equal(late.received().includes(marker), false, 'nor in a late joiner\'s snapshot');
  const ansi = await fetch(`${server.url}/api/rooms/${room.id}/screen?format=ansi`).then((response) => response.text());
  assert.equal(ansi.includes(marker), false, 'nor in the mirror\'s serialized screen');
  const recording = server.app.recordings.fileOf(room.id);
  assert.ok(recording, 'the room is recorded');
  assert.equal(readFileSync(recording, 'latin1').includes(marker), false, 'nor in the recording');

  const audit = storedAuditEvents(server.dataDir).filter((event) => event.event.startsWith('transfer.'));
  assert.deepEqual(audit.map((event) => [event.event, event.actor, event.detail?.direction, event.detail?.outcome]), [
    ['transfer.started', writer.reply.ok ? writer.reply.memberId : '', 'download', undefined],
    ['transfer.ended', writer.reply.ok ? writer.reply.memberId : '', 'download', 'completed'],
  ]);
  assert.ok(Number(audit[1]!.detail!.bytes) > FIVE_MB, 'the bytes carried are on record');
  assert.equal(JSON.stringify(audit).includes('big.bin'), false, 'no file name in the audit');
});

test('rz: a file the writer picks arrives byte-identical; typing is refused while it runs; the shell works after', { skip }, async (t) => {
  const server = await startServer();
  const joiner = joinerFor(t, server);
  const room = await server.createRoom();
  const upload = markedFile(2 * 1024 * 1024 + 17, 'UPLOAD-MARKER');
  let release!: () => void;
  const picked = new Promise<void>((resolve) => {
    release = resolve;
  });
  const writer = await joiner(server.url, room.id, { token: room.ownerToken, name: 'ada', extra: { transfers: true } });
  const side = new TransferSide(writer, {
    files: async () => {
      await picked;
      return [uploadFile('up.bin', upload)];
    },
  });
  t.after(() => side.dispose());

  writer.socket.emit('term:input', 'rz\r');
  await waitFor(() => side.starts.length > 0, 'the upload to be offered');
  assert.equal(side.starts[0]!.direction, 'upload');
  writer.socket.emit('term:input', 'echo typed\r');
  await waitFor(() => writer.errors.some((error) => error.code === 'transfer-busy'), 'typing refused during the transfer');
  release();
  await waitFor(() => side.ends.length > 0, 'the upload to end', TRANSFER_DEADLINE_MS);
  assert.deepEqual(side.ends.map((end) => end.outcome), ['completed']);
  await waitFor(() => {
    try {
      return readFileSync(join(server.dataDir, 'up.bin')).length === upload.length;
    } catch {
      return false;
    }
  }, 'rz to write the file');
  assert.ok(readFileSync(join(server.dataDir, 'up.bin')).equals(upload), 'byte-identical');
  const screen = await runAndSee(server, room.id, writer, 'up');
  assertCleanScreen(screen);
  assert.equal(screen.includes('typed'), false, 'the refused keystrokes never reached the shell');
});

test('cancel from the member mid-download: sz stops, nothing more reaches anyone, the shell works', { skip }, async (t) => {
  const server = await startServer();
  const joiner = joinerFor(t, server);
  const room = await server.createRoom();
  writeFileSync(join(server.dataDir, 'big.bin'), markedFile(FIVE_MB, 'CANCEL-MARKER'));
  const writer = await joiner(server.url, room.id, { token: room.writeToken, name: 'ada', extra: { transfers: true } });
  const side = new TransferSide(writer, { onProgress: (progress, self) => {
    if (progress.done > 256 * 1024) self.transfers.cancel();
  } });
  t.after(() => side.dispose());

  writer.socket.emit('term:input', 'sz big.bin\r');
  await waitFor(() => side.ends.length > 0, 'the transfer to end', TRANSFER_DEADLINE_MS);
  assert.deepEqual(side.ends.map((end) => [end.outcome, end.reason]), [['cancelled', 'member']]);
  assert.equal(side.received.size, 0, 'no file was completed');
  await runAndSee(server, room.id, writer, 'usable');
  const audit = storedAuditEvents(server.dataDir).filter((event) => event.event === 'transfer.ended');
  assert.deepEqual(audit.map((event) => [event.detail?.outcome, event.detail?.reason]), [['cancelled', 'member']]);
});

test('a member whose connection drops mid-transfer: its side ends the transfer itself (the server\'s transfer:end cannot reach it), and the server cancels it', { skip }, async (t) => {
  const server = await startServer();
  const joiner = joinerFor(t, server);
  const room = await server.createRoom();
  writeFileSync(join(server.dataDir, 'big.bin'), markedFile(FIVE_MB, 'DROP-MARKER'));
  const writer = await joiner(server.url, room.id, { token: room.writeToken, name: 'ada', extra: { transfers: true } });
  // The offer is never answered: the connection drops while the member decides.
  const side = new TransferSide(writer, { answer: () => new Promise<boolean>(() => undefined) });
  t.after(() => side.dispose());

  writer.socket.emit('term:input', 'sz big.bin\r');
  await waitFor(() => side.offers.length > 0, 'sz\'s offer', TRANSFER_DEADLINE_MS);
  assert.equal(side.transfers.running, true);
  writer.socket.disconnect();
  assert.deepEqual(side.ends.map((end) => [end.outcome, end.reason]), [['cancelled', 'left']], 'ended on the member\'s side at once');
  assert.equal(side.transfers.running, false, 'a later transfer would be taken');
  await waitFor(() => storedAuditEvents(server.dataDir).some((event) => event.event === 'transfer.ended'), 'the server to end the transfer', TRANSFER_DEADLINE_MS);
  const audit = storedAuditEvents(server.dataDir).filter((event) => event.event === 'transfer.ended');
  assert.deepEqual(audit.map((event) => [event.detail?.outcome, event.detail?.reason]), [['cancelled', 'left']]);
});

test('cancel from the program: a sender that answers with the cancel sequence ends the transfer; what it prints after is shown', { skip }, async (t) => {
  const server = await startServer();
  const joiner = joinerFor(t, server);
  const room = await server.createRoom();
  // A scripted sender, as lrzsz's canit() does it: ZRQINIT, read the receiver's answer, then ten CAN and ten BS.
  writeFileSync(join(server.dataDir, 'cancelling-sender.sh'), [
    'stty -echo',
    "printf 'rz\\r**\\030B00000000000000\\r\\212\\021'",
    'read -r -t 5 answer',
    "printf '\\030\\030\\030\\030\\030\\030\\030\\030\\030\\030\\b\\b\\b\\b\\b\\b\\b\\b\\b\\bsender-gave-up\\r\\n'",
    'stty echo',
  ].join('\n'));
  const writer = await joiner(server.url, room.id, { token: room.writeToken, name: 'ada', extra: { transfers: true } });
  const side = new TransferSide(writer);
  t.after(() => side.dispose());
  writer.socket.emit('term:input', 'sh cancelling-sender.sh\r');
  await waitFor(() => side.ends.length > 0, 'the transfer to end', TRANSFER_DEADLINE_MS);
  assert.deepEqual(side.starts.map((start) => start.direction), ['download']);
  assert.deepEqual(side.ends.map((end) => [end.outcome, end.reason]), [['cancelled', 'program']]);
  const screen = await runAndSee(server, room.id, writer, 'after-program');
  assertCleanScreen(screen);
  assert.match(screen, /^sender-gave-up$/m, 'what the program printed after its cancel is shown, without the CAN and BS');
});

test('the cap: a download past --transfer-max-bytes is cancelled, the writer told why, the shell works', { skip }, async (t) => {
  const server = await startServer({ transferMaxBytes: 1024 * 1024 });
  const joiner = joinerFor(t, server);
  const room = await server.createRoom();
  writeFileSync(join(server.dataDir, 'big.bin'), markedFile(3 * 1024 * 1024, 'CAP-MARKER'));
  const writer = await joiner(server.url, room.id, { token: room.writeToken, name: 'ada', extra: { transfers: true } });
  const side = new TransferSide(writer);
  t.after(() => side.dispose());

  writer.socket.emit('term:input', 'sz big.bin\r');
  await waitFor(() => side.ends.length > 0, 'the transfer to end', TRANSFER_DEADLINE_MS);
  assert.deepEqual(side.ends.map((end) => [end.outcome, end.reason]), [['cancelled', 'too-large']]);
  assert.equal(side.starts[0]!.maxBytes, 1024 * 1024);
  assert.ok(side.dataBytes <= 1024 * 1024, `the member got at most the cap (${side.dataBytes} bytes)`);
  assert.equal(side.received.size, 0);
  await runAndSee(server, room.id, writer, 'capped');
});

test('nobody to take it: a writer whose client cannot transfer, or a viewer, never gets one; rz is cancelled and the room told', { skip }, async (t) => {
  const server = await startServer();
  const joiner = joinerFor(t, server);
  const room = await server.createRoom();
  // A terminal client (`ttyroom attach`) does not say it can transfer.
  const writer = await joiner(server.url, room.id, { token: room.writeToken, name: 'term' });
  const viewer = await joiner(server.url, room.id, { name: 'bob', extra: { transfers: true } });
  const viewerSide = new TransferSide(viewer);
  t.after(() => viewerSide.dispose());

  writer.socket.emit('term:input', 'rz\r');
  await waitFor(() => viewer.notices.some((notice) => notice.code === 'transfer-refused'), 'the room to be told');
  assert.ok(writer.notices.some((notice) => notice.code === 'transfer-refused'));
  await runAndSee(server, room.id, writer, 'refused');
  await viewer.barrier();
  assert.deepEqual(viewerSide.starts, [], 'the viewer was offered nothing');
  assert.deepEqual(viewer.of('transfer:data'), []);
  viewer.socket.emit('transfer:data', new Uint8Array([0x18, 0x18, 0x18, 0x18, 0x18]));
  viewer.socket.emit('transfer:cancel');
  await waitFor(() => viewer.errors.filter((error) => error.code === 'forbidden').length === 2, 'both refused');
  const audit = storedAuditEvents(server.dataDir).filter((event) => event.event.startsWith('transfer.'));
  assert.deepEqual(audit.map((event) => [event.event, event.detail?.direction, event.detail?.reason]), [['transfer.ended', 'upload', 'no-writer']]);
});
