// The clocks: the manual one runs due timers in order at their due time; the system one survives long delays.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClockLimits, systemClock } from '../../server/util/clock.js';
import { ManualClock, MANUAL_CLOCK_START } from '../helpers/manualClock.js';
import { sleep } from '../helpers/wait.js';

describe('ManualClock', () => {
  test('starts at the fixed start and moves only when advanced', () => {
    const clock = new ManualClock();
    assert.equal(clock.now(), MANUAL_CLOCK_START);
    clock.advance(1_500);
    assert.equal(clock.now(), MANUAL_CLOCK_START + 1_500);
  });

  test('advance runs due timers in due order, each seeing its own due time, and leaves later ones', () => {
    const clock = new ManualClock(0);
    const runs: Array<[string, number]> = [];
    clock.setTimer(30, () => runs.push(['c', clock.now()]));
    clock.setTimer(10, () => runs.push(['a', clock.now()]));
    clock.setTimer(20, () => runs.push(['b', clock.now()]));
    clock.setTimer(10, () => runs.push(['a2', clock.now()]));
    clock.setTimer(31, () => runs.push(['late', clock.now()]));
    clock.advance(30);
    assert.deepEqual(runs, [['a', 10], ['a2', 10], ['b', 20], ['c', 30]]);
    assert.equal(clock.now(), 30);
    assert.equal(clock.pending, 1);
    clock.advance(1);
    assert.deepEqual(runs.at(-1), ['late', 31]);
    assert.equal(clock.pending, 0);
  });

  test('a timer set by a callback runs in the same advance when it falls due within it', () => {
    const clock = new ManualClock(0);
    const runs: number[] = [];
    clock.setTimer(10, () => {
      runs.push(clock.now());
      clock.setTimer(5, () => runs.push(clock.now()));
      clock.setTimer(50, () => runs.push(clock.now()));
    });
    clock.advance(20);
    assert.deepEqual(runs, [10, 15]);
    assert.equal(clock.pending, 1);
  });

  test('a disposed timer never runs; disposing twice is harmless', () => {
    const clock = new ManualClock(0);
    let ran = false;
    const timer = clock.setTimer(10, () => {
      ran = true;
    });
    timer.dispose();
    timer.dispose();
    clock.advance(100);
    assert.equal(ran, false);
    assert.equal(clock.pending, 0);
  });

  test('advanceTo moves to an absolute time; going backwards is refused', () => {
    const clock = new ManualClock(0);
    clock.advanceTo(1_000);
    assert.equal(clock.now(), 1_000);
    assert.throws(() => clock.advance(-1), RangeError);
    assert.throws(() => clock.advance(Number.NaN), RangeError);
  });
});

describe('systemClock', () => {
  test('now() is the wall clock', () => {
    const before = Date.now();
    const now = systemClock.now();
    assert.ok(now >= before && now <= Date.now());
  });

  test('a timer fires once after its delay; a disposed one never does', async () => {
    const started = Date.now();
    let firedAt: number | undefined;
    let fires = 0;
    systemClock.setTimer(30, () => {
      firedAt = Date.now();
      fires++;
    });
    let cancelledFired = false;
    systemClock.setTimer(10, () => {
      cancelledFired = true;
    }).dispose();
    await sleep(120);
    assert.equal(fires, 1);
    assert.ok(firedAt! - started >= 29, `fired after ${firedAt! - started} ms`);
    assert.equal(cancelledFired, false);
  });

  test('a delay beyond what setTimeout takes does not fire at once (Node would fire it after 1 ms)', async () => {
    let fired = false;
    const timer = systemClock.setTimer(ClockLimits.MaxTimeoutMs + 60_000, () => {
      fired = true;
    });
    await sleep(50);
    timer.dispose();
    assert.equal(fired, false);
  });
});
