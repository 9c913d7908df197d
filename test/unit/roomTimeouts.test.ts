// RoomTimeouts on a manual clock: idle warning, withdrawal and close; lifetime; no timer per keystroke; cleanup.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NoticePayload } from '../../server/shared/events.js';
import { RoomTimeoutLimits, RoomTimeouts, type TimeoutReason } from '../../server/rooms/roomTimeouts.js';
import { ManualClock } from '../helpers/manualClock.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function watch(options: { idleMs: number; lifetimeMs: number }, clock = new ManualClock()) {
  const timeouts = new RoomTimeouts({ clock, ...options });
  const notices: NoticePayload[] = [];
  const expired: Array<{ reason: TimeoutReason; at: number }> = [];
  timeouts.onNotice((notice) => notices.push(notice));
  timeouts.onExpired((reason) => expired.push({ reason, at: clock.now() }));
  return { clock, timeouts, notices, expired, start: clock.now() };
}

test('idle: warned two minutes before the limit with the closing time, then expired at the limit', () => {
  const { clock, notices, expired, start } = watch({ idleMs: 30 * MINUTE, lifetimeMs: 0 });
  clock.advance(28 * MINUTE - 1);
  assert.equal(notices.length, 0);
  clock.advance(1);
  assert.equal(notices.length, 1);
  assert.equal(notices[0]!.code, 'idle-warning');
  assert.equal(notices[0]!.closesAt, new Date(start + 30 * MINUTE).toISOString());
  assert.equal(RoomTimeoutLimits.IdleWarningMs, 2 * MINUTE);
  clock.advance(2 * MINUTE - 1);
  assert.equal(expired.length, 0);
  clock.advance(1);
  assert.deepEqual(expired, [{ reason: 'idle-timeout', at: start + 30 * MINUTE }]);
  clock.advance(24 * HOUR);
  assert.equal(expired.length, 1, 'expires once');
  assert.equal(clock.pending, 0, 'no timer left after expiry');
});

test('writer input before the warning postpones it; thousands of keystrokes set no timer each', () => {
  const { clock, timeouts, notices, expired, start } = watch({ idleMs: 30 * MINUTE, lifetimeMs: 0 });
  clock.advance(20 * MINUTE);
  for (let i = 0; i < 5_000; i++) {
    timeouts.noteWriterInput();
    assert.ok(clock.pending <= 1, `keystroke ${i} left ${clock.pending} timers`);
  }
  clock.advance(10 * MINUTE);
  assert.equal(notices.length, 0, 'the first deadline passed without a warning');
  assert.equal(expired.length, 0);
  clock.advanceTo(start + 48 * MINUTE);
  assert.deepEqual(notices.map((n) => n.code), ['idle-warning']);
  assert.equal(notices[0]!.closesAt, new Date(start + 50 * MINUTE).toISOString());
  clock.advanceTo(start + 50 * MINUTE);
  assert.deepEqual(expired, [{ reason: 'idle-timeout', at: start + 50 * MINUTE }]);
});

test('writer input after the warning withdraws it once, and the idle limit starts over', () => {
  const { clock, timeouts, notices, expired, start } = watch({ idleMs: 30 * MINUTE, lifetimeMs: 0 });
  clock.advance(29 * MINUTE);
  assert.equal(timeouts.activeNotices().length, 1);
  timeouts.noteWriterInput();
  timeouts.noteWriterInput();
  assert.deepEqual(notices.map((n) => n.code), ['idle-warning', 'idle-cleared'], 'withdrawn once, not per keystroke');
  assert.deepEqual(timeouts.activeNotices(), []);
  clock.advance(MINUTE);
  assert.equal(expired.length, 0, 'the warned deadline passed');
  clock.advanceTo(start + 57 * MINUTE - 1);
  assert.equal(notices.length, 2);
  clock.advance(1);
  assert.deepEqual(notices.map((n) => n.code), ['idle-warning', 'idle-cleared', 'idle-warning']);
  assert.equal(expired.length, 0);
  clock.advanceTo(start + 59 * MINUTE);
  assert.deepEqual(expired, [{ reason: 'idle-timeout', at: start + 59 * MINUTE }]);
});

test('lifetime: warned, then expired on time, whatever writers do', () => {
  const { clock, timeouts, notices, expired, start } = watch({ idleMs: 30 * MINUTE, lifetimeMs: 12 * HOUR });
  for (let elapsed = 0; elapsed < 12 * HOUR - 10 * MINUTE; elapsed += 10 * MINUTE) {
    clock.advance(10 * MINUTE);
    timeouts.noteWriterInput();
  }
  assert.equal(expired.length, 0);
  clock.advanceTo(start + 12 * HOUR - 2 * MINUTE);
  assert.deepEqual(notices.map((n) => n.code), ['lifetime-warning']);
  assert.equal(notices[0]!.closesAt, new Date(start + 12 * HOUR).toISOString());
  timeouts.noteWriterInput();
  assert.deepEqual(timeouts.activeNotices().map((n) => n.code), ['lifetime-warning'], 'input does not withdraw it');
  clock.advanceTo(start + 12 * HOUR);
  assert.deepEqual(expired, [{ reason: 'lifetime', at: start + 12 * HOUR }]);
  assert.equal(clock.pending, 0, 'the idle timer went with it');
});

test('0 turns a limit off: no timer is even set', () => {
  const { clock, expired } = watch({ idleMs: 0, lifetimeMs: 0 });
  assert.equal(clock.pending, 0);
  clock.advance(365 * 24 * HOUR);
  assert.equal(expired.length, 0);
});

test('a limit shorter than twice the warning is warned at half-time', () => {
  const { clock, notices, expired, start } = watch({ idleMs: 2 * MINUTE, lifetimeMs: 0 });
  clock.advance(MINUTE - 1);
  assert.equal(notices.length, 0);
  clock.advance(1);
  assert.deepEqual(notices.map((n) => n.code), ['idle-warning']);
  clock.advance(MINUTE);
  assert.deepEqual(expired, [{ reason: 'idle-timeout', at: start + 2 * MINUTE }]);
});

test('one big clock step still warns before it closes', () => {
  const { clock, notices, expired } = watch({ idleMs: 30 * MINUTE, lifetimeMs: 0 });
  clock.advance(5 * HOUR);
  assert.deepEqual(notices.map((n) => n.code), ['idle-warning']);
  assert.equal(expired.length, 1);
});

test('dispose cancels every timer and nothing fires afterwards', () => {
  const { clock, timeouts, notices, expired } = watch({ idleMs: 30 * MINUTE, lifetimeMs: 12 * HOUR });
  assert.equal(clock.pending, 2);
  timeouts.dispose();
  assert.equal(clock.pending, 0);
  timeouts.noteWriterInput();
  clock.advance(24 * HOUR);
  assert.equal(notices.length, 0);
  assert.equal(expired.length, 0);
  assert.deepEqual(timeouts.activeNotices(), []);
});
