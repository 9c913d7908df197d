// TokenBucket: a full burst at once, then the sustained rate; refills are capped and never negative.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedTokenBuckets, TokenBucket } from '../../server/util/tokenBucket.js';
import { ManualClock } from '../helpers/manualClock.js';

test('starts full: the burst passes at once, the next take is refused', () => {
  const clock = new ManualClock(0);
  const bucket = new TokenBucket(clock, 10, 5);
  for (let i = 0; i < 5; i++) assert.equal(bucket.tryTake(), true, `take ${i}`);
  assert.equal(bucket.tryTake(), false);
});

test('refills at the rate: 10/s gives one token per 100 ms', () => {
  const clock = new ManualClock(0);
  const bucket = new TokenBucket(clock, 10, 5);
  while (bucket.tryTake());
  clock.advance(99);
  assert.equal(bucket.tryTake(), false, 'not yet a whole token');
  clock.advance(1);
  assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), false);
  // Over 10 s at 10/s: 100 takes pass when spread out.
  let passed = 0;
  for (let ms = 0; ms < 10_000; ms += 10) {
    clock.advance(10);
    if (bucket.tryTake()) passed++;
  }
  assert.equal(passed, 100);
});

test('a long pause refills only up to the burst', () => {
  const clock = new ManualClock(0);
  const bucket = new TokenBucket(clock, 10, 5);
  while (bucket.tryTake());
  clock.advance(3_600_000);
  assert.equal(bucket.available, 5);
});

test('a refused take takes nothing; a cost above one takes that many', () => {
  const clock = new ManualClock(0);
  const bucket = new TokenBucket(clock, 10, 5);
  assert.equal(bucket.tryTake(6), false);
  assert.equal(bucket.available, 5);
  assert.equal(bucket.tryTake(3), true);
  assert.equal(bucket.available, 2);
});

test('a clock that steps backwards adds nothing, and the bucket keeps working after it', () => {
  let now = 10_000;
  const clock = { now: () => now, setTimer: () => ({ dispose() {} }), defer: () => ({ dispose() {} }) };
  const bucket = new TokenBucket(clock, 10, 5);
  while (bucket.tryTake());
  now = 0;
  assert.equal(bucket.tryTake(), false);
  now = 100;
  assert.equal(bucket.tryTake(), true);
});

test('a rate or burst that cannot work is refused', () => {
  const clock = new ManualClock(0);
  for (const [rate, burst] of [[0, 5], [-1, 5], [Number.NaN, 5], [10, 0], [10, Number.NaN]] as const) {
    assert.throws(() => new TokenBucket(clock, rate, burst), RangeError, `${rate}/s burst ${burst}`);
  }
});

test('keyed buckets: each key has its own budget, made full on first use; a forgotten key starts full again', () => {
  const clock = new ManualClock();
  const buckets = new KeyedTokenBuckets(clock, 1, 2);
  assert.deepEqual([buckets.tryTake('a'), buckets.tryTake('a'), buckets.tryTake('a')], [true, true, false]);
  assert.equal(buckets.tryTake('b'), true, 'another key is not charged for the first one');
  buckets.forget('a');
  assert.equal(buckets.tryTake('a'), true, 'forgotten: full again');
  clock.advance(1000);
  assert.equal(buckets.tryTake('b'), true);
});
