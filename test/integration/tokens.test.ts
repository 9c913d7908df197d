// Capability tokens over the API (owner only): mint, list without secrets, revoke; every payload validated; tokens
// never read from query strings (A8); revocation and expiry reach connected members at once (B4, real pty).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../helpers/server.js';
import { api, type Answer } from '../helpers/api.js';
import { joinMember } from '../helpers/member.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { ManualClock } from '../helpers/manualClock.js';
import { waitFor } from '../helpers/wait.js';
import { assertNeverEchoed } from '../helpers/echo.js';
import type { MintedToken, TokenSummary } from '../../server/shared/events.js';

/** These tests make many deliberate failures from one address; H1's own tests use the real limits. */
const LENIENT = { tokenFailureLimits: { FreeFailuresPerRoom: 10_000, FreeFailuresPerAddress: 10_000 } };

test('the owner mints, lists and revokes tokens; the list never holds a secret; bad bodies get clear 400s', async () => {
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { ...LENIENT, audit });
  try {
    const created = await server.createRoom();
    const path = `/api/rooms/${created.id}/tokens`;
    const owner = created.ownerToken;

    const minted = await api(server, 'POST', path, { token: owner, body: { role: 'viewer', label: 'class', expiresInSeconds: 3600 } });
    assert.equal(minted.status, 201, minted.text);
    const viewer = minted.body as MintedToken;
    assert.equal(viewer.role, 'viewer');
    assert.ok(viewer.token.length >= 22, 'at least 128 bits of base64url');
    assert.equal(viewer.url, `${server.url}/r/${created.id}#token=${viewer.token}`, 'the token travels in the fragment only');
    assert.ok(Date.parse(viewer.expiresAt!) > Date.now());
    const writer = (await api(server, 'POST', path, { token: owner, body: { role: 'writer' } })).body as MintedToken;
    assert.notEqual(writer.token, viewer.token);
    assert.equal(writer.expiresAt, undefined);

    const listed = await api(server, 'GET', path, { token: owner });
    assert.equal(listed.status, 200);
    const list = listed.body as TokenSummary[];
    assert.deepEqual(list.map((entry) => entry.role).sort(), ['owner', 'viewer', 'writer', 'writer']);
    assert.equal(list.find((entry) => entry.id === viewer.id)?.label, 'class');
    for (const secret of [owner, created.writeToken, viewer.token, writer.token]) {
      assert.equal(listed.text.includes(secret), false, 'no token in the list');
    }

    // Validation: type, range, size; each a 400 with a message, and nothing minted.
    const bad: unknown[] = [
      { role: 'owner' }, {}, { role: 'viewer', expiresInSeconds: 0 }, { role: 'viewer', expiresInSeconds: -1 },
      { role: 'viewer', expiresInSeconds: 1.5 }, { role: 'viewer', expiresInSeconds: '60' }, { role: 'viewer', expiresInSeconds: 1e12 },
      { role: 'viewer', label: 'x'.repeat(10_000) }, { role: 'viewer', label: 7 }, { role: 'viewer', admin: true }, ['viewer'], 'viewer',
    ];
    for (const body of bad) {
      const answer = await api(server, 'POST', path, { token: owner, body });
      assert.equal(answer.status, 400, `${JSON.stringify(body)} → ${answer.text}`);
      assert.equal(answer.body.error.code, 'bad-request');
      assert.ok(answer.body.error.message.length > 0);
    }
    assert.equal((await api(server, 'POST', path, { token: owner, raw: '{"role":' })).status, 400);
    assert.equal((await api(server, 'GET', path, { token: owner })).body.length, 4, 'nothing was minted by a bad request');

    // Revoking: once 204, then 404; the owner token cannot be revoked; an unknown id is 404.
    assert.equal((await api(server, 'DELETE', `${path}/${viewer.id}`, { token: owner })).status, 204);
    assert.equal((await api(server, 'DELETE', `${path}/${viewer.id}`, { token: owner })).status, 404);
    const ownerEntry = list.find((entry) => entry.role === 'owner')!;
    assert.equal((await api(server, 'DELETE', `${path}/${ownerEntry.id}`, { token: owner })).status, 409);
    assert.equal((await api(server, 'DELETE', `${path}/no-such-token`, { token: owner })).status, 404);
    const revokedJoin = await joinMember(server.url, created.id, { token: viewer.token });
    assert.equal(revokedJoin.reply.ok, false, 'a revoked token no longer joins');
    revokedJoin.close();

    // Audited with room, address, token id and role; never the token.
    const mintedRecords = audit.of('token.minted');
    assert.equal(mintedRecords.length, 2);
    assert.deepEqual(
      { room: mintedRecords[0]!.room, tokenId: mintedRecords[0]!.detail!.tokenId, role: mintedRecords[0]!.detail!.role },
      { room: created.id, tokenId: viewer.id, role: 'viewer' },
    );
    assert.ok(mintedRecords[0]!.address);
    const revoked = audit.of('token.revoked');
    assert.equal(revoked.length, 1);
    assert.deepEqual([revoked[0]!.detail!.tokenId, revoked[0]!.detail!.reason], [viewer.id, 'revoked']);
  } finally {
    await server.close();
  }
});

test('only the owner token opens the token API; every refusal is the same not-found; query-string tokens are ignored (A8)', async () => {
  const server = await startServer({}, process.env, LENIENT);
  try {
    const created = await server.createRoom();
    const other = await server.createRoom();
    const path = `/api/rooms/${created.id}/tokens`;
    const refusals: Answer[] = [
      await api(server, 'GET', path),
      await api(server, 'GET', path, { token: created.writeToken }),
      await api(server, 'GET', path, { token: other.ownerToken }),
      await api(server, 'GET', path, { token: 'A'.repeat(43) }),
      await api(server, 'GET', path, { headers: { authorization: `Basic ${created.ownerToken}` } }),
      await api(server, 'GET', path, { headers: { authorization: `Bearer ${created.ownerToken}?` } }),
      await api(server, 'GET', '/api/rooms/no-such-room/tokens', { token: created.ownerToken }),
      await api(server, 'POST', path, { token: created.writeToken, body: { role: 'writer' } }),
      await api(server, 'DELETE', `${path}/x`, { token: created.writeToken }),
      // A8: the owner token in a query string counts for nothing.
      await api(server, 'GET', `${path}?token=${created.ownerToken}`),
      await api(server, 'POST', `${path}?token=${created.ownerToken}`, { body: { role: 'writer' } }),
      await api(server, 'DELETE', `/api/rooms/${created.id}?token=${created.ownerToken}`),
    ];
    for (const refusal of refusals) {
      assert.equal(refusal.status, 404, refusal.text);
      assert.deepEqual(refusal.body, refusals[0]!.body, 'the same answer for every kind of no');
    }
    assert.equal((await api(server, 'GET', `/api/rooms/${created.id}`)).status, 200, 'the room was not closed by the query-string token');
    // The property can fail: the same token as a bearer does work.
    assert.equal((await api(server, 'GET', path, { token: created.ownerToken })).status, 200);

    // A socket handshake's query string does not carry a token either: the member joins as a viewer.
    const member = await joinMember(server.url, created.id, { io: { query: { token: created.writeToken } } });
    assert.equal(member.reply.ok && member.reply.role, 'viewer');
    member.close();
  } finally {
    await server.close();
  }
});

test('B4: a writer whose token is revoked while connected becomes a viewer at once; its next input never reaches the PTY', async () => {
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { audit });
  const created = await server.createRoom();
  const room = server.app.rooms.get(created.id)!;
  const minted = (await api(server, 'POST', `/api/rooms/${created.id}/tokens`, { token: created.ownerToken, body: { role: 'writer', label: 'pair' } })).body as MintedToken;
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken, name: 'lead' });
  const writer = await joinMember(server.url, created.id, { token: minted.token, name: 'pair' });
  try {
    assert.equal(writer.reply.ok && writer.reply.role, 'writer');
    const before = join(server.dataDir, 'typed-before');
    writer.socket.emit('term:input', `touch ${before}\r`);
    await waitFor(() => existsSync(before), 'the writer\'s command to run while it may write');

    assert.equal((await api(server, 'DELETE', `/api/rooms/${created.id}/tokens/${minted.id}`, { token: created.ownerToken })).status, 204);
    const after = join(server.dataDir, 'typed-after-revoke');
    writer.socket.emit('term:input', `touch ${after}\r`);
    await waitFor(() => writer.errors.some((error) => error.code === 'forbidden'), 'the next input to be refused');
    assert.deepEqual(writer.roles, ['viewer'], 'told its new role');
    await waitFor(() => owner.members.find((m) => m.name === 'pair')?.role === 'viewer', 'the member list to show the change');
    await assertNeverEchoed(owner, owner, 'typed-after-revoke');
    assert.equal((await room.screenText()).includes('typed-after-revoke'), false, 'nor is it on the mirror');
    assert.equal(existsSync(after), false, 'the command never ran');
    assert.equal(writer.socket.connected, true, 'a public room keeps it as a viewer');
  } finally {
    owner.close();
    writer.close();
    await server.close();
  }
});

test('in a private room a member whose only token is revoked is told (revoked) and disconnected; the list drops it', async () => {
  const server = await startServer();
  try {
    const created = await server.createRoom({ private: true });
    const anonymous = await joinMember(server.url, created.id);
    assert.deepEqual(anonymous.reply, { ok: false, code: 'not-found', message: 'no such room, or the link is not valid' });
    anonymous.close();
    assert.equal((await api(server, 'GET', '/api/rooms')).body.some((r: { id: string }) => r.id === created.id), false, 'not listed');
    assert.equal((await api(server, 'GET', `/api/rooms/${created.id}`)).status, 404);
    assert.equal((await api(server, 'GET', `/api/rooms/${created.id}/screen`)).status, 404);

    const minted = (await api(server, 'POST', `/api/rooms/${created.id}/tokens`, { token: created.ownerToken, body: { role: 'viewer' } })).body as MintedToken;
    assert.equal((await api(server, 'GET', `/api/rooms/${created.id}`, { token: minted.token })).status, 200);
    const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
    const guest = await joinMember(server.url, created.id, { token: minted.token, name: 'guest' });
    try {
      assert.equal(guest.reply.ok && guest.reply.role, 'viewer');
      await waitFor(() => owner.members.length === 2, 'both members listed');
      let disconnected: string | undefined;
      guest.socket.on('disconnect', (reason) => {
        disconnected = reason;
      });
      assert.equal((await api(server, 'DELETE', `/api/rooms/${created.id}/tokens/${minted.id}`, { token: created.ownerToken })).status, 204);
      await waitFor(() => disconnected !== undefined, 'the guest to be disconnected');
      assert.equal(disconnected, 'io server disconnect');
      assert.deepEqual(guest.errors.map((e) => e.code), ['revoked']);
      await waitFor(() => owner.members.length === 1, 'the member list to drop the guest');
    } finally {
      owner.close();
      guest.close();
    }
  } finally {
    await server.close();
  }
});

test('a token expires on the server clock: the writer falls back to viewer, the private-room guest is disconnected, both audited', async () => {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { clock, audit });
  try {
    const open = await server.createRoom();
    const closed = await server.createRoom({ private: true });
    const mint = async (roomId: string, ownerToken: string, role: string): Promise<MintedToken> =>
      (await api(server, 'POST', `/api/rooms/${roomId}/tokens`, { token: ownerToken, body: { role, expiresInSeconds: 60 } })).body as MintedToken;
    const writerToken = await mint(open.id, open.ownerToken, 'writer');
    const guestToken = await mint(closed.id, closed.ownerToken, 'viewer');
    assert.equal(writerToken.expiresAt, new Date(clock.now() + 60_000).toISOString());
    const writer = await joinMember(server.url, open.id, { token: writerToken.token });
    const guest = await joinMember(server.url, closed.id, { token: guestToken.token });
    try {
      clock.advance(59_999);
      await writer.barrier();
      assert.deepEqual(writer.roles, []);
      clock.advance(1);
      await waitFor(() => writer.roles.length === 1 && guest.errors.length === 1, 'both to hear of the expiry');
      assert.deepEqual(writer.roles, ['viewer']);
      assert.equal(guest.errors[0]!.code, 'revoked');
      await waitFor(() => !guest.socket.connected, 'the guest to be disconnected');
      writer.socket.emit('term:input', 'echo nope\r');
      await waitFor(() => writer.errors.some((e) => e.code === 'forbidden'), 'input after expiry to be refused');
      const expired = audit.of('token.revoked').filter((r) => r.detail?.reason === 'expired');
      assert.deepEqual(expired.map((r) => r.detail!.tokenId).sort(), [writerToken.id, guestToken.id].sort());
      const late = await joinMember(server.url, open.id, { token: writerToken.token });
      assert.equal(late.reply.ok, false, 'an expired token no longer joins');
      late.close();
    } finally {
      writer.close();
      guest.close();
    }
  } finally {
    await server.close();
  }
});
