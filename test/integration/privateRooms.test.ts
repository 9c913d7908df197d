// Private rooms and room ownership by signed-in users: listed and joinable only for the owner user, allowed users
// and token holders; the creator is owner without a token; every refusal is the same not-found.
// Real sign-in: a server under --auth local with a users file of three users; REST calls and socket joins
// authenticate with `Authorization: Basic` against that file, as non-browser clients do.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MintedToken } from '../../server/shared/events.js';
import { UsersFile } from '../../server/auth/usersFile.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { api } from '../helpers/api.js';
import { authConfig, basicHeader, handshake } from '../helpers/signin.js';
import { waitFor } from '../helpers/wait.js';

const PASSWORDS = { alice: 'alice-password', bob: 'bob-password', carol: 'carol-password' } as const;
type User = keyof typeof PASSWORDS;

/** One users file for every server of this file (argon2 hashing is slow); each server has its own data folder. */
let usersDir: string;
before(async () => {
  usersDir = mkdtempSync(join(tmpdir(), 'ttyroom-private-users-'));
  const users = new UsersFile(join(usersDir, 'users.json'));
  for (const [name, password] of Object.entries(PASSWORDS)) await users.set(name, password);
});
after(() => rmSync(usersDir, { recursive: true, force: true }));

/**
 * A server under --auth local. This file makes more deliberate refusals per room than the token-failure backoff
 * lets through free (its own tests are in tokenGuessing.test.ts), so the free allowance is raised here.
 */
function localServer(): Promise<TestServer> {
  return startServer(
    { auth: authConfig(usersDir, { mode: 'local', usersFile: join(usersDir, 'users.json') }) },
    process.env,
    { tokenFailureLimits: { FreeFailuresPerRoom: 100, FreeFailuresPerAddress: 100 } },
  );
}

const basic = (user: User) => ({ authorization: basicHeader(user, PASSWORDS[user]) });
const as = (user: User) => ({ headers: basic(user) });
const joinAs = (user: User) => ({ io: { extraHeaders: basic(user) } });

test('a private room is seen and entered by its owner user, its allowed users and token holders only', async () => {
  const server = await localServer();
  try {
    const made = await api(server, 'POST', '/api/rooms', { ...as('alice'), body: { name: 'secret', private: true, allowedUsers: ['local:bob'] } });
    assert.equal(made.status, 201, made.text);
    const id = made.body.id as string;
    // Another user's public room, whose tokens are no key to the private one.
    const other = await api(server, 'POST', '/api/rooms', { ...as('carol'), body: {} });
    assert.equal(other.status, 201, other.text);

    const listedFor = async (user: User): Promise<boolean> => {
      const list = await api(server, 'GET', '/api/rooms', as(user));
      assert.equal(list.status, 200, list.text);
      return (list.body as Array<{ id: string }>).some((room) => room.id === id);
    };
    assert.equal(await listedFor('alice'), true, 'listed for its owner user');
    assert.equal(await listedFor('bob'), true, 'listed for an allowed user');
    assert.equal(await listedFor('carol'), false, 'not listed for a signed-in user who is not allowed');
    assert.equal((await api(server, 'GET', '/api/rooms')).status, 401, 'no list at all without a credential');

    // Without a credential there is no connection at all; a capability token is the only way in.
    assert.equal(await handshake(server.url), 'unauthorized');

    const alice = await joinMember(server.url, id, joinAs('alice'));
    const bob = await joinMember(server.url, id, joinAs('bob'));
    const carol = await joinMember(server.url, id, joinAs('carol'));
    const otherRoomToken = await joinMember(server.url, id, { io: { auth: { token: other.body.writeToken } } });
    const unknown = await joinMember(server.url, 'no-such-room', joinAs('carol'));
    try {
      assert.equal(alice.reply.ok && alice.reply.role, 'owner', 'the creator is owner without a token');
      assert.equal(bob.reply.ok && bob.reply.role, 'viewer', 'allowed users enter as viewers');
      assert.equal(unknown.reply.ok, false);
      assert.deepEqual(carol.reply, unknown.reply, 'the same answer as for no room');
      assert.deepEqual(otherRoomToken.reply, unknown.reply, 'another room\'s token: the same answer');

      // REST: the same answers for the private room as for no room, whoever is refused and however.
      const refusedRead = async (path: string, options: Parameters<typeof api>[3]): Promise<void> => {
        const real = await api(server, 'GET', path.replace('ROOM', id), options);
        const none = await api(server, 'GET', path.replace('ROOM', 'no-such-room'), options);
        assert.ok(real.status >= 400, `${path}: ${real.status}`);
        assert.deepEqual([real.status, real.body], [none.status, none.body], `${path} with ${JSON.stringify(options)}`);
      };
      await refusedRead('/api/rooms/ROOM', as('carol'));
      assert.equal((await api(server, 'GET', `/api/rooms/${id}`, as('carol'))).status, 404);
      await refusedRead('/api/rooms/ROOM/screen', as('carol'));
      await refusedRead('/api/rooms/ROOM', { token: other.body.writeToken });
      await refusedRead('/api/rooms/ROOM', {});
      assert.equal((await api(server, 'GET', `/api/rooms/${id}`, as('alice'))).status, 200);
      assert.equal((await api(server, 'GET', `/api/rooms/${id}/screen`, as('bob'))).status, 200);

      // Carol gets in with a token, and so does a client with no sign-in that holds one; revoking it removes
      // both, while Bob (an allowed user) is untouched.
      const minted = (await api(server, 'POST', `/api/rooms/${id}/tokens`, { token: made.body.ownerToken, body: { role: 'writer' } })).body as MintedToken;
      const carolWithToken = await joinMember(server.url, id, { token: minted.token, ...joinAs('carol') });
      assert.equal(carolWithToken.reply.ok && carolWithToken.reply.role, 'writer');
      const tokenOnly = await joinMember(server.url, id, { io: { auth: { token: minted.token } } });
      assert.equal(tokenOnly.reply.ok && tokenOnly.reply.role, 'writer', 'a token holder without sign-in');
      assert.equal((await api(server, 'GET', `/api/rooms/${id}`, { token: minted.token })).status, 200);
      // A signed-in user's standing never covers for a wrong token: a wrong token is a failed attempt.
      const aliceWrongToken = await joinMember(server.url, id, { token: 'A'.repeat(43), ...joinAs('alice') });
      assert.equal(aliceWrongToken.reply.ok, false);
      aliceWrongToken.close();
      await api(server, 'DELETE', `/api/rooms/${id}/tokens/${minted.id}`, { token: made.body.ownerToken });
      await waitFor(() => carolWithToken.errors.some((e) => e.code === 'revoked'), 'carol to be told');
      await waitFor(() => tokenOnly.errors.some((e) => e.code === 'revoked'), 'the token holder to be told');
      await waitFor(() => alice.members.length === 2, 'the list to hold alice and bob only');
      assert.deepEqual(bob.errors, []);
      carolWithToken.close();
      tokenOnly.close();
    } finally {
      for (const member of [alice, bob, carol, otherRoomToken, unknown]) member.close();
    }
  } finally {
    await server.close();
  }
});

test('a public room created by a signed-in user: it owns it without a token; a writer token held by the owner user keeps owner', async () => {
  const server = await localServer();
  try {
    const made = await api(server, 'POST', '/api/rooms', { ...as('alice'), body: {} });
    assert.equal(made.status, 201, made.text);
    const id = made.body.id as string;
    assert.equal((await api(server, 'GET', '/api/rooms', as('carol'))).body.some((room: { id: string }) => room.id === id), true, 'public rooms are listed');
    const owner = await joinMember(server.url, id, joinAs('alice'));
    const ownerWithWriterToken = await joinMember(server.url, id, { token: made.body.writeToken, ...joinAs('alice') });
    const stranger = await joinMember(server.url, id, joinAs('carol'));
    const tokenOnly = await joinMember(server.url, id, { io: { auth: { token: made.body.writeToken } } });
    try {
      assert.equal(owner.reply.ok && owner.reply.role, 'owner');
      assert.equal(ownerWithWriterToken.reply.ok && ownerWithWriterToken.reply.role, 'owner', 'the best of token and standing');
      assert.equal(stranger.reply.ok && stranger.reply.role, 'viewer');
      assert.equal(tokenOnly.reply.ok && tokenOnly.reply.role, 'writer', 'without sign-in, what the token gives');
    } finally {
      owner.close();
      ownerWithWriterToken.close();
      stranger.close();
      tokenOnly.close();
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
