// The record over real sockets: every audit event kind reaches the store with its room, actor, address and time;
// member sessions count commands (none behind the curtain) and chats; the audit API pages and is the owner's only;
// and no token, cookie, password or keystroke is anywhere in the database's bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent, AuditEventName } from '../../server/audit/auditLog.js';
import { AuditAggregation } from '../../server/audit/auditCounter.js';
import { AuditPaging, type AuditPage } from '../../server/http/auditRoutes.js';
import type { CreatedRoom } from '../../server/shared/events.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { idOf } from '../helpers/collab.js';
import { ManualClock } from '../helpers/manualClock.js';
import { api } from '../helpers/api.js';
import { enginePath, rawRequest } from '../helpers/rawHttp.js';
import { authConfig, basicHeader, http } from '../helpers/signin.js';
import { MemoryAuditLog, storeBytes, storedAuditEvents, withStore } from '../helpers/audit.js';
import { waitFor } from '../helpers/wait.js';
import { TransferTiming } from '../../server/rooms/fileTransfer.js';

/**
 * Every event the app audits, with the step of the scenarios below that causes it. A Record, so a new event
 * name does not compile until a scenario here covers it.
 */
const EVERY_KIND: Record<AuditEventName, string> = {
  'room.created': 'POST /api/rooms',
  'room.closed': 'DELETE /api/rooms/:id',
  'member.joined': 'room:join',
  'member.left': 'a member disconnects',
  'write.denied': 'a viewer types',
  'limit.refused': 'a joiner of a locked room',
  'signin.succeeded': 'the right Basic credential',
  'signin.failed': 'a wrong Basic password',
  'room.resized': 'the owner resizes',
  'origin.refused': 'a handshake from a foreign Origin',
  'token.minted': 'POST /api/rooms/:id/tokens',
  'token.revoked': 'DELETE /api/rooms/:id/tokens/:tokenId',
  'role.changed': 'member:role with seconds',
  'grant.ended': 'the timed grant runs out on the clock',
  'hand.raised': 'hand:raise',
  'hand.lowered': 'hand:lower by the owner',
  'member.kicked': 'member:kick',
  'member.admitted': 'member:admit allow',
  'member.denied': 'member:admit deny',
  'room.settings': 'room:settings',
  'curtain.lowered': 'room:curtain down',
  'curtain.lifted': 'room:curtain up',
  'room.handover': 'room:handover',
  'bookmark.added': 'bookmark:add',
  'history.read': 'GET /api/rooms/:id/history with a rewind ticket',
  'bundle.downloaded': 'GET /api/rooms/:id/bundle',
  'recording.downloaded': 'GET /api/rooms/:id/recording',
  'transfer.started': 'rz typed by a member whose client can transfer',
  'transfer.ended': 'that member cancels it',
  // Against a real sshd: test/integration/ssh.test.ts and sshSecrets.test.ts.
  'ssh.login.succeeded': 'an SSH room created',
  'ssh.login.failed': 'an SSH sign-in refused',
  'ssh.session.ended': 'an SSH room ended',
  'ssh.hostkey.trusted': 'an SSH host key confirmed',
  'ssh.hostkey.untrusted': 'an unknown SSH host key',
  'ssh.hostkey.changed': 'a changed SSH host key',
};

/** Events that a member's connection causes: each names the room, the member and the address. */
const MEMBER_EVENTS: readonly AuditEventName[] = [
  'member.joined', 'member.left', 'write.denied', 'room.resized', 'role.changed', 'hand.raised', 'hand.lowered', 'member.kicked',
  'member.admitted', 'member.denied', 'room.settings', 'curtain.lowered', 'curtain.lifted', 'room.handover', 'bookmark.added',
  'history.read',
];

const kindsIn = (dataDir: string): Set<string> => new Set(storedAuditEvents(dataDir).map((event) => event.event));

async function until(server: TestServer, kind: AuditEventName, count = 1): Promise<void> {
  await waitFor(() => storedAuditEvents(server.dataDir).filter((event) => event.event === kind).length >= count, `${kind} in the store`);
}

/** Types a command whose output (not its echo) is `marker-42`, and waits for `observer` to see it. */
async function typeAndSee(writer: Member, observer: Member, marker: string): Promise<void> {
  writer.socket.emit('term:input', `echo ${marker}-$((40+2))\r`);
  await waitFor(() => observer.outputText().includes(`${marker}-42`), `${marker} to run`);
}

/** The room's whole audit through the API, `limit` at a time, following `next`. */
async function pagedAudit(server: TestServer, room: CreatedRoom, limit: number): Promise<{ events: AuditPage['events']; pages: number }> {
  const events: AuditPage['events'] = [];
  let pages = 0;
  for (let after: number | null = 0; after !== null; pages++) {
    const answer = await api(server, 'GET', `/api/rooms/${room.id}/audit?after=${after}&limit=${limit}`, { token: room.ownerToken });
    assert.equal(answer.status, 200, answer.text);
    const page = answer.body as AuditPage;
    assert.ok(page.events.length <= limit);
    events.push(...page.events);
    after = page.next;
  }
  return { events, pages };
}

test('every audit event kind reaches the store via real sockets; sessions count commands (none behind the curtain) and chats; the API pages, for the owner only', async (t) => {
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { clock });
  const members: Member[] = [];
  t.after(async () => {
    for (const member of members) member.close();
    await server.close();
  });
  const join = async (...args: Parameters<typeof joinMember>): Promise<Member> => {
    const member = await joinMember(...args);
    members.push(member);
    return member;
  };
  const created = await server.createRoom();
  const owner = await join(server.url, created.id, { token: created.ownerToken, name: 'teacher' });
  const writer = await join(server.url, created.id, { token: created.writeToken, name: 'pair' });
  const viewer = await join(server.url, created.id, { name: 'student' });

  await typeAndSee(writer, owner, 'one');
  await typeAndSee(writer, owner, 'two');
  viewer.socket.emit('term:input', 'VIEWER-KEYS\r');
  await waitFor(() => viewer.errors.some((error) => error.code === 'forbidden'), 'the viewer refused');
  owner.socket.emit('term:resize', { cols: 100, rows: 30 });
  await waitFor(() => server.app.rooms.get(created.id)!.cols === 100, 'the resize');

  viewer.socket.emit('hand:raise');
  await until(server, 'hand.raised');
  owner.socket.emit('hand:lower', { memberId: idOf(viewer) });
  await until(server, 'hand.lowered');
  owner.socket.emit('member:role', { memberId: idOf(viewer), role: 'writer', seconds: 1 });
  await waitFor(() => viewer.roles.includes('writer'), 'the timed grant');
  clock.advance(1000);
  await until(server, 'grant.ended');

  // Behind the curtain the owner's command runs but is not counted; after it lifts, it is.
  owner.socket.emit('room:curtain', { down: true });
  await until(server, 'curtain.lowered');
  await typeAndSee(owner, owner, 'hidden');
  owner.socket.emit('room:curtain', { down: false, clear: true });
  await until(server, 'curtain.lifted');
  await typeAndSee(owner, owner, 'open');

  // A file transfer: rz is offered to the member who typed it (its client says it can transfer), which cancels it.
  const files = await join(server.url, created.id, { token: created.writeToken, name: 'files', extra: { transfers: true } });
  files.socket.emit('term:input', 'rz\r');
  await until(server, 'transfer.started');
  files.socket.emit('transfer:cancel');
  await waitFor(() => files.of('transfer:end').length === 1 || (clock.advance(TransferTiming.CancelQuietMs), false), 'the transfer to end');
  await until(server, 'transfer.ended');

  viewer.socket.emit('chat:send', 'CHAT-TEXT-hello');
  await waitFor(() => owner.of('chat:message').length === 1, 'the chat line');
  viewer.socket.emit('bookmark:add', { label: 'BOOKMARK-LABEL' });
  await until(server, 'bookmark.added');
  const ticket = await viewer.socket.emitWithAck('rewind:ticket');
  assert.ok(ticket.ok, JSON.stringify(ticket));
  const history = await fetch(`${server.url}/api/rooms/${created.id}/history`, { headers: { authorization: `Bearer ${ticket.ticket}` } });
  assert.equal(history.status, 200);
  await history.arrayBuffer();
  await until(server, 'history.read');

  owner.socket.emit('room:settings', { approval: true });
  await until(server, 'room.settings');
  const admitted = await join(server.url, created.id, { name: 'late' });
  const denied = await join(server.url, created.id, { name: 'later' });
  owner.socket.emit('member:admit', { memberId: idOf(admitted), allow: true });
  owner.socket.emit('member:admit', { memberId: idOf(denied), allow: false });
  await until(server, 'member.denied');
  await until(server, 'member.admitted');
  owner.socket.emit('room:settings', { approval: false, locked: true });
  await until(server, 'room.settings', 2);
  const locked = await join(server.url, created.id, { name: 'too late', awaitSnapshot: false });
  assert.equal(locked.reply.ok, false);
  owner.socket.emit('member:kick', { memberId: idOf(admitted) });
  await until(server, 'member.kicked');

  const minted = await api(server, 'POST', `/api/rooms/${created.id}/tokens`, { token: created.ownerToken, body: { role: 'viewer' } });
  assert.equal(minted.status, 201, minted.text);
  assert.equal((await api(server, 'DELETE', `/api/rooms/${created.id}/tokens/${minted.body.id}`, { token: created.ownerToken })).status, 204);
  const foreign = await rawRequest(server.url, enginePath('polling'), { headers: { Origin: 'http://evil.example' } });
  assert.equal(foreign.status, 403);
  // The counted records (denied writes, resizes, refused origins) are written when their interval ends.
  clock.advance(AuditAggregation.IntervalMs);
  await until(server, 'origin.refused');

  // The audit API: the owner's only, paged, the limit capped.
  for (const token of [created.writeToken, undefined, 'x'.repeat(43)]) {
    const refused = await api(server, 'GET', `/api/rooms/${created.id}/audit`, { token });
    assert.equal(refused.status, 404, `${token?.slice(0, 4)}: ${refused.text}`);
    assert.equal(refused.text.includes('"events"'), false);
  }
  assert.equal((await api(server, 'GET', `/api/rooms/${created.id}/audit?limit=0`, { token: created.ownerToken })).status, 400);
  assert.equal((await api(server, 'GET', `/api/rooms/${created.id}/audit?after=-1`, { token: created.ownerToken })).status, 400);
  const inStore = storedAuditEvents(server.dataDir).filter((event) => event.room === created.id);
  const paged = await pagedAudit(server, created, 3);
  assert.deepEqual(paged.events.map(({ id: _id, ...event }) => event), inStore, 'the pages, end to end, are the room\'s events in order');
  assert.equal(paged.pages, Math.ceil(inStore.length / 3), 'no empty page at the end');
  assert.ok(paged.events.every((event) => event.room === created.id), 'only this room\'s events');
  // More than a page's cap: a request for more gets the cap, and a `next`.
  withStore(server.dataDir, (store) => store.batch(() => {
    for (let i = 0; i <= AuditPaging.MaxLimit; i++) store.audit.record({ time: new Date(clock.now()).toISOString(), event: 'room.resized', room: created.id, actor: 'filler', address: '127.0.0.1' });
  }));
  const capped = await api(server, 'GET', `/api/rooms/${created.id}/audit?limit=1000000`, { token: created.ownerToken });
  assert.equal(capped.body.events.length, AuditPaging.MaxLimit);
  assert.equal(capped.body.next, capped.body.events.at(-1).id);

  const recording = await api(server, 'GET', `/api/rooms/${created.id}/recording`, { token: created.ownerToken });
  assert.equal(recording.status, 200, recording.text);
  await until(server, 'recording.downloaded');
  const bundle = await fetch(`${server.url}/api/rooms/${created.id}/bundle`, { headers: { authorization: `Bearer ${created.ownerToken}` } });
  assert.equal(bundle.status, 200);
  await bundle.arrayBuffer();
  await until(server, 'bundle.downloaded');

  owner.socket.emit('room:handover', { memberId: idOf(writer) });
  await until(server, 'room.handover');
  await waitFor(() => writer.of('room:credential').length === 1, 'the new owner\'s link');
  const newOwnerToken = writer.of('room:credential')[0]!.token;
  assert.equal((await api(server, 'DELETE', `/api/rooms/${created.id}`, { token: newOwnerToken })).status, 204);
  await until(server, 'room.closed');
  for (const member of members) member.close();
  await until(server, 'member.left', 4);

  const events = storedAuditEvents(server.dataDir);
  for (const event of events) {
    assert.ok(!Number.isNaN(Date.parse(event.time)), `a time on ${JSON.stringify(event)}`);
    if (MEMBER_EVENTS.includes(event.event) && event.room === created.id) {
      assert.ok(event.actor && event.address === '127.0.0.1', `room, actor and address on ${JSON.stringify(event)}`);
    }
  }
  const kinds = new Set(events.map((event) => event.event));
  const missing = Object.keys(EVERY_KIND).filter((kind) => !kinds.has(kind as AuditEventName) && !kind.startsWith('signin.') && !kind.startsWith('ssh.'));
  assert.deepEqual(missing, [], 'every kind but sign-in (next test) is in the store');

  const sessions = withStore(server.dataDir, (store) => store.memberSessions(created.id));
  const session = (member: Member) => sessions.filter((entry) => entry.memberId === idOf(member));
  assert.deepEqual(session(writer).map((s) => [s.name, s.role, s.commands, s.chats, s.address]), [['pair', 'writer', 2, 0, '127.0.0.1']]);
  assert.deepEqual(session(owner).map((s) => [s.name, s.role, s.commands]), [['teacher', 'owner', 1]], 'the command behind the curtain is not counted');
  assert.deepEqual(session(viewer).map((s) => [s.name, s.role, s.commands, s.chats]), [['student', 'viewer', 0, 1]]);
  assert.ok(sessions.every((s) => s.leftAt !== undefined && s.leftAt >= s.joinedAt), 'every session ended');
  const record = withStore(server.dataDir, (store) => store.room(created.id));
  assert.equal(record?.exitReason, 'closed');
  assert.ok(record?.closedAt !== undefined);

  // Only counts: the text of the chat and of the commands is nowhere in the files.
  const bytes = storeBytes(server.dataDir);
  for (const secret of ['CHAT-TEXT', 'VIEWER-KEYS', 'echo', created.ownerToken, created.writeToken, minted.body.token, newOwnerToken, ticket.ticket]) {
    assert.equal(bytes.includes(secret), false, `the store holds ${secret.slice(0, 10)}…`);
  }
});

test('no token, cookie, password or keystroke anywhere in the database files; sign-ins are audited', async () => {
  const password = 'PASSWORD-pa55-w0rd';
  const good = { authorization: basicHeader('alice', password) };
  const server = await startServer({ auth: authConfig('/nonexistent', { mode: 'basic', credential: { user: 'alice', password } }) });
  const cookie = 'session=COOKIE-VALUE-93f1';
  const secrets: string[] = [password, Buffer.from(`alice:${password}`).toString('base64'), 'COOKIE-VALUE-93f1', 'KEYSTROKE-SECRET', 'CHAT-SECRET'];
  const members: Member[] = [];
  const check = (when: string): void => {
    const bytes = storeBytes(server.dataDir);
    assert.ok(bytes.length > 0);
    for (const secret of secrets) assert.equal(bytes.includes(secret), false, `${when}: the store holds ${secret.slice(0, 10)}…`);
  };
  try {
    const wrong = await http(`${server.url}/api/rooms`, { headers: { authorization: basicHeader('alice', 'WRONG-pass-1') } });
    assert.equal(wrong.status, 401);
    await wrong.arrayBuffer();
    secrets.push('WRONG-pass-1');
    const answer = await http(`${server.url}/api/rooms`, { method: 'POST', headers: { ...good, cookie, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(answer.status, 201);
    const created = (await answer.json()) as CreatedRoom;
    secrets.push(created.ownerToken, created.writeToken);
    const minted = await api(server, 'POST', `/api/rooms/${created.id}/tokens`, { token: created.ownerToken, body: { role: 'writer' } });
    secrets.push(minted.body.token);
    const io = { extraHeaders: { ...good, cookie } };
    for (const token of [created.ownerToken, created.writeToken, minted.body.token]) members.push(await joinMember(server.url, created.id, { token, io }));
    members[1]!.socket.emit('term:input', 'echo KEYSTROKE-SECRET-$((1+1))\r');
    await waitFor(() => members[0]!.outputText().includes('KEYSTROKE-SECRET-2'), 'the command to run');
    members[2]!.socket.emit('chat:send', 'CHAT-SECRET words');
    await waitFor(() => members[0]!.of('chat:message').length === 1, 'the chat line');
    // While the server runs, most of this is still in the write-ahead log.
    check('while running');
    for (const member of members) member.close();
    await server.app.dispose();
    check('after shutdown');
    const kinds = kindsIn(server.dataDir);
    for (const kind of ['signin.succeeded', 'signin.failed', 'member.joined', 'token.minted']) assert.ok(kinds.has(kind), `${kind} in the store`);
    const sessions = withStore(server.dataDir, (store) => store.memberSessions(created.id));
    assert.deepEqual(sessions.map((s) => [s.user, s.commands, s.chats]), [['basic:alice', 0, 0], ['basic:alice', 1, 0], ['basic:alice', 0, 1]]);
  } finally {
    for (const member of members) member.close();
    await server.close();
  }
});

test('the audit events of a store are exactly those the app sent its auditor', async () => {
  // The store is not a second, diverging log: what a test collector sees is what the database holds.
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { audit });
  try {
    const created = await server.createRoom();
    const member = await joinMember(server.url, created.id, { token: created.writeToken });
    member.close();
    await waitFor(() => audit.of('member.left').length === 1, 'the leave');
    await server.app.dispose();
    const stored: AuditEvent[] = storedAuditEvents(server.dataDir);
    assert.ok(stored.some((event) => event.event === 'room.closed'));
    // As JSON: an absent field and one set to undefined are the same record.
    assert.deepEqual(stored, JSON.parse(JSON.stringify(audit.records)));
  } finally {
    await server.close();
  }
});
