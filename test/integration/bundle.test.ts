// The incident bundle over a real pty and real sockets: GET /api/rooms/:id/bundle (owner only, audited) and
// `ttyroom bundle` (a finished room, from the data folder) give a zip whose every part is checked after unzipping
// it, and none of which holds a token or a password typed at a no-echo prompt.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../helpers/server.js';
import { idOf } from '../helpers/collab.js';
import { joinMember, type Member } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';
import { api } from '../helpers/api.js';
import { markers, parseCast } from '../helpers/asciicast.js';
import { storedAuditEvents } from '../helpers/audit.js';
import { BIN } from '../helpers/serverProcess.js';
import { unzip } from '../helpers/zip.js';
import { DEFAULT_RECORDING_SETTINGS } from '../../server/recording/recordings.js';
import { BundleFiles } from '../../server/recording/bundle.js';

async function type(member: Member, input: string, done: string): Promise<void> {
  member.socket.emit('term:input', input);
  await waitFor(() => member.outputText().includes(done), `"${done}" after ${JSON.stringify(input)}`, 20_000);
}

async function download(url: string, token: string | undefined): Promise<{ status: number; type: string | null; disposition: string | null; body: Buffer }> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, type: response.headers.get('content-type'), disposition: response.headers.get('content-disposition'), body: Buffer.from(await response.arrayBuffer()) };
}

const text = (entries: Map<string, Buffer>, name: string): string => {
  const entry = entries.get(name);
  assert.ok(entry, `${name} is in the bundle`);
  return entry.toString('utf8');
};

/** No part of the bundle holds any of `secrets`. */
function assertNothingOf(entries: Map<string, Buffer>, secrets: readonly string[]): void {
  for (const [name, bytes] of entries) {
    for (const secret of secrets) assert.equal(bytes.toString('latin1').includes(secret), false, `${name} holds ${secret.slice(0, 8)}…`);
  }
}

test('the bundle: the owner downloads one zip with the recording, audit rows, sessions, bookmarks, chat and the transcript; `ttyroom bundle` writes it for a finished room', async (t) => {
  const server = await startServer({ recording: { ...DEFAULT_RECORDING_SETTINGS, chat: true } });
  t.after(() => server.close());
  const room = await server.createRoom({ name: 'incident-7' });
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  const ada = await joinMember(server.url, room.id, { token: room.writeToken, name: 'ada' });
  const bob = await joinMember(server.url, room.id, { name: 'bob' });
  t.after(() => [owner, ada, bob].forEach((member) => member.close()));

  await type(ada, 'echo one-$((0+1))\r', 'one-1');
  await type(owner, "read -s -p 'Password: ' pw; echo; echo \"length ${#pw}\"\r", 'Password: ');
  await type(owner, 'SECRET-pw-77\r', 'length 12');
  bob.socket.emit('chat:send', 'CHAT-line hello');
  await waitFor(() => owner.of('chat:message').length === 1, 'the chat line');
  server.app.store.bookmarkAdded({ room: room.id, time: Date.now(), memberId: idOf(owner), name: 'lead', label: 'deploy started ✓' });
  // Text beyond ASCII in the audit rows too (an entry's size and checksum are of its UTF-8 bytes).
  server.app.store.audit.record({ time: new Date().toISOString(), event: 'room.settings', room: room.id, actor: idOf(owner), detail: { note: 'café ✓ 字' } });

  const url = `${server.url}/api/rooms/${room.id}/bundle`;
  for (const token of [room.writeToken, undefined]) {
    const refused = await download(url, token);
    assert.equal(refused.status, 404, 'the owner\'s only');
    assert.ok(!refused.body.toString('latin1').startsWith('PK'));
  }
  const answer = await download(url, room.ownerToken);
  assert.equal(answer.status, 200);
  assert.equal(answer.type, 'application/zip');
  assert.equal(answer.disposition, `attachment; filename="ttyroom-${room.id}.zip"`);
  await waitFor(() => storedAuditEvents(server.dataDir).some((event) => event.event === 'bundle.downloaded' && event.room === room.id), 'the download audited');

  const entries = await unzip(answer.body);
  assert.deepEqual([...entries.keys()], [
    BundleFiles.Readme, BundleFiles.Room, BundleFiles.Recording, BundleFiles.Transcript, BundleFiles.TranscriptJson,
    BundleFiles.Audit, BundleFiles.Sessions, BundleFiles.Bookmarks, BundleFiles.Chat,
  ]);
  const readme = text(entries, BundleFiles.Readme);
  for (const name of entries.keys()) assert.match(readme, new RegExp(`^${name.replace('.', '\\.')} `, 'm'), `README.txt names ${name}`);
  assert.match(readme, new RegExp(`room ${room.id} "incident-7"`));

  assert.equal(JSON.parse(text(entries, BundleFiles.Room)).name, 'incident-7');
  const cast = parseCast(text(entries, BundleFiles.Recording));
  assert.equal(markers(cast).filter((label) => label.startsWith('enter:')).length, 3, 'the recording as the server wrote it');
  assert.ok(readFileSync(server.app.recordings.fileOf(room.id)!, 'utf8').startsWith(text(entries, BundleFiles.Recording)));

  const transcript = text(entries, BundleFiles.Transcript).trimEnd().split('\n');
  assert.equal(transcript.length, 3, transcript.join('\n'));
  assert.match(transcript[0]!, /^\d\d:\d\d:\d\d {2}ada {2}\S+ echo one-\$\(\(0\+1\)\)$/);
  assert.match(transcript[1]!, /^\d\d:\d\d:\d\d {2}lead {2}\S+ read -s/);
  assert.match(transcript[2]!, /^\d\d:\d\d:\d\d {2}lead {2}Password:$/);
  assert.deepEqual(JSON.parse(text(entries, BundleFiles.TranscriptJson)).map((entry: { memberId: string }) => entry.memberId), [idOf(ada), idOf(owner), idOf(owner)]);

  const audit = text(entries, BundleFiles.Audit).trimEnd().split('\n').map((line) => JSON.parse(line) as { event: string; room: string });
  assert.ok(audit.every((event) => event.room === room.id), 'only this room\'s events');
  // The rows are read as the zip is written: the download's own record is the last of them.
  assert.deepEqual(audit.map((event) => event.event), storedAuditEvents(server.dataDir).filter((event) => event.room === room.id).map((event) => event.event));
  assert.equal(audit.at(-1)?.event, 'bundle.downloaded');
  assert.ok(audit.some((event) => event.event === 'room.created'));

  const sessions = JSON.parse(text(entries, BundleFiles.Sessions)) as Array<{ name: string; role: string; address: string; commands: number; chats: number; joinedAt: string }>;
  assert.deepEqual(sessions.map((s) => [s.name, s.role, s.address, s.commands, s.chats]), [
    ['lead', 'owner', '127.0.0.1', 2, 0], ['ada', 'writer', '127.0.0.1', 1, 0], ['bob', 'viewer', '127.0.0.1', 0, 1],
  ]);
  assert.ok(sessions.every((s) => !Number.isNaN(Date.parse(s.joinedAt))), 'times as ISO 8601');
  assert.deepEqual(JSON.parse(text(entries, BundleFiles.Bookmarks)).map((b: { label: string; name: string }) => [b.name, b.label]), [['lead', 'deploy started ✓']]);
  assert.match(text(entries, BundleFiles.Chat), /^\d\d:\d\d:\d\d {2}bob {2}CHAT-line hello\n$/);
  assertNothingOf(entries, [room.ownerToken, room.writeToken, 'SECRET-pw']);

  // The room ends; the operator's command still bundles it from the data folder (the server still running).
  assert.equal((await api(server, 'DELETE', `/api/rooms/${room.id}`, { token: room.ownerToken })).status, 204);
  await waitFor(() => owner.exits.length > 0, 'the room closed');
  const outDir = mkdtempSync(join(tmpdir(), 'ttyroom-bundle-'));
  t.after(() => rmSync(outDir, { recursive: true, force: true }));
  const out = join(outDir, 'room.zip');
  const cli = spawnSync(process.execPath, [BIN, 'bundle', room.id, '--out', out, '--data-dir', server.dataDir], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600, 'the operator\'s alone');
  const finished = await unzip(readFileSync(out));
  assert.ok(JSON.parse(text(finished, BundleFiles.Room)).closedAt, 'the room as it ended');
  assert.match(text(finished, BundleFiles.Recording), /"exited: /, 'the whole recording, to its exit');
  assert.equal(text(finished, BundleFiles.Transcript), text(entries, BundleFiles.Transcript));
  assertNothingOf(finished, [room.ownerToken, room.writeToken, 'SECRET-pw']);

  assert.equal(spawnSync(process.execPath, [BIN, 'bundle', 'nosuchroom', '--out', join(outDir, 'x.zip'), '--data-dir', server.dataDir]).status, 1);
  assert.equal(spawnSync(process.execPath, [BIN, 'bundle', '--data-dir', server.dataDir]).status, 2);
});

test('a room without a recording: the bundle says so and holds the rest', async (t) => {
  const server = await startServer();
  t.after(() => server.close());
  const room = await server.createRoom({ record: false });
  const answer = await download(`${server.url}/api/rooms/${room.id}/bundle`, room.ownerToken);
  assert.equal(answer.status, 200);
  const entries = await unzip(answer.body);
  assert.equal(entries.has(BundleFiles.Recording), false);
  assert.equal(entries.has(BundleFiles.Chat), false);
  assert.match(text(entries, BundleFiles.Readme), /recording\.cast +absent/);
  assert.equal(text(entries, BundleFiles.Transcript), '');
  assert.ok(text(entries, BundleFiles.Audit).includes('"room.created"'));
});
