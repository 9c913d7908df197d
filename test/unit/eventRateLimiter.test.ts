// EventRateLimiter on a manual clock: burst and sustained rate pass, refusals are told once per window,
// and only a long flood far past the rate ends the connection.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventRateLimiter, EventRateLimits, type RateVerdict } from '../../server/realtime/eventRateLimiter.js';
import { ManualClock } from '../helpers/manualClock.js';

/** Sends `perSecond` events a second for `seconds`, spread evenly; returns the verdicts counted. */
function send(limiter: EventRateLimiter, clock: ManualClock, perSecond: number, seconds: number): Record<RateVerdict, number> {
  const counts: Record<RateVerdict, number> = { pass: 0, drop: 0, 'drop-and-tell': 0, disconnect: 0 };
  const total = Math.round(perSecond * seconds);
  const stepMs = 1000 / perSecond;
  let sentAt = clock.now();
  const start = sentAt;
  for (let i = 0; i < total; i++) {
    const due = start + Math.floor(i * stepMs);
    if (due > sentAt) {
      clock.advanceTo(due);
      sentAt = due;
    }
    counts[limiter.admit()]++;
  }
  clock.advanceTo(start + seconds * 1000);
  return counts;
}

test('the limits let real clients through and stop 10 000 events a second', () => {
  // A 64 KiB-chunked paste of 32 MiB arrives as 512 events at once.
  assert.ok(EventRateLimits.Burst >= 512);
  // Typing, mouse tracking and acks together stay under 300 a second.
  assert.ok(EventRateLimits.SustainedPerSecond >= 300);
  assert.ok(EventRateLimits.SustainedPerSecond * 10 <= 10_000, 'a 10k/s flood is at least ten times the rate');
});

test('a burst passes whole, then the sustained rate; a refusal is told once per window', () => {
  const clock = new ManualClock(0);
  const limiter = new EventRateLimiter(clock, { ...EventRateLimits, SustainedPerSecond: 100, Burst: 50 });
  let passed = 0;
  for (let i = 0; i < 50; i++) if (limiter.admit() === 'pass') passed++;
  assert.equal(passed, 50);
  assert.equal(limiter.admit(), 'drop-and-tell');
  assert.equal(limiter.admit(), 'drop');
  assert.equal(limiter.admit(), 'drop');
  // 100/s: one event per 10 ms passes again.
  clock.advance(10);
  assert.equal(limiter.admit(), 'pass');
  // Still the same one-second window: the sender was told already.
  assert.equal(limiter.admit(), 'drop');
  clock.advance(1_000);
  for (let i = 0; i < 50; i++) limiter.admit();
  assert.equal(limiter.admit(), 'drop-and-tell', 'told again in a new window');
});

test('a client at the sustained rate is never refused', () => {
  const clock = new ManualClock(0);
  const limiter = new EventRateLimiter(clock);
  const counts = send(limiter, clock, EventRateLimits.SustainedPerSecond, 30);
  assert.equal(counts.pass, EventRateLimits.SustainedPerSecond * 30);
});

test('10 000 events a second: throttled to the budget, told once per second, disconnected after five seconds', () => {
  const clock = new ManualClock(0);
  const limiter = new EventRateLimiter(clock);
  const first = send(limiter, clock, 10_000, 2);
  const budget = EventRateLimits.Burst + EventRateLimits.SustainedPerSecond * 2;
  assert.ok(first.pass <= budget && first.pass >= budget - 2, `passed ${first.pass} of 20 000, budget ${budget}`);
  assert.equal(first['drop-and-tell'], 2, 'one notice per one-second window');
  assert.equal(first.disconnect, 0, 'two seconds are not yet a sustained flood');
  const next = send(limiter, clock, 10_000, EventRateLimits.FloodWindowsToDisconnect - 3);
  assert.equal(next.disconnect, 0, 'one window short of the limit');
  const last = send(limiter, clock, 10_000, 1);
  assert.equal(last.disconnect, 1, 'the fifth flooding second ends it');
});

test('twice the rate (a client bug, not a flood) is throttled but never disconnected', () => {
  const clock = new ManualClock(0);
  const limiter = new EventRateLimiter(clock);
  const counts = send(limiter, clock, EventRateLimits.SustainedPerSecond * 2, 30);
  assert.equal(counts.disconnect, 0);
  assert.ok(counts.drop + counts['drop-and-tell'] > 0);
});

test('flood windows with a quiet one between them do not add up to a disconnect', () => {
  const clock = new ManualClock(0);
  const limiter = new EventRateLimiter(clock);
  for (let round = 0; round < 5; round++) {
    const flood = send(limiter, clock, 10_000, EventRateLimits.FloodWindowsToDisconnect - 1);
    assert.equal(flood.disconnect, 0, `round ${round}`);
    clock.advance(EventRateLimits.WindowMs);
  }
});
