// --auth basic: one credential, checked on REST, pages and the socket handshake; fail closed (A6); creators; audit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { joinMember } from '../helpers/member.js';
import { authConfig, basicHeader, handshake, http } from '../helpers/signin.js';
import type { CreatedRoom } from '../../server/shared/events.js';

const ALICE = { user: 'alice', password: 'pa:ss word' };

async function basicServer(fields: Parameters<typeof authConfig>[1] = {}, audit = new MemoryAuditLog()) {
  return startServer({ auth: authConfig('/nonexistent', { mode: 'basic', credential: ALICE, ...fields }) }, process.env, { audit });
}

const good = { authorization: basicHeader(ALICE.user, ALICE.password) };
/** Each shape of a bad Authorization header, with what makes it bad. */
const BAD_HEADERS: Array<[string, string]> = [
  ['wrong password', basicHeader(ALICE.user, 'pa:ss')],
  ['wrong user', basicHeader('mallory', ALICE.password)],
  ['bad base64', 'Basic !!!not*base64'],
  ['no colon', `Basic ${Buffer.from('alicepassword').toString('base64')}`],
  ['empty password', `Basic ${Buffer.from('alice:').toString('base64')}`],
  ['scheme only', 'Basic'],
];

test('basic: REST and the lobby need the credential, answer with a browser challenge, and accept a password with colons', async () => {
  const server = await basicServer();
  try {
    for (const headers of [{}, ...BAD_HEADERS.map(([, authorization]) => ({ authorization }))]) {
      const list = await http(`${server.url}/api/rooms`, { headers });
      assert.equal(list.status, 401, `GET /api/rooms with ${JSON.stringify(headers)}`);
      assert.match(list.headers.get('www-authenticate') ?? '', /^Basic realm="ttyroom"/);
      assert.equal(((await list.json()) as { error: { code: string } }).error.code, 'unauthorized');
      const create = await http(`${server.url}/api/rooms`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(create.status, 401);
      await create.arrayBuffer();
    }
    const lobby = await http(`${server.url}/`);
    assert.equal(lobby.status, 401);
    assert.match(lobby.headers.get('www-authenticate') ?? '', /^Basic /);
    await lobby.arrayBuffer();
    const lobbyIn = await http(`${server.url}/`, { headers: good });
    assert.equal(lobbyIn.status, 200);
    await lobbyIn.arrayBuffer();
    assert.equal((await http(`${server.url}/healthz`)).status, 200);

    const listed = await http(`${server.url}/api/rooms`, { headers: good });
    assert.equal(listed.status, 200);
    await listed.arrayBuffer();
  } finally {
    await server.close();
  }
});

test('basic: the handshake admits the credential or a well-formed token, and refuses missing, malformed and absent ones (A6)', async () => {
  const server = await basicServer();
  try {
    const created = (await (await http(`${server.url}/api/rooms`, { method: 'POST', headers: { ...good, 'content-type': 'application/json' }, body: '{}' })).json()) as CreatedRoom;
    // Missing credential.
    assert.equal(await handshake(server.url), 'unauthorized', 'no credential at all');
    // Malformed credentials: every bad header, and tokens of the wrong shape.
    for (const [what, authorization] of BAD_HEADERS) {
      assert.equal(await handshake(server.url, { headers: { authorization } }), 'unauthorized', what);
      assert.equal(await handshake(server.url, { headers: { authorization }, auth: { token: created.writeToken } }), 'unauthorized', `${what}, even with a token`);
    }
    for (const token of ['short', 'x'.repeat(129), 'has spaces in it and is long enough', `${created.writeToken}=`]) {
      assert.equal(await handshake(server.url, { auth: { token } }), 'unauthorized', `token ${JSON.stringify(token.slice(0, 20))}`);
    }
    // Absent or mistyped field.
    for (const auth of [{}, { token: 123 }, { token: null }, { token: ['a'] }, { tok: created.writeToken }]) {
      assert.equal(await handshake(server.url, { auth }), 'unauthorized', `auth ${JSON.stringify(auth)}`);
    }
    assert.equal(await handshake(server.url, { headers: good, auth: { token: 123 } }), 'unauthorized', 'a junk token field refuses even a good credential');

    assert.equal(await handshake(server.url, { headers: good }), 'connected');
    assert.equal(await handshake(server.url, { auth: { token: created.writeToken } }), 'connected');
  } finally {
    await server.close();
  }
});

test('basic: a connection admitted by a token shape alone is no way round sign-in: a public room still wants a valid token', async () => {
  const server = await basicServer();
  const members: Array<{ close(): void }> = [];
  try {
    const created = (await (await http(`${server.url}/api/rooms`, { method: 'POST', headers: { ...good, 'content-type': 'application/json' }, body: '{}' })).json()) as CreatedRoom;
    const junk = 'A'.repeat(created.writeToken.length);
    // Well-formed junk passes the handshake (its validity is the room's to judge), but joins nothing.
    const noToken = await joinMember(server.url, created.id, { io: { auth: { token: junk } } });
    members.push(noToken);
    assert.deepEqual(noToken.reply, { ok: false, code: 'not-found', message: 'no such room, or the link is not valid' });
    const viaJoin = await joinMember(server.url, created.id, { token: junk, io: { auth: { token: junk } } });
    members.push(viaJoin);
    assert.equal(viaJoin.reply.ok, false, 'a junk token in room:join is refused too');
    // The handshake's token counts for the join when room:join carries none; a signed-in user needs none.
    const byHandshake = await joinMember(server.url, created.id, { io: { auth: { token: created.writeToken } } });
    members.push(byHandshake);
    assert.equal(byHandshake.reply.ok && byHandshake.reply.role, 'writer');
    const signedIn = await joinMember(server.url, created.id, { io: { extraHeaders: good } });
    members.push(signedIn);
    assert.equal(signedIn.reply.ok && signedIn.reply.role, 'owner', 'alice created the room, so she owns it');
  } finally {
    for (const member of members) member.close();
    await server.close();
  }
});

test('basic: --creators decides who may create rooms; the creator is recorded as the room\'s owner user', async () => {
  const allowed = await basicServer({ creators: ['basic:alice'] });
  const refused = await basicServer({ creators: ['basic:bob'] });
  try {
    const ok = await http(`${allowed.url}/api/rooms`, { method: 'POST', headers: { ...good, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(ok.status, 201);
    const created = (await ok.json()) as CreatedRoom;
    assert.equal(allowed.app.rooms.get(created.id)!.access.ownerUser, 'basic:alice');

    const no = await http(`${refused.url}/api/rooms`, { method: 'POST', headers: { ...good, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(no.status, 403);
    assert.equal(((await no.json()) as { error: { code: string } }).error.code, 'forbidden');
    assert.equal(refused.app.rooms.size, 0, 'no room, no process');
  } finally {
    await allowed.close();
    await refused.close();
  }
});

test('basic: a bearer token reaches room-scoped routes only; the room still checks it', async () => {
  const server = await basicServer();
  try {
    const created = (await (await http(`${server.url}/api/rooms`, { method: 'POST', headers: { ...good, 'content-type': 'application/json' }, body: '{}' })).json()) as CreatedRoom;
    const bearer = { authorization: `Bearer ${created.ownerToken}` };
    const list = await http(`${server.url}/api/rooms`, { headers: bearer });
    assert.equal(list.status, 401, 'the room list is not room-scoped');
    await list.arrayBuffer();
    const create = await http(`${server.url}/api/rooms`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(create.status, 401, 'a capability does not create rooms');
    await create.arrayBuffer();
    const one = await http(`${server.url}/api/rooms/${created.id}`, { headers: bearer });
    assert.equal(one.status, 200);
    await one.arrayBuffer();
    const close = await http(`${server.url}/api/rooms/${created.id}`, { method: 'DELETE', headers: bearer });
    assert.equal(close.status, 204);
  } finally {
    await server.close();
  }
});

test('basic: sign-ins are audited, failures counted per address, never with the password or the name tried', async () => {
  const audit = new MemoryAuditLog();
  const server = await basicServer({}, audit);
  try {
    for (let i = 0; i < 5; i++) await (await http(`${server.url}/api/rooms`, { headers: { authorization: basicHeader('alice', `guess-${i}`) } })).arrayBuffer();
    for (let i = 0; i < 3; i++) await (await http(`${server.url}/api/rooms`, { headers: good })).arrayBuffer();
  } finally {
    await server.close();
  }
  const failed = audit.of('signin.failed');
  assert.equal(failed.length, 1, 'one aggregated record');
  assert.equal(failed[0]!.detail?.count, 5);
  assert.equal(failed[0]!.address, '127.0.0.1');
  const succeeded = audit.of('signin.succeeded');
  assert.equal(succeeded.length, 1, 'once per user and address per interval');
  assert.equal(succeeded[0]!.actor, 'basic:alice');
  const text = JSON.stringify(audit.records);
  assert.ok(!text.includes('guess-') && !text.includes(ALICE.password), 'no password in the audit log');
});

test('none (the default): nothing to sign in to; anyone who reaches the loopback server may connect and create', async () => {
  const server = await startServer();
  try {
    assert.equal(await handshake(server.url), 'connected');
    const created = await server.createRoom();
    assert.equal(server.app.rooms.get(created.id)!.access.ownerUser, undefined);
    const login = await http(`${server.url}/login?next=/r/x`);
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/r/x');
  } finally {
    await server.close();
  }
});
