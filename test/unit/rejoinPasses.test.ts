// RejoinPasses on a manual clock: a pass works once, for ValidAfterLeaveMs after its member left, never after a kick;
// the store stays bounded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RejoinPassLimits, RejoinPasses } from '../../server/rooms/rejoinPasses.js';
import { ManualClock } from '../helpers/manualClock.js';

test('a pass works once, while its member is inside and until ValidAfterLeaveMs after it left', () => {
  const clock = new ManualClock();
  const passes = new RejoinPasses(clock);
  const inside = passes.issue('a');
  assert.equal(passes.redeem(inside), true, 'a connection that dropped before the server noticed');
  assert.equal(passes.redeem(inside), false, 'once');

  const left = passes.issue('b');
  passes.left('b');
  clock.advance(RejoinPassLimits.ValidAfterLeaveMs - 1);
  assert.equal(passes.redeem(left), true);

  const late = passes.issue('c');
  passes.left('c');
  clock.advance(RejoinPassLimits.ValidAfterLeaveMs);
  assert.equal(passes.redeem(late), false, 'too late');
  assert.equal(passes.redeem('not-a-pass'), false);
});

test('a kicked member\'s pass is void, and a new pass replaces the member\'s old one', () => {
  const clock = new ManualClock();
  const passes = new RejoinPasses(clock);
  const kicked = passes.issue('k');
  passes.void('k');
  assert.equal(passes.redeem(kicked), false);
  const first = passes.issue('m');
  const second = passes.issue('m');
  assert.equal(passes.redeem(first), false);
  assert.equal(passes.redeem(second), true);
});

test('expired passes are dropped and the store never holds more than MaxHeld', () => {
  const clock = new ManualClock();
  const passes = new RejoinPasses(clock);
  for (let i = 0; i < 10; i++) {
    passes.issue(`gone${i}`);
    passes.left(`gone${i}`);
  }
  clock.advance(RejoinPassLimits.ValidAfterLeaveMs);
  const keep = passes.issue('stays');
  assert.equal(passes.size, 1, 'the ten expired ones went with the next issue');
  for (let i = 0; i < RejoinPassLimits.MaxHeld + 5; i++) passes.issue(`m${i}`);
  assert.equal(passes.size, RejoinPassLimits.MaxHeld);
  assert.equal(passes.redeem(keep), false, 'the oldest went first');
});
