// Private rooms and room ownership by signed-in users: listed and joinable only for the owner user, allowed users
// and token holders; the creator is owner without a token; every refusal is the same not-found.
// The signed-in user is put on requests by the app's test-only `identify` hook, as sign-in would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { SignedInUser } from '../../server/auth/requester.js';
import type { MintedToken } from '../../server/protocol/events.js';
import { startServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { api } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

/** Test-only header naming the signed-in user; the identify hook reads it the way sign-in reads a session. */
const USER_HEADER = 'x-test-user';

function identify(req: IncomingMessage): SignedInUser | undefined {
  const id = req.headers[USER_HEADER];
  return typeof id === 'string' ? { id, name: id.split(':')[1] ?? id } : undefined;
}

const as = (user: string) => ({ headers: { [USER_HEADER]: user } });
const joinAs = (user: string) => ({ io: { extraHeaders: { [USER_HEADER]: user } } });

test('a private room is seen and entered by its owner user, its allowed users and token holders only', async () => {
  const server = await startServer({}, process.env, { identify });
  try {
    const made = await api(server, 'POST', '/api/rooms', { ...as('local:alice'), body: { name: 'secret', private: true, allowedUsers: ['local:bob'] } });
    assert.equal(made.status, 201, made.text);
    const id = made.body.id as string;

    const listedFor = async (user?: string): Promise<boolean> =>
      ((await api(server, 'GET', '/api/rooms', user ? as(user) : {})).body as Array<{ id: string }>).some((room) => room.id === id);
    assert.equal(await listedFor('local:alice'), true, 'listed for its owner user');
    assert.equal(await listedFor('local:bob'), true, 'listed for an allowed user');
    assert.equal(await listedFor('local:carol'), false);
    assert.equal(await listedFor(), false);

    const alice = await joinMember(server.url, id, joinAs('local:alice'));
    const bob = await joinMember(server.url, id, joinAs('local:bob'));
    const carol = await joinMember(server.url, id, joinAs('local:carol'));
    const nobody = await joinMember(server.url, id);
    const unknown = await joinMember(server.url, 'no-such-room', joinAs('local:carol'));
    try {
      assert.equal(alice.reply.ok && alice.reply.role, 'owner', 'the creator is owner without a token');
      assert.equal(bob.reply.ok && bob.reply.role, 'viewer', 'allowed users enter as viewers');
      assert.deepEqual(carol.reply, unknown.reply, 'the same answer as for no room');
      assert.deepEqual(nobody.reply, unknown.reply);
      assert.equal((await api(server, 'GET', `/api/rooms/${id}`, as('local:carol'))).status, 404);
      assert.equal((await api(server, 'GET', `/api/rooms/${id}/screen`, as('local:bob'))).status, 200);

      // Carol gets in with a token; revoking it removes her, while Bob (an allowed user) is untouched.
      const minted = (await api(server, 'POST', `/api/rooms/${id}/tokens`, { token: made.body.ownerToken, body: { role: 'writer' } })).body as MintedToken;
      const carolWithToken = await joinMember(server.url, id, { token: minted.token, ...joinAs('local:carol') });
      assert.equal(carolWithToken.reply.ok && carolWithToken.reply.role, 'writer');
      // A signed-in user's standing never covers for a wrong token: a wrong token is a failed attempt.
      const aliceWrongToken = await joinMember(server.url, id, { token: 'A'.repeat(43), ...joinAs('local:alice') });
      assert.equal(aliceWrongToken.reply.ok, false);
      aliceWrongToken.close();
      await api(server, 'DELETE', `/api/rooms/${id}/tokens/${minted.id}`, { token: made.body.ownerToken });
      await waitFor(() => carolWithToken.errors.some((e) => e.code === 'revoked'), 'carol to be told');
      await waitFor(() => alice.members.length === 2, 'the list to hold alice and bob only');
      assert.deepEqual(bob.errors, []);
      carolWithToken.close();
    } finally {
      for (const member of [alice, bob, carol, nobody, unknown]) member.close();
    }
  } finally {
    await server.close();
  }
});

test('a public room created by a signed-in user: it owns it without a token; a writer token held by the owner user keeps owner', async () => {
  const server = await startServer({}, process.env, { identify });
  try {
    const made = await api(server, 'POST', '/api/rooms', { ...as('oidc:1234'), body: {} });
    const id = made.body.id as string;
    assert.equal((await api(server, 'GET', '/api/rooms')).body.some((room: { id: string }) => room.id === id), true, 'public rooms are listed');
    const owner = await joinMember(server.url, id, joinAs('oidc:1234'));
    const ownerWithWriterToken = await joinMember(server.url, id, { token: made.body.writeToken, ...joinAs('oidc:1234') });
    const stranger = await joinMember(server.url, id, joinAs('oidc:9999'));
    try {
      assert.equal(owner.reply.ok && owner.reply.role, 'owner');
      assert.equal(ownerWithWriterToken.reply.ok && ownerWithWriterToken.reply.role, 'owner', 'the best of token and standing');
      assert.equal(stranger.reply.ok && stranger.reply.role, 'viewer');
    } finally {
      owner.close();
      ownerWithWriterToken.close();
      stranger.close();
    }
  } finally {
    await server.close();
  }
});

test('private and allowedUsers are validated: type, count, shape', async () => {
  const server = await startServer();
  try {
    const bad: unknown[] = [
      { private: 'yes' }, { private: 1 }, { allowedUsers: 'local:bob' }, { allowedUsers: [42] }, { allowedUsers: ['bob'] },
      { allowedUsers: ['local:'] }, { allowedUsers: ['local:bo\nb'] }, { allowedUsers: [`local:${'b'.repeat(300)}`] },
      { allowedUsers: Array.from({ length: 201 }, (_, i) => `local:u${i}`) },
    ];
    for (const body of bad) {
      const answer = await api(server, 'POST', '/api/rooms', { body });
      assert.equal(answer.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${answer.text}`);
      assert.equal(answer.body.error.code, 'bad-request');
    }
    assert.equal(server.app.rooms.size, 0, 'no room was created by a bad request');
    assert.equal((await api(server, 'POST', '/api/rooms', { body: { private: false, allowedUsers: ['local:bob', 'oidc:a|b'] } })).status, 201);
  } finally {
    await server.close();
  }
});

test('a non-bearer Authorization header (sign-in\'s Basic) is not read as a token; a malformed bearer is a wrong one', async () => {
  const server = await startServer();
  try {
    const created = await server.createRoom();
    const basic = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
    assert.equal((await api(server, 'GET', `/api/rooms/${created.id}`, { headers: { authorization: basic } })).status, 200);
    assert.equal((await api(server, 'GET', `/api/rooms/${created.id}`, { headers: { authorization: 'Bearer not/a/token' } })).status, 404);
    assert.equal((await api(server, 'GET', `/api/rooms/${created.id}`, { headers: { authorization: `Bearer ${created.writeToken}` } })).status, 200);
  } finally {
    await server.close();
  }
});
