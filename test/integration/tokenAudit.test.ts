// I1 for tokens: after a full scenario (private room, mint, join, hand out the keyboard, revoke live, expire, guess)
// the audit in the store holds token.minted / token.revoked / role.changed / limit.refused records with room, address, token id
// and role, and not one token string anywhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storeBytes, storedAuditEvents } from '../helpers/audit.js';
import { TokenFailureLimits } from '../../server/auth/tokenFailures.js';
import type { MintedToken } from '../../server/shared/events.js';
import { startServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { api } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

test('the audit log of a full token scenario names token ids and roles, and holds no token', async () => {
  const server = await startServer();
  const secrets: string[] = [];
  let text = '';
  try {
    const created = await server.createRoom({ private: true });
    secrets.push(created.ownerToken, created.writeToken);
    const mint = async (body: unknown): Promise<MintedToken> => {
      const answer = await api(server, 'POST', `/api/rooms/${created.id}/tokens`, { token: created.ownerToken, body });
      assert.equal(answer.status, 201, answer.text);
      secrets.push(answer.body.token);
      return answer.body as MintedToken;
    };
    const viewerToken = await mint({ role: 'viewer', label: 'class' });
    const writerToken = await mint({ role: 'writer', label: 'pair' });
    const shortToken = await mint({ role: 'viewer', expiresInSeconds: 1 });

    const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
    const viewer = await joinMember(server.url, created.id, { token: viewerToken.token });
    const writer = await joinMember(server.url, created.id, { token: writerToken.token });
    const brief = await joinMember(server.url, created.id, { token: shortToken.token });
    try {
      owner.socket.emit('member:role', { memberId: viewer.reply.ok ? viewer.reply.memberId : '', role: 'writer' });
      await waitFor(() => viewer.roles.includes('writer'), 'the keyboard handed out');
      await api(server, 'DELETE', `/api/rooms/${created.id}/tokens/${writerToken.id}`, { token: created.ownerToken });
      await waitFor(() => writer.errors.some((e) => e.code === 'revoked'), 'the writer to be revoked');
      await waitFor(() => brief.errors.some((e) => e.code === 'revoked'), 'the short token to expire');
      // Guesses past the free failures: refused, counted, and (on shutdown) written as one aggregated record.
      for (let i = 0; i < TokenFailureLimits.FreeFailuresPerRoom + 5; i++) {
        const guess = `guess${i}`.padEnd(43, 'q');
        secrets.push(guess);
        await api(server, 'GET', `/api/rooms/${created.id}/tokens`, { token: guess });
      }
    } finally {
      for (const member of [owner, viewer, writer, brief]) member.close();
    }
    // Dispose first (idempotent) so the aggregated counts are flushed, and read before close() removes the folder.
    await server.app.dispose();
    const records = storedAuditEvents(server.dataDir);
    text = storeBytes(server.dataDir) + JSON.stringify(records);
    const minted = records.filter((r) => r.event === 'token.minted');
    assert.deepEqual(minted.map((r) => [r.detail!.tokenId, r.detail!.role]), [[viewerToken.id, 'viewer'], [writerToken.id, 'writer'], [shortToken.id, 'viewer']]);
    assert.ok(minted.every((r) => r.room === created.id && r.address === '127.0.0.1' && !Number.isNaN(Date.parse(r.time))));
    const revoked = records.filter((r) => r.event === 'token.revoked');
    assert.deepEqual(revoked.map((r) => [r.detail!.tokenId, r.detail!.reason]), [[writerToken.id, 'revoked'], [shortToken.id, 'expired']]);
    assert.equal(revoked[0]!.address, '127.0.0.1');
    assert.equal(records.filter((r) => r.event === 'role.changed').length, 1);
    const refused = records.filter((r) => r.event === 'limit.refused' && r.detail?.limit === 'token-failures');
    assert.deepEqual(refused.map((r) => [r.room, r.address, r.detail!.count]), [[created.id, '127.0.0.1', 5]]);
  } finally {
    await server.close();
  }
  assert.ok(secrets.length >= 15);
  for (const secret of secrets) assert.equal(text.includes(secret), false, `the store holds the token ${secret.slice(0, 6)}…`);
});
