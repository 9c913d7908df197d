// RoomAccess: a credential earns the best of its token's role and its user's standing, a wrong token is refused
// outright, member ids are unique, and a revoked or expired token takes back what members came in with (on the clock).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mintToken, TokenSizes } from '../../server/auth/capabilities.js';
import { RoomAccess, type AccessPolicy, type Rederived } from '../../server/rooms/access.js';
import { ManualClock } from '../helpers/manualClock.js';

const ALICE = 'local:alice';
const BOB = 'local:bob';
const MALLORY = 'local:mallory';

function access(policy?: AccessPolicy): { clock: ManualClock; access: RoomAccess; ownerToken: string; writeToken: string; rederived: Rederived[][] } {
  const clock = new ManualClock();
  const ownerToken = mintToken();
  const writeToken = mintToken();
  const room = new RoomAccess({ clock, ownerToken, writeToken, createdBy: ALICE, ...(policy ? { policy } : {}) });
  const rederived: Rederived[][] = [];
  room.onRederived((verdicts) => rederived.push(verdicts));
  return { clock, access: room, ownerToken, writeToken, rederived };
}

const PRIVATE: AccessPolicy = { private: true, ownerUser: ALICE, allowedUsers: [BOB] };

describe('RoomAccess: admission', () => {
  test('the first links earn owner and writer, with the token id; no credential in a public room earns viewer', () => {
    const { access: room, ownerToken, writeToken } = access();
    const owner = room.admit({ token: ownerToken });
    const writer = room.admit({ token: writeToken });
    assert.equal(owner?.role, 'owner');
    assert.equal(writer?.role, 'writer');
    const ids = room.capabilities.list().map((info) => info.id);
    assert.deepEqual([owner?.tokenId, writer?.tokenId], ids);
    assert.deepEqual(room.admit({}), { role: 'viewer' });
    assert.deepEqual(room.admit({ user: MALLORY }), { role: 'viewer', user: MALLORY });
  });

  test('a wrong token is refused even where the bearer would get in without one', () => {
    const { access: room, writeToken } = access();
    assert.equal(room.admit({ token: writeToken.slice(0, -1) }), undefined);
    assert.equal(room.admit({ token: mintToken() }), undefined);
    assert.equal(room.admit({ token: mintToken(), user: MALLORY }), undefined);
  });

  test('a private room: the owner user is owner, an allowed user viewer, anyone else needs a token', () => {
    const { access: room, writeToken } = access(PRIVATE);
    assert.deepEqual(room.admit({ user: ALICE }), { role: 'owner', user: ALICE });
    assert.deepEqual(room.admit({ user: BOB }), { role: 'viewer', user: BOB });
    assert.equal(room.admit({ user: MALLORY }), undefined);
    assert.equal(room.admit({}), undefined);
    assert.equal(room.admit({ token: writeToken, user: MALLORY })?.role, 'writer');
    assert.equal(room.admit({ token: mintToken(), user: ALICE }), undefined, 'a wrong token is refused even for the owner user');
  });

  test('the better of token and standing counts', () => {
    const { access: room, writeToken } = access(PRIVATE);
    const viewerLink = room.capabilities.mint({ role: 'viewer' });
    assert.equal(room.admit({ token: writeToken, user: BOB })?.role, 'writer', 'writer token beats an allowed user');
    assert.equal(room.admit({ token: viewerLink.token, user: ALICE })?.role, 'owner', 'owner user beats a viewer token');
    assert.equal(room.admit({ token: viewerLink.token, user: ALICE })?.tokenId, viewerLink.info.id);
  });

  test('an expired token is refused on the clock, a revoked one at once', () => {
    const { access: room, clock } = access(PRIVATE);
    const guest = room.capabilities.mint({ role: 'writer', expiresInMs: 60_000 });
    const other = room.capabilities.mint({ role: 'viewer' });
    clock.advance(59_999);
    assert.equal(room.admit({ token: guest.token })?.role, 'writer');
    clock.advance(1);
    assert.equal(room.admit({ token: guest.token }), undefined);
    room.capabilities.revoke(other.info.id);
    assert.equal(room.admit({ token: other.token }), undefined);
  });

  test('isOwnerToken is true for the owner link only', () => {
    const { access: room, ownerToken, writeToken } = access();
    assert.equal(room.isOwnerToken(ownerToken), true);
    assert.equal(room.isOwnerToken(writeToken), false);
    assert.equal(room.isOwnerToken(mintToken()), false);
  });

  test('a public room is listed for everyone, a private one for its owner and allowed users only', () => {
    const open = access().access;
    const closed = access(PRIVATE).access;
    for (const user of [undefined, ALICE, MALLORY]) assert.equal(open.visibleTo(user), true);
    assert.equal(closed.visibleTo(ALICE), true);
    assert.equal(closed.visibleTo(BOB), true);
    assert.equal(closed.visibleTo(MALLORY), false);
    assert.equal(closed.visibleTo(undefined), false);
    assert.equal(closed.ownerUser, ALICE);
    assert.equal(open.ownerUser, undefined);
  });
});

describe('RoomAccess: members and revocation', () => {
  test('member ids are distinct and of the member-id size', () => {
    const { access: room } = access();
    const ids = new Set(Array.from({ length: 500 }, () => room.enter({ role: 'viewer' })));
    assert.equal(ids.size, 500);
    for (const id of ids) assert.equal(Buffer.from(id, 'base64url').length, TokenSizes.MemberIdBytes);
  });

  test('revoking a token re-derives exactly the members that came in with it, in entry order', () => {
    const { access: room, writeToken, rederived } = access(PRIVATE);
    const writerToken = room.admit({ token: writeToken })!;
    const guest = room.capabilities.mint({ role: 'writer' });
    const viaGuest = room.admit({ token: guest.token, user: MALLORY })!;
    const bob = room.enter(room.admit({ token: guest.token, user: BOB })!);
    const alice = room.enter(room.admit({ token: guest.token, user: ALICE })!);
    const mallory = room.enter(viaGuest);
    room.enter(writerToken);
    const left = room.enter(viaGuest);
    room.leave(left);
    room.capabilities.revoke(guest.info.id);
    assert.deepEqual(rederived, [[
      { memberId: bob, role: 'viewer' },
      { memberId: alice, role: 'owner' },
      { memberId: mallory, role: 'remove' },
    ]]);
  });

  test('in a public room a member left without its token stays as a viewer', () => {
    const { access: room, writeToken, rederived } = access();
    const member = room.enter(room.admit({ token: writeToken })!);
    room.capabilities.revoke(room.admit({ token: writeToken })!.tokenId!);
    assert.deepEqual(rederived, [[{ memberId: member, role: 'viewer' }]]);
  });

  test('a token that no member holds goes without a verdict', () => {
    const { access: room, rederived } = access(PRIVATE);
    const unused = room.capabilities.mint({ role: 'viewer' });
    room.enter(room.admit({ user: BOB })!);
    room.capabilities.revoke(unused.info.id);
    assert.deepEqual(rederived, []);
  });

  test('expiry re-derives on the clock, not before', () => {
    const { access: room, clock, rederived } = access(PRIVATE);
    const guest = room.capabilities.mint({ role: 'writer', expiresInMs: 30_000 });
    const withUser = room.enter(room.admit({ token: guest.token, user: BOB })!);
    const anonymous = room.enter(room.admit({ token: guest.token })!);
    clock.advance(29_999);
    assert.deepEqual(rederived, []);
    clock.advance(1);
    assert.deepEqual(rederived, [[{ memberId: withUser, role: 'viewer' }, { memberId: anonymous, role: 'remove' }]]);
  });

  test('dispose cancels every expiry timer', () => {
    const { access: room, clock, rederived } = access();
    room.capabilities.mint({ role: 'writer', expiresInMs: 1_000 });
    room.enter(room.admit({})!);
    assert.equal(clock.pending, 1);
    room.dispose();
    assert.equal(clock.pending, 0);
    clock.advance(1_000);
    assert.deepEqual(rederived, []);
  });
});
