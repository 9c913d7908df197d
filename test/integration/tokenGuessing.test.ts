// H1: 1 000 wrong tokens for one room from one address are throttled after a few, with the same answers whether the
// room exists or not; another address is unaffected; a correct token waits out the backoff; refusals are audited
// in aggregate. Real sockets and REST, on the app's injectable clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JoinReply } from '../../server/shared/events.js';
import { AuditAggregation } from '../../server/audit/auditCounter.js';
import { EventRateLimits } from '../../server/realtime/eventRateLimiter.js';
import { TokenFailureLimits } from '../../server/auth/tokenFailures.js';
import { startServer } from '../helpers/server.js';
import { joinMember, type Member } from '../helpers/member.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { ManualClock } from '../helpers/manualClock.js';
import { api } from '../helpers/api.js';

const GUESSES = 1000;
/** Another loopback address (Linux routes all of 127/8 to lo), standing for a second client. */
const OTHER_ADDRESS = '127.0.0.2';

/** The manual clock does not move during the burst, so the per-socket event budget must not refill to pass 2 000 joins. */
const ROOMY_EVENTS = { ...EventRateLimits, Burst: 10 * GUESSES, FloodRefusedPerWindow: 10 * GUESSES };

async function guess(member: Member, roomId: string, count: number): Promise<JoinReply[]> {
  const replies: JoinReply[] = [];
  for (let i = 0; i < count; i++) {
    replies.push(await member.socket.emitWithAck('room:join', { roomId, token: `wrong${i}`.padEnd(43, 'x') }));
  }
  return replies;
}

test('H1: wrong tokens are throttled after a few, the same for an unknown room; other addresses are unaffected', async () => {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  const server = await startServer({}, process.env, { clock, audit, rateLimits: ROOMY_EVENTS });
  const created = await server.createRoom();
  // A socket that never joins: every attempt below is a failure or a refusal.
  const guesser = await joinMember(server.url, 'not-a-room');
  try {
    const real = await guess(guesser, created.id, GUESSES);
    const unknown = await guess(guesser, 'no-such-room-at-all', GUESSES);
    const codes = (replies: JoinReply[]): string[] => replies.map((reply) => (reply.ok ? 'ok' : reply.code));
    const free = TokenFailureLimits.FreeFailuresPerRoom;
    // The guesser's own first join (to a made-up room) counted as one failure of the address, not of these rooms.
    assert.deepEqual(codes(real).slice(0, free + 1), [...Array(free).fill('not-found'), 'rate-limited']);
    assert.equal(codes(real).filter((code) => code === 'not-found').length, free, `throttled after ${free}`);
    assert.deepEqual(unknown, real, 'exactly the same answers whether the room exists or not');

    // Another address is unaffected.
    const other = await joinMember(server.url, created.id, { token: created.writeToken, io: { localAddress: OTHER_ADDRESS } });
    assert.equal(other.reply.ok && other.reply.role, 'writer');
    other.close();

    // The right token from the throttled address is refused during the backoff (the check is skipped, so the
    // backoff tells a guesser nothing about its guesses), and accepted once it has passed.
    const early = await joinMember(server.url, created.id, { token: created.writeToken });
    assert.equal(early.reply.ok === false && early.reply.code, 'rate-limited');
    early.close();
    // REST bearer calls share the limiter: the owner token is refused too, for this room and the unknown one alike.
    const restRefusal = await api(server, 'GET', `/api/rooms/${created.id}/tokens`, { token: created.ownerToken });
    assert.equal(restRefusal.status, 429);
    assert.ok(Number(restRefusal.headers['retry-after']) > 0, 'Retry-After says when');
    assert.deepEqual((await api(server, 'GET', '/api/rooms/no-such-room-at-all/tokens', { token: created.ownerToken })).body, restRefusal.body);

    clock.advance(TokenFailureLimits.InitialBackoffMs);
    const later = await joinMember(server.url, created.id, { token: created.writeToken });
    assert.equal(later.reply.ok && later.reply.role, 'writer', 'accepted once the backoff has passed');
    later.close();

    // Audited in aggregate: one limit.refused record per address and interval, not one per attempt.
    clock.advance(AuditAggregation.IntervalMs);
    const refused = audit.of('limit.refused').filter((record) => record.detail?.limit === 'token-failures');
    assert.equal(refused.length, 1, JSON.stringify(refused));
    assert.equal(refused[0]!.address, '127.0.0.1');
    assert.ok(Number(refused[0]!.detail!.count) >= 2 * (GUESSES - free));
  } finally {
    guesser.close();
    await server.close();
  }
});

test('H1 over REST: wrong owner tokens on DELETE are throttled after a few; the room survives; the backoff doubles', async () => {
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { clock });
  try {
    const created = await server.createRoom();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await api(server, 'DELETE', `/api/rooms/${created.id}`, { token: `guess${i}`.padEnd(43, 'y') })).status);
    const free = TokenFailureLimits.FreeFailuresPerRoom;
    assert.deepEqual(statuses, [...Array(free).fill(404), ...Array(50 - free).fill(429)]);
    clock.advance(TokenFailureLimits.InitialBackoffMs);
    assert.equal((await api(server, 'DELETE', `/api/rooms/${created.id}`, { token: 'z'.repeat(43) })).status, 404, 'one more try after the backoff');
    assert.equal((await api(server, 'DELETE', `/api/rooms/${created.id}`, { token: created.ownerToken })).status, 429);
    clock.advance(TokenFailureLimits.InitialBackoffMs);
    assert.equal((await api(server, 'DELETE', `/api/rooms/${created.id}`, { token: created.ownerToken })).status, 429, 'the second backoff is twice as long');
    clock.advance(TokenFailureLimits.InitialBackoffMs);
    assert.equal((await api(server, 'DELETE', `/api/rooms/${created.id}`, { token: created.ownerToken })).status, 204);
  } finally {
    await server.close();
  }
});
