// CapabilityStore: minted tokens are found only by their exact secret, listed without it, revoked and expired on
// the store's clock (firing onRemoved once), and a room holds a bounded number of them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CapabilityLimits, CapabilityStore, CapabilityStoreFullError } from '../../server/auth/capabilityStore.js';
import { ManualClock } from '../helpers/manualClock.js';

function store(): { clock: ManualClock; capabilities: CapabilityStore; removed: string[] } {
  const clock = new ManualClock();
  const capabilities = new CapabilityStore(clock);
  const removed: string[] = [];
  capabilities.onRemoved(({ info, reason }) => removed.push(`${info.id}:${reason}`));
  return { clock, capabilities, removed };
}

describe('CapabilityStore', () => {
  test('a minted token is found by its secret with its role; a near miss and another room\'s token are not', () => {
    const { capabilities } = store();
    const viewer = capabilities.mint({ role: 'viewer', label: 'class' });
    const writer = capabilities.mint({ role: 'writer' });
    const elsewhere = new CapabilityStore(new ManualClock()).mint({ role: 'writer' });
    assert.equal(capabilities.lookup(viewer.token)?.id, viewer.info.id);
    assert.equal(capabilities.lookup(viewer.token)?.role, 'viewer');
    assert.equal(capabilities.lookup(writer.token)?.role, 'writer');
    assert.equal(capabilities.lookup(writer.token.slice(0, -1)), undefined);
    assert.equal(capabilities.lookup(`${writer.token}A`), undefined);
    assert.equal(capabilities.lookup(elsewhere.token), undefined);
    assert.notEqual(viewer.token, writer.token, 'every mint is a new secret');
  });

  test('the token with the same secret is found wherever it sits among many', () => {
    const { capabilities } = store();
    const minted = Array.from({ length: 50 }, (_, i) => capabilities.mint({ role: i % 2 ? 'writer' : 'viewer' }));
    for (const { token, info } of [minted[0]!, minted[25]!, minted[49]!]) assert.equal(capabilities.lookup(token)?.id, info.id);
  });

  test('the list carries ids, roles, labels, creators and expiry, and neither the token nor its hash', () => {
    const { capabilities, clock } = store();
    const { token, info } = capabilities.mint({ role: 'writer', label: 'pair', createdBy: 'local:alice', expiresInMs: 60_000 });
    const list = capabilities.list();
    assert.deepEqual(list, [{
      id: info.id,
      role: 'writer',
      label: 'pair',
      createdBy: 'local:alice',
      createdAt: new Date(clock.now()).toISOString(),
      expiresAt: new Date(clock.now() + 60_000).toISOString(),
    }]);
    assert.equal(JSON.stringify(list).includes(token), false);
    assert.ok(info.id.length < token.length / 2, 'the public id is short and not the token');
  });

  test('revoke forgets the token at once and says so once; revoking again is a no-op', () => {
    const { capabilities, removed } = store();
    const { token, info } = capabilities.mint({ role: 'writer' });
    assert.equal(capabilities.revoke(info.id)?.id, info.id);
    assert.equal(capabilities.lookup(token), undefined);
    assert.equal(capabilities.isValid(info.id), false);
    assert.equal(capabilities.revoke(info.id), undefined);
    assert.deepEqual(removed, [`${info.id}:revoked`]);
  });

  test('a token expires on the clock: valid until then, removed with reason expired at that moment', () => {
    const { capabilities, clock, removed } = store();
    const { token, info } = capabilities.mint({ role: 'viewer', expiresInMs: 10_000 });
    const forever = capabilities.mint({ role: 'viewer' });
    clock.advance(9_999);
    assert.equal(capabilities.lookup(token)?.id, info.id);
    assert.deepEqual(removed, []);
    clock.advance(1);
    assert.equal(capabilities.lookup(token), undefined);
    assert.deepEqual(removed, [`${info.id}:expired`]);
    assert.equal(capabilities.lookup(forever.token)?.id, forever.info.id);
  });

  test(`a room holds at most ${CapabilityLimits.MaxTokensPerRoom} tokens; revoking one makes room`, () => {
    const { capabilities } = store();
    let last = '';
    for (let i = 0; i < CapabilityLimits.MaxTokensPerRoom; i++) last = capabilities.mint({ role: 'viewer' }).info.id;
    assert.throws(() => capabilities.mint({ role: 'viewer' }), CapabilityStoreFullError);
    capabilities.revoke(last);
    assert.ok(capabilities.mint({ role: 'viewer' }).token.length > 0);
  });

  test('dispose cancels expiry timers', () => {
    const { capabilities, clock } = store();
    capabilities.mint({ role: 'viewer', expiresInMs: 1_000 });
    assert.equal(clock.pending, 1);
    capabilities.dispose();
    assert.equal(clock.pending, 0);
  });
});
