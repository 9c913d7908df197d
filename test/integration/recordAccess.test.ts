// A room's record after the room is gone: its recording and audit open to its lasting owner links (by their hashes in
// the store) and to the signed-in user who owned it, through exit, the registry forgetting the room, and a restart;
// every other credential gets the one 404, counted by the token-failure limiter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOT_FOUND_MESSAGE, type CreatedRoom } from '../../server/shared/events.js';
import { RECORDING_STATE_HEADER } from '../../server/http/routes.js';
import type { AuditPage } from '../../server/http/auditRoutes.js';
import { BUNDLE_MEDIA_TYPE } from '../../server/recording/bundle.js';
import { UsersFile } from '../../server/auth/usersFile.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { idOf } from '../helpers/collab.js';
import { api, type Answer } from '../helpers/api.js';
import { authConfig, basicHeader, http } from '../helpers/signin.js';
import { parseCast } from '../helpers/asciicast.js';
import { waitFor } from '../helpers/wait.js';

/** Enough free failures that the refusals below are all answered 404 (the limiter has its own test at the end). */
const GENEROUS_FAILURES = { FreeFailuresPerRoom: 1_000, FreeFailuresPerAddress: 1_000 };
/** The registry forgets an exited room at once: what is left is the store's record. */
const FORGET_AT_ONCE = { exitedRoomTtlMs: 1 };

const recordingOf = (server: TestServer, roomId: string, token?: string): Promise<Answer> => api(server, 'GET', `/api/rooms/${roomId}/recording`, { token });
const auditOf = (server: TestServer, roomId: string, token?: string): Promise<Answer> => api(server, 'GET', `/api/rooms/${roomId}/audit?limit=1000`, { token });
const bundleOf = (server: TestServer, roomId: string, token?: string): Promise<Answer> => api(server, 'GET', `/api/rooms/${roomId}/bundle`, { token });

function assertNotFound(answer: Answer, what: string): void {
  assert.equal(answer.status, 404, `${what}: ${answer.text}`);
  assert.deepEqual(answer.body, { error: { code: 'not-found', message: NOT_FOUND_MESSAGE } }, `${what}: the one "no"`);
}

/** Runs the room's session to its exit: output to find in the recording, then `exit`; waits until the registry forgot it. */
async function endRoom(server: TestServer, room: CreatedRoom, typist: Member): Promise<void> {
  typist.socket.emit('term:input', 'echo LAST-$((6*7))\r');
  await waitFor(() => typist.outputText().includes('LAST-42'), 'the last command to run');
  typist.socket.emit('term:input', 'exit\r');
  await waitFor(() => server.app.rooms.get(room.id) === undefined, 'the registry to forget the exited room');
}

test('after the room exited and was forgotten, and after a restart: its owner link reads recording, audit and bundle; the handed-over, writer, viewer, revoked and wrong ones get 404', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-record-access-'));
  const members: Member[] = [];
  let server = await startServer({ dataDir, ...FORGET_AT_ONCE }, process.env, { tokenFailureLimits: GENEROUS_FAILURES });
  t.after(async () => {
    for (const member of members) member.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const created = await server.createRoom();
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken, name: 'first owner' });
  const writer = await joinMember(server.url, created.id, { token: created.writeToken, name: 'next owner' });
  members.push(owner, writer);
  const mint = async (body: Record<string, unknown>): Promise<{ token: string; id: string }> => {
    const answer = await api(server, 'POST', `/api/rooms/${created.id}/tokens`, { token: created.ownerToken, body });
    assert.equal(answer.status, 201, answer.text);
    return answer.body as { token: string; id: string };
  };
  const viewer = (await mint({ role: 'viewer' })).token;
  const revoked = await mint({ role: 'writer' });

  owner.socket.emit('room:handover', { memberId: idOf(writer) });
  await waitFor(() => writer.of('room:credential').length === 1, 'the new owner\'s link');
  const handedOver = writer.of('room:credential')[0]!.token;
  assert.equal((await api(server, 'DELETE', `/api/rooms/${created.id}/tokens/${revoked.id}`, { token: handedOver })).status, 204);

  const live = await recordingOf(server, created.id, handedOver);
  assert.equal(live.status, 200, live.text);
  assert.equal(live.headers[RECORDING_STATE_HEADER.toLowerCase()], 'live', 'a running room\'s recording is still being written');
  assertNotFound(await recordingOf(server, created.id, created.ownerToken), 'the owner link handed over, live');

  await endRoom(server, created, writer);

  const check = async (when: string): Promise<void> => {
    const recording = await recordingOf(server, created.id, handedOver);
    assert.equal(recording.status, 200, `${when}: ${recording.text}`);
    assert.equal(recording.headers[RECORDING_STATE_HEADER.toLowerCase()], 'finished', when);
    assert.match(recording.headers['content-disposition'] ?? '', new RegExp(`${created.id}\\.cast`));
    const cast = parseCast(recording.text);
    assert.ok(cast.events.some((event) => event.code === 'o' && event.data.includes('LAST-42')), `${when}: the session's output is in it`);
    const audit = await auditOf(server, created.id, handedOver);
    assert.equal(audit.status, 200, `${when}: ${audit.text}`);
    const kinds = (audit.body as AuditPage).events.map((event) => event.event);
    assert.ok(kinds.includes('room.created') && kinds.includes('room.closed') && kinds.includes('room.handover'), `${when}: ${kinds.join(' ')}`);
    const bundle = await bundleOf(server, created.id, handedOver);
    assert.equal(bundle.status, 200, `${when}, bundle: ${bundle.text}`);
    assert.equal(bundle.headers['content-type'], BUNDLE_MEDIA_TYPE, `${when}: the incident bundle`);
    const refused: Array<[string, string | undefined]> = [
      ['the owner link handed over', created.ownerToken],
      ['the writer link', created.writeToken],
      ['a viewer link', viewer],
      ['a revoked writer link', revoked.token],
      ['a token never minted', 'x'.repeat(43)],
      ['a malformed bearer value', 'not a token!'],
      ['no credential', undefined],
    ];
    for (const [what, token] of refused) {
      assertNotFound(await recordingOf(server, created.id, token), `${when}, recording, ${what}`);
      assertNotFound(await auditOf(server, created.id, token), `${when}, audit, ${what}`);
      assertNotFound(await bundleOf(server, created.id, token), `${when}, bundle, ${what}`);
    }
    assertNotFound(await recordingOf(server, 'no-such-room-0000', handedOver), `${when}: another room id`);
  };
  await check('after the exit');
  assert.equal(server.app.store.room(created.id)?.closedAt !== undefined, true, 'the store holds the finished room');

  await server.close();
  server = await startServer({ dataDir }, process.env, { tokenFailureLimits: GENEROUS_FAILURES });
  await check('after a restart');
});

test('a finished room\'s record counts failures like the door: past the free ones, even its owner link is held back', async (t) => {
  const free = 3;
  const server = await startServer({ ...FORGET_AT_ONCE }, process.env, { tokenFailureLimits: { FreeFailuresPerRoom: free } });
  const members: Member[] = [];
  t.after(async () => {
    for (const member of members) member.close();
    await server.close();
  });
  const created = await server.createRoom();
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
  members.push(owner);
  await endRoom(server, created, owner);
  assert.equal((await recordingOf(server, created.id, created.ownerToken)).status, 200, 'the first owner link opens the finished room\'s record');
  for (let i = 0; i < free; i++) assertNotFound(await recordingOf(server, created.id, created.writeToken), `failure ${i + 1}`);
  const held = await recordingOf(server, created.id, created.ownerToken);
  assert.equal(held.status, 429, held.text);
  assert.ok(Number(held.headers['retry-after']) > 0);
});

test('a signed-in owner reads its finished room\'s recording, audit and bundle without a token; another user gets 404', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-record-owner-'));
  const passwords = { alice: 'alice-password', bob: 'bob-password' };
  const users = new UsersFile(join(dataDir, 'users.json'));
  for (const [name, password] of Object.entries(passwords)) await users.set(name, password);
  const server = await startServer({ dataDir, ...FORGET_AT_ONCE, auth: authConfig(dataDir, { mode: 'local' }) }, process.env, { tokenFailureLimits: GENEROUS_FAILURES });
  const members: Member[] = [];
  t.after(async () => {
    for (const member of members) member.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const as = (user: keyof typeof passwords) => ({ authorization: basicHeader(user, passwords[user]) });
  const response = await http(`${server.url}/api/rooms`, { method: 'POST', headers: { ...as('alice'), 'content-type': 'application/json' }, body: '{}' });
  assert.equal(response.status, 201);
  const created = (await response.json()) as CreatedRoom;
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken, io: { extraHeaders: as('alice') } });
  members.push(owner);
  await endRoom(server, created, owner);
  assert.equal(server.app.store.room(created.id)?.ownerUser, 'local:alice');

  for (const path of ['recording', 'audit', 'bundle']) {
    const mine = await http(`${server.url}/api/rooms/${created.id}/${path}`, { headers: as('alice') });
    assert.equal(mine.status, 200, `${path}: ${await mine.text()}`);
    const theirs = await http(`${server.url}/api/rooms/${created.id}/${path}`, { headers: as('bob') });
    assert.equal(theirs.status, 404, path);
    await theirs.arrayBuffer();
    // The owner link alone (nobody signed in) opens it too, as it opens the room's other token routes.
    const byLink = await api(server, 'GET', `/api/rooms/${created.id}/${path}`, { token: created.ownerToken });
    assert.equal(byLink.status, 200, `${path} by link: ${byLink.text}`);
  }
});
