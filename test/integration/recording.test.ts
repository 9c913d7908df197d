// Recording (issue 12; TESTPLAN J3, J6) over a real pty and real sockets: a recording replays to the mirror's
// screen cell by cell, names who typed each input (and holds no input unless asked to), holds nothing from behind
// the curtain, reaches the disk within one flush interval, stops at its size cap, and parses after a kill -9.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { idOf } from '../helpers/collab.js';
import { joinMember, type Member } from '../helpers/member.js';
import { diffTerminals, makeTerminal, writeAsync } from '../helpers/screens.js';
import pty from 'node-pty';
import { ManualClock } from '../helpers/manualClock.js';
import { waitFor } from '../helpers/wait.js';
import { attributedInput, markers, parseCast, readCast, replayCast } from '../helpers/asciicast.js';
import { createRoomAt, startServerProcess, TEST_SHELL_LINE, type ServerProcess } from '../helpers/serverProcess.js';
import { killIfRunning, pidsRunningAs } from '../helpers/processes.js';
import { DEFAULT_RECORDING_SETTINGS } from '../../server/recording/recordings.js';
import { RecordingLimits } from '../../server/recording/recorder.js';
import { RetentionTiming } from '../../server/store/retention.js';
import type { Room } from '../../server/rooms/room.js';

/** startServer's scrollback: the replay terminal keeps as many lines, so whole buffers compare. */
const SCROLLBACK = 1000;

/** Runs `command` in the shell and waits until `member` saw `done` (a word only the command's output holds). */
async function run(member: Member, command: string, done: string): Promise<void> {
  member.socket.emit('term:input', `${command}\r`);
  await waitFor(() => member.outputText().includes(done), `"${done}" from ${JSON.stringify(command)}`, 20_000);
}

function roomOf(server: TestServer, id: string): Room {
  const room = server.app.rooms.get(id);
  assert.ok(room);
  return room;
}

/** The recording with everything so far on disk, parsed strictly. */
function recordingOf(server: TestServer, id: string): ReturnType<typeof parseCast> {
  const file = server.app.recordings.fileOf(id);
  assert.ok(file, 'the room has a recording');
  return readCast(file);
}

async function assertReplaysToMirror(server: TestServer, id: string): Promise<void> {
  const mirror = await roomOf(server, id).mirrorScreen();
  const replayed = await replayCast(recordingOf(server, id), SCROLLBACK);
  assert.deepEqual(diffTerminals(mirror, replayed), [], 'the recording replays to the mirror\'s screen, cell by cell');
}

test('round trip: colours, CJK and emoji, resizes and the alternate screen replay to the mirror\'s screen; the owner downloads it', async (t) => {
  const server = await startServer({ scrollback: SCROLLBACK });
  t.after(() => server.close());
  const room = await server.createRoom({ name: 'demo' });
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  t.after(() => owner.close());

  await run(owner, "printf '\\e[1;31mred\\e[0m \\e[4;42mgreen\\e[0m \\e[38;5;208mamber\\e[0m %s\\n' C-$((1+1))", 'C-2');
  await run(owner, "printf '漢字 かな 😀 👩‍💻 e\\xcc\\x81 %s\\n' W-$((2+2))", 'W-4');
  owner.socket.emit('term:resize', { cols: 100, rows: 30 });
  await run(owner, 'seq 1 60; echo S-$((3+3))', 'S-6');
  await run(owner, "tput smcup; printf '\\e[3;7H\\e[7malt 字\\e[0m'; echo A-$((4+4))", 'A-8');
  owner.socket.emit('term:resize', { cols: 72, rows: 20 });
  await run(owner, "printf '\\e[5;2Hstill alt'; echo R-$((5+5))", 'R-10');
  await assertReplaysToMirror(server, room.id);

  const cast = recordingOf(server, room.id);
  assert.deepEqual([cast.header.width, cast.header.height, cast.header.title], [80, 24, 'demo']);
  assert.deepEqual(cast.events.filter((e) => e.code === 'r').map((e) => e.data), ['100x30', '72x20']);
  assert.ok(markers(cast).some((label) => label === `joined: lead (owner) [${idOf(owner)}]`), 'the join is a marker');
  assert.equal(cast.events.filter((e) => e.code === 'i').length, 0, 'no input without --record-input');
  assert.equal(statSync(server.app.recordings.fileOf(room.id)!).mode & 0o777, 0o600, 'the file is the server user\'s alone');
  const bytes = readFileSync(server.app.recordings.fileOf(room.id)!, 'utf8');
  for (const secret of [room.ownerToken, room.writeToken]) assert.equal(bytes.includes(secret), false, 'J6: no token in the recording');

  const download = (token?: string) => fetch(`${server.url}/api/rooms/${room.id}/recording`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const response = await download(room.ownerToken);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/x-asciicast/);
  assert.deepEqual(parseCast(await response.text()).events.length, recordingOf(server, room.id).events.length);
  assert.equal((await download()).status, 404, 'not for anyone with the room id');
  assert.equal((await download(room.writeToken)).status, 404, 'not for a writer link either');
});

/** Debian's asciinema (2.x) when installed; CI installs it (.ci/run), elsewhere the test below is skipped without it. */
function asciinemaCli(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v asciinema'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

test('asciinema\'s own CLI plays the recording (asciinema cat) to the mirror\'s screen', { skip: !asciinemaCli() && !process.env.CI && 'asciinema is not installed (apt-get install asciinema)' }, async (t) => {
  const cli = asciinemaCli();
  assert.ok(cli, 'asciinema is installed');
  const server = await startServer({ scrollback: SCROLLBACK });
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  t.after(() => owner.close());
  // asciinema cat writes the output events and nothing else, so no resizes here (the round trip above has them).
  await run(owner, "printf '\\e[1;35mmagenta\\e[0m 漢字 😀 %s\\n' P-$((1+1)); seq 1 40", 'P-2');
  await run(owner, "tput smcup; printf '\\e[4;4Halt screen'; echo Q-$((2+1))", 'Q-3');
  const file = server.app.recordings.fileOf(room.id)!;
  // It needs a terminal of its own (it opens /dev/tty): a pty of the recording's size, whose output is what it played.
  const player = pty.spawn(cli, ['cat', file], { cols: 80, rows: 24, env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string> });
  let played = '';
  player.onData((data) => {
    played += data;
  });
  const code = await new Promise<number>((resolve) => player.onExit(({ exitCode }) => resolve(exitCode)));
  assert.equal(code, 0, `asciinema cat failed: ${played.slice(0, 300)}`);
  const terminal = makeTerminal(80, 24, SCROLLBACK);
  await writeAsync(terminal, played);
  assert.deepEqual(diffTerminals(await roomOf(server, room.id).mirrorScreen(), terminal), []);
});

test('the operator may open recordings to members; the owner may turn recording off, which pauses it until turned on again', async (t) => {
  const server = await startServer({ scrollback: SCROLLBACK, recording: { ...DEFAULT_RECORDING_SETTINGS, openToMembers: true } });
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  t.after(() => owner.close());
  assert.equal(owner.of('room:settings')[0]!.record, true, 'every member is told the room is recorded');
  const viewerDownload = await fetch(`${server.url}/api/rooms/${room.id}/recording`);
  assert.equal(viewerDownload.status, 200, 'a viewer of a public room may download it');

  owner.socket.emit('room:settings', { record: false });
  await waitFor(() => owner.of('room:settings').some((s) => !s.record), 'recording off');
  await run(owner, 'echo OFF-$((1+2))', 'OFF-3');
  owner.socket.emit('room:settings', { record: true });
  await waitFor(() => owner.of('room:settings').at(-1)!.record, 'recording on again');
  await run(owner, 'echo ON-$((2+2))', 'ON-4');
  await waitFor(() => recordingOf(server, room.id).events.some((e) => e.code === 'o' && e.data.includes('ON-4')), 'the output after it');
  const cast = recordingOf(server, room.id);
  assert.deepEqual(markers(cast).filter((m) => m.startsWith('recording')), ['recording paused by the owner', 'recording resumed by the owner']);
  const paused = cast.events.findIndex((e) => e.data === 'recording paused by the owner');
  const resumed = cast.events.findIndex((e) => e.data === 'recording resumed by the owner');
  assert.ok(!cast.events.slice(paused, resumed).some((e) => e.code === 'o'), 'nothing recorded while off');
  // The screen shows the command typed while off, so the snapshot after resuming does too: what matters is the replay.
  await assertReplaysToMirror(server, room.id);
});

test('attribution: two writers type in turn and each input names who typed it; without --record-input there is none', async (t) => {
  for (const recordInput of [true, false]) {
    const server = await startServer({ recording: { ...DEFAULT_RECORDING_SETTINGS, input: recordInput, chat: true } });
    t.after(() => server.close());
    const room = await server.createRoom();
    const owner = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
    const ada = await joinMember(server.url, room.id, { token: room.writeToken, name: 'ada' });
    const bob = await joinMember(server.url, room.id, { name: 'bob' });
    t.after(() => [owner, ada, bob].forEach((m) => m.close()));
    owner.socket.emit('member:role', { memberId: idOf(bob), role: 'writer' });
    await waitFor(() => bob.roles.includes('writer'), 'bob given the keyboard');

    await run(ada, 'echo one-$((0+1))', 'one-1');
    await run(bob, 'echo two-$((1+1))', 'two-2');
    await run(ada, 'echo three-$((1+2))', 'three-3');
    ada.socket.emit('chat:send', 'deploying now');
    await waitFor(() => owner.of('chat:message').length === 1, 'the chat line');
    const cast = recordingOf(server, room.id);
    const input = attributedInput(cast);
    if (recordInput) {
      const typed = (memberId: string) => input.filter((i) => i.memberId === memberId).map((i) => i.data).join('');
      assert.equal(typed(idOf(ada)), 'echo one-$((0+1))\recho three-$((1+2))\r', 'ada\'s input, under her name');
      assert.equal(typed(idOf(bob)), 'echo two-$((1+1))\r', 'bob\'s, under his');
      assert.ok(input.every((i) => i.memberId !== undefined), 'every input names a member');
      assert.deepEqual(markers(cast).filter((m) => m.startsWith('typing:')), [`typing: ada [${idOf(ada)}]`, `typing: bob [${idOf(bob)}]`, `typing: ada [${idOf(ada)}]`]);
    } else {
      assert.equal(cast.events.filter((e) => e.code === 'i').length, 0, 'no input events at all');
      assert.ok(!markers(cast).some((m) => m.startsWith('typing:')));
    }
    assert.ok(markers(cast).includes(`role: bob is now writer [${idOf(bob)}]`), 'who got the keyboard');
    assert.ok(markers(cast).includes(`chat: ada [${idOf(ada)}]: deploying now`), 'chat lines with --record-chat');
  }
});

test('J3: the recording holds a gap marker and none of the output, nor the input, behind the curtain', async (t) => {
  const server = await startServer({ scrollback: SCROLLBACK, recording: { ...DEFAULT_RECORDING_SETTINGS, input: true } });
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  const viewer = await joinMember(server.url, room.id);
  t.after(() => [owner, viewer].forEach((m) => m.close()));
  await run(owner, 'echo BEFORE-$((1+1))', 'BEFORE-2');

  owner.socket.emit('room:curtain', { down: true });
  await waitFor(() => viewer.of('room:curtain').length === 1, 'the curtain down');
  // The input holds no marker (printf assembles it), so only a recorded output could; the typed word is the input's.
  await run(owner, "printf 'CUR%sTAIN\\n' X; : hunter2", 'CURXTAIN');
  owner.socket.emit('room:curtain', { down: false, clear: true });
  await waitFor(() => viewer.of('room:curtain').some((c) => !c.down) && viewer.snapshots === 2, 'the lift and a fresh screen');
  await run(owner, 'echo AFTER-$((2+2))', 'AFTER-4');
  await waitFor(() => recordingOf(server, room.id).events.some((e) => e.data.includes('AFTER-4')), 'the output after the lift');

  const text = readFileSync(server.app.recordings.fileOf(room.id)!, 'utf8');
  assert.ok(text.includes('BEFORE-2') && text.includes('AFTER-4'), 'output before and after is there (so the check below can fail)');
  assert.equal(text.includes('CURXTAIN'), false, 'no output from behind the curtain');
  assert.equal(text.includes('hunter2'), false, 'no input typed behind the curtain');
  const labels = markers(parseCast(text));
  assert.ok(labels.indexOf('curtain lowered') < labels.indexOf('curtain lifted') && labels.includes('curtain lowered'), 'the gap is marked');
  await assertReplaysToMirror(server, room.id);
});

test('flush: output reaches the file within one flush interval on the room\'s clock', async (t) => {
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { clock });
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  t.after(() => owner.close());
  const path = join(server.dataDir, 'recordings', `${room.id}.cast`);
  await run(owner, 'echo READY-$((0+1))', 'READY-1');
  // Everything so far is flushed, and the clock stands still from here: whatever is buffered next was buffered now.
  clock.advance(10 * RecordingLimits.FlushIntervalMs);
  await run(owner, 'echo FLUSH-$((2+3))', 'FLUSH-5');
  // The member has it, so the recorder was handed it in the same turn (it is a local feed of the same stream).
  clock.advance(RecordingLimits.FlushIntervalMs - 1);
  assert.equal(readFileSync(path, 'utf8').includes('FLUSH-5'), false, 'buffered until the flush is due (so the check below can fail)');
  clock.advance(1);
  assert.ok(readFileSync(path, 'utf8').includes('FLUSH-5'), 'on disk one flush interval later');
  parseCast(readFileSync(path, 'utf8'));
});

test('size cap: a marker where it was reached, nothing more but the exit, and the file stays near the cap', async (t) => {
  const maxBytes = 64 * 1024;
  const server = await startServer({ recording: { ...DEFAULT_RECORDING_SETTINGS, maxBytes } });
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  t.after(() => owner.close());
  await run(owner, "head -c 300000 /dev/zero | tr '\\0' a; echo; echo CAP-$((1+1))", 'CAP-2');
  owner.socket.emit('term:input', 'exit 3\r');
  await waitFor(() => owner.exits.length === 1, 'the exit');
  const file = server.app.recordings.fileOf(room.id)!;
  const cast = readCast(file);
  const capAt = cast.events.findIndex((e) => e.code === 'm' && e.data.startsWith('recording size cap reached'));
  assert.ok(capAt > 0, 'the cap marker');
  assert.deepEqual(cast.events.slice(capAt + 1).map((e) => e.data), ['exited: 3 (exited)'], 'only the exit after it');
  assert.ok(statSync(file).size <= maxBytes + 256, `the file (${statSync(file).size} bytes) stays within the cap and two short markers`);
});

test('kill -9 of the server mid-session: the recording parses up to its last flush, after a restart too', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-rec-kill-'));
  const args = ['serve', '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE];
  const servers: ServerProcess[] = [];
  const members: Member[] = [];
  try {
    const first = await startServerProcess(args);
    servers.push(first);
    const created = await createRoomAt(first.url);
    const member = await joinMember(first.url, created.id, { token: created.writeToken });
    members.push(member);
    const path = join(dataDir, 'recordings', `${created.id}.cast`);
    await run(member, 'echo KEPT-$((3+4))', 'KEPT-7');
    // The server flushes at least every second on its own clock; polled with a generous deadline.
    await waitFor(() => existsSync(path) && readFileSync(path, 'utf8').includes('KEPT-7'), 'the output on disk', 20_000);
    // Output keeps coming while the server is killed.
    member.socket.emit('term:input', 'while :; do echo tick; sleep 0.01; done\r');
    await waitFor(() => member.outputText().includes('tick\r\ntick'), 'the ticking');
    first.child.kill('SIGKILL');
    await first.exited;
    const cast = readCast(path);
    assert.ok(cast.events.some((e) => e.code === 'o' && e.data.includes('KEPT-7')), 'what was flushed is there, and the file parses');

    const second = await startServerProcess(args);
    servers.push(second);
    assert.ok(readCast(path).events.length >= cast.events.length, 'a restart leaves the recording as it was');
    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  } finally {
    for (const member of members) member.close();
    for (const server of servers) server.stop();
    killIfRunning(pidsRunningAs(['sleep', '0.01']).map((pid) => ({ pid, argv: ['sleep', '0.01'] })));
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the store indexes each recording (size, flags when it ends), and retention deletes the file with its room\'s record', async (t) => {
  const clock = new ManualClock();
  const server = await startServer({ retentionDays: 1, recording: { ...DEFAULT_RECORDING_SETTINGS, input: true } }, process.env, { clock });
  t.after(() => server.close());
  const room = await server.createRoom();
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken });
  t.after(() => owner.close());
  await run(owner, 'echo KEEP-$((1+1))', 'KEEP-2');
  const path = server.app.recordings.fileOf(room.id)!;
  assert.deepEqual(server.app.store.recordings(room.id).map((r) => [r.path, r.endedAt, r.flags]), [[path, undefined, 'input']], 'indexed while it is written');
  owner.socket.emit('term:input', 'exit 4\r');
  await waitFor(() => owner.exits.length === 1, 'the exit');
  await waitFor(() => server.app.store.room(room.id)?.closedAt !== undefined, 'the room closed in the record');
  const [row] = server.app.store.recordings(room.id);
  assert.deepEqual([row!.flags, row!.size, row!.endedAt !== undefined], ['input,exited', statSync(path).size, true]);
  assert.ok(markers(readCast(path)).includes('exited: 4 (exited)'));

  clock.advance(RetentionTiming.DayMs + RetentionTiming.SweepIntervalMs);
  assert.deepEqual(server.app.store.recordings(room.id), [], 'the index row went');
  assert.equal(existsSync(path), false, 'and the file with it');
});
