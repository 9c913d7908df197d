// The room door (admitToRoom): one answer for REST and sockets. Every kind of "no" is the same not-found, each
// costs a failure, a backing-off address is refused even with a right token, and the member cap spares owners.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Auditor } from '../../server/audit/auditLog.js';
import { mintToken } from '../../server/auth/capabilities.js';
import { TokenFailureLimiter, TokenFailureLimits } from '../../server/auth/tokenFailures.js';
import { NOT_FOUND_MESSAGE } from '../../server/shared/events.js';
import { RoomAccess, type AccessPolicy } from '../../server/rooms/access.js';
import { admitToRoom, type DoorAnswer, type DoorRequest } from '../../server/rooms/door.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { ManualClock } from '../helpers/manualClock.js';

const { FreeFailuresPerRoom, InitialBackoffMs } = TokenFailureLimits;
const ADDRESS = '10.0.0.7';

interface FakeRoom {
  id: string;
  access: RoomAccess;
  memberCount: number;
}

function door(policy?: AccessPolicy) {
  const clock = new ManualClock();
  const limiter = new TokenFailureLimiter(clock, new Auditor(new MemoryAuditLog(), clock));
  const ownerToken = mintToken();
  const writeToken = mintToken();
  const room: FakeRoom = { id: 'room-1', access: new RoomAccess({ clock, ownerToken, writeToken, ...(policy ? { policy } : {}) }), memberCount: 0 };
  const rooms = new Map([[room.id, room]]);
  const knock = (request: Partial<DoorRequest>): DoorAnswer<FakeRoom> =>
    admitToRoom(rooms, limiter, { roomId: room.id, credential: {}, address: ADDRESS, ...request });
  return { clock, room, ownerToken, writeToken, knock };
}

const NOT_FOUND = { kind: 'not-found', code: 'not-found', message: NOT_FOUND_MESSAGE };

describe('admitToRoom', () => {
  test('a good credential is admitted with the room and what it earned', () => {
    const { room, writeToken, knock } = door();
    const answer = knock({ credential: { token: writeToken } });
    assert.equal(answer.kind, 'admitted');
    assert.equal(answer.kind === 'admitted' && answer.room, room);
    assert.equal(answer.kind === 'admitted' && answer.admission.role, 'writer');
  });

  test('unknown room, unreadable id, wrong token, malformed credential, private room, too low a role: one answer', () => {
    const { writeToken, knock } = door({ private: true, allowedUsers: [] });
    assert.deepEqual(knock({ roomId: 'no-such-room', credential: { token: writeToken } }), NOT_FOUND);
    assert.deepEqual(knock({ roomId: undefined, credential: { token: writeToken } }), NOT_FOUND);
    assert.deepEqual(knock({ credential: { token: mintToken() } }), NOT_FOUND);
    assert.deepEqual(knock({ credential: 'malformed' }), NOT_FOUND);
    assert.deepEqual(knock({ credential: {} }), NOT_FOUND);
    assert.deepEqual(knock({ credential: { token: writeToken }, need: 'owner' }), NOT_FOUND);
  });

  test('every refusal costs a failure: past the free ones even the right token is throttled, until the backoff ends', () => {
    const { clock, ownerToken, knock } = door();
    for (let i = 0; i < FreeFailuresPerRoom - 1; i++) assert.equal(knock({ credential: { token: mintToken() } }).kind, 'not-found');
    assert.equal(knock({ credential: { token: ownerToken }, need: 'owner' }).kind, 'admitted', 'a success does not count');
    for (let i = 0; i < FreeFailuresPerRoom; i++) assert.equal(knock({ credential: 'malformed' }).kind, 'not-found');
    const throttled = knock({ credential: { token: ownerToken } });
    assert.deepEqual(throttled, {
      kind: 'throttled',
      code: 'rate-limited',
      message: `too many failed attempts from your address; try again in ${InitialBackoffMs / 1000} s`,
      retryAfterSeconds: InitialBackoffMs / 1000,
    });
    assert.equal(knock({ credential: { token: ownerToken }, address: '10.0.0.8' }).kind, 'admitted', 'another address is not held back');
    clock.advance(InitialBackoffMs);
    assert.equal(knock({ credential: { token: ownerToken } }).kind, 'admitted');
  });

  test('the wait is said in whole seconds, rounded up', () => {
    const { clock, knock } = door();
    for (let i = 0; i < FreeFailuresPerRoom; i++) knock({ credential: 'malformed' });
    clock.advance(1);
    const answer = knock({});
    assert.equal(answer.kind === 'throttled' && answer.retryAfterSeconds, Math.ceil((InitialBackoffMs - 1) / 1000));
  });

  test('a full room refuses all but owners; the refusal costs no failure; 0 or no cap means no limit', () => {
    const { room, ownerToken, writeToken, knock } = door({ private: false, ownerUser: 'local:alice', allowedUsers: [] });
    room.memberCount = 3;
    const full = knock({ credential: { token: writeToken }, maxMembers: 3 });
    assert.deepEqual(full, { kind: 'room-full', code: 'room-full', message: 'the room is full (3 members); try again later', room, max: 3 });
    assert.equal(knock({ credential: {}, maxMembers: 3 }).kind, 'room-full');
    assert.equal(knock({ credential: { token: ownerToken }, maxMembers: 3 }).kind, 'admitted');
    assert.equal(knock({ credential: { user: 'local:alice' }, maxMembers: 3 }).kind, 'admitted', 'the owner user too');
    assert.equal(knock({ credential: {}, maxMembers: 4 }).kind, 'admitted');
    assert.equal(knock({ credential: {}, maxMembers: 0 }).kind, 'admitted');
    assert.equal(knock({ credential: {} }).kind, 'admitted');
    for (let i = 0; i < 2 * FreeFailuresPerRoom; i++) assert.equal(knock({ credential: {}, maxMembers: 3 }).kind, 'room-full');
  });
});
