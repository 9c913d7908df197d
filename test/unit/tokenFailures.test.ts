// TokenFailureLimiter (H1): a few free failures, then a backoff that doubles up to its cap, per address and per
// (address, room); the check is skipped while backing off; other addresses are untouched; memory is bounded.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Auditor } from '../../server/audit/auditLog.js';
import { AuditAggregation } from '../../server/audit/auditCounter.js';
import { TokenFailureLimiter, TokenFailureLimits, type Attempt } from '../../server/auth/tokenFailures.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { ManualClock } from '../helpers/manualClock.js';

const { FreeFailuresPerRoom, FreeFailuresPerAddress, InitialBackoffMs, MaxBackoffMs } = TokenFailureLimits;

function limiter(limits = {}): { clock: ManualClock; audit: MemoryAuditLog; limiter: TokenFailureLimiter } {
  const clock = new ManualClock();
  const audit = new MemoryAuditLog();
  return { clock, audit, limiter: new TokenFailureLimiter(clock, new Auditor(audit, clock), limits) };
}

const wrong = (): undefined => undefined;
const right = (): string => 'room';

describe('TokenFailureLimiter', () => {
  test(`${FreeFailuresPerRoom} failures are answered not-found; the next attempt is throttled without running the check`, () => {
    const { limiter: failures } = limiter();
    for (let i = 0; i < FreeFailuresPerRoom; i++) assert.equal(failures.attempt('10.0.0.1', 'r1', wrong).kind, 'not-found');
    let checked = false;
    const next = failures.attempt('10.0.0.1', 'r1', () => {
      checked = true;
      return 'room';
    });
    assert.equal(next.kind, 'throttled');
    assert.equal(checked, false, 'a correct credential is not even looked at during the backoff');
  });

  test('the backoff doubles with each failure past the free ones, up to the cap', () => {
    const { limiter: failures, clock } = limiter();
    const waits: number[] = [];
    for (let i = 0; i < FreeFailuresPerRoom - 1; i++) failures.attempt('a', 'r', wrong);
    for (let round = 0; round < 14; round++) {
      assert.equal(failures.attempt('a', 'r', wrong).kind, 'not-found');
      const refused = failures.attempt('a', 'r', wrong) as Extract<Attempt<unknown>, { kind: 'throttled' }>;
      assert.equal(refused.kind, 'throttled');
      waits.push(refused.retryAfterMs);
      clock.advance(refused.retryAfterMs);
    }
    assert.deepEqual(waits.slice(0, 4), [InitialBackoffMs, 2 * InitialBackoffMs, 4 * InitialBackoffMs, 8 * InitialBackoffMs]);
    assert.equal(Math.max(...waits), MaxBackoffMs);
    assert.equal(waits.at(-1), MaxBackoffMs);
  });

  test('a correct credential is refused during the backoff and accepted right after; that success clears the room key', () => {
    const { limiter: failures, clock } = limiter();
    for (let i = 0; i < FreeFailuresPerRoom; i++) failures.attempt('a', 'r', wrong);
    const refused = failures.attempt('a', 'r', right);
    assert.equal(refused.kind, 'throttled');
    clock.advance((refused as { retryAfterMs: number }).retryAfterMs - 1);
    assert.equal(failures.attempt('a', 'r', right).kind, 'throttled');
    clock.advance(1);
    assert.deepEqual(failures.attempt('a', 'r', right), { kind: 'ok', value: 'room' });
    // Cleared: the typist gets its free failures back for this room.
    for (let i = 0; i < FreeFailuresPerRoom - 1; i++) assert.equal(failures.attempt('a', 'r', wrong).kind, 'not-found');
    assert.equal(failures.attempt('a', 'r', right).kind, 'ok');
  });

  test('another address is unaffected, and so is the same address for another room until the address cap', () => {
    const { limiter: failures } = limiter();
    for (let i = 0; i < 1000; i++) failures.attempt('10.0.0.1', 'r1', wrong);
    assert.equal(failures.attempt('10.0.0.1', 'r1', right).kind, 'throttled');
    assert.equal(failures.attempt('10.0.0.2', 'r1', right).kind, 'ok');
    assert.equal(failures.attempt('10.0.0.1', 'r2', right).kind, 'ok');
  });

  test(`spraying room ids from one address is throttled after ${FreeFailuresPerAddress} failures, for every room`, () => {
    const { limiter: failures } = limiter();
    for (let i = 0; i < FreeFailuresPerAddress; i++) assert.equal(failures.attempt('a', `room-${i}`, wrong).kind, 'not-found');
    assert.equal(failures.attempt('a', 'room-new', right).kind, 'throttled');
    assert.equal(failures.attempt('b', 'room-new', right).kind, 'ok');
  });

  test('a success for one room does not reset the address\'s failures elsewhere', () => {
    const { limiter: failures } = limiter();
    for (let i = 0; i < FreeFailuresPerAddress - 1; i++) {
      failures.attempt('a', `guess-${i}`, wrong);
      assert.equal(failures.attempt('a', 'mine', right).kind, 'ok');
    }
    failures.attempt('a', 'guess-last', wrong);
    assert.equal(failures.attempt('a', 'mine', right).kind, 'throttled');
  });

  test('memory is bounded: keys beyond the cap drop the least recently failing', () => {
    const { limiter: failures } = limiter({ MaxKeys: 100 });
    for (let i = 0; i < 10_000; i++) failures.attempt(`10.1.${i >> 8}.${i & 255}`, 'r', wrong);
    assert.ok(failures.size <= 100, `${failures.size} keys held`);
  });

  test('refusals are audited as one aggregated limit.refused per address and interval, with the room when it is one', () => {
    const { limiter: failures, clock, audit } = limiter();
    for (let i = 0; i < 1000; i++) failures.attempt('10.0.0.1', 'r1', wrong);
    assert.equal(audit.records.length, 0, 'nothing is written per attempt');
    clock.advance(AuditAggregation.IntervalMs);
    const records = audit.of('limit.refused');
    assert.equal(records.length, 1);
    assert.equal(records[0]!.address, '10.0.0.1');
    assert.equal(records[0]!.room, 'r1');
    assert.deepEqual({ limit: records[0]!.detail!.limit, count: records[0]!.detail!.count }, { limit: 'token-failures', count: 1000 - FreeFailuresPerRoom });
  });

  test('a key is forgotten after a quiet hour', () => {
    const { limiter: failures, clock } = limiter();
    for (let i = 0; i < FreeFailuresPerRoom + 3; i++) {
      failures.attempt('a', 'r', wrong);
      clock.advance(MaxBackoffMs);
    }
    clock.advance(TokenFailureLimits.ForgetAfterMs);
    for (let i = 0; i < FreeFailuresPerRoom - 1; i++) assert.equal(failures.attempt('a', 'r', wrong).kind, 'not-found');
    assert.equal(failures.attempt('a', 'r', right).kind, 'ok');
  });
});
