// RejoinPasses on a manual clock: a pass works once, for ValidAfterLeaveMs after its member left, never after a kick;
// the store stays bounded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RejoinPassLimits, RejoinPasses } from '../../server/rooms/rejoinPasses.js';
import { ManualClock } from '../helpers/manualClock.js';

test('a pass works once, while its member is inside and until ValidAfterLeaveMs after it left', () => {
  const clock = new ManualClock();
  const passes = new RejoinPasses(clock);
  const inside = passes.issue('a', 'cred');
  assert.equal(passes.redeem(inside, 'cred'), 'a', 'a connection that dropped before the server noticed');
  assert.equal(passes.redeem(inside, 'cred'), undefined, 'once');

  const left = passes.issue('b', 'cred');
  passes.left('b');
  clock.advance(RejoinPassLimits.ValidAfterLeaveMs - 1);
  assert.equal(passes.redeem(left, 'cred'), 'b');

  const late = passes.issue('c', 'cred');
  passes.left('c');
  clock.advance(RejoinPassLimits.ValidAfterLeaveMs);
  assert.equal(passes.redeem(late, 'cred'), undefined, 'too late');
  assert.equal(passes.redeem('not-a-pass', 'cred'), undefined);
});

test('a kicked member\'s pass is void, and a new pass replaces the member\'s old one', () => {
  const clock = new ManualClock();
  const passes = new RejoinPasses(clock);
  const kicked = passes.issue('k', 'cred');
  passes.void('k');
  assert.equal(passes.redeem(kicked, 'cred'), undefined);
  const first = passes.issue('m', 'cred');
  const second = passes.issue('m', 'cred');
  assert.equal(passes.redeem(first, 'cred'), undefined);
  assert.equal(passes.redeem(second, 'cred'), 'm');
});

test('expired passes are dropped and the store never holds more than MaxHeld', () => {
  const clock = new ManualClock();
  const passes = new RejoinPasses(clock);
  for (let i = 0; i < 10; i++) {
    passes.issue(`gone${i}`, 'cred');
    passes.left(`gone${i}`);
  }
  clock.advance(RejoinPassLimits.ValidAfterLeaveMs);
  const keep = passes.issue('stays', 'cred');
  assert.equal(passes.size, 1, 'the ten expired ones went with the next issue');
  for (let i = 0; i < RejoinPassLimits.MaxHeld + 5; i++) passes.issue(`m${i}`, 'cred');
  assert.equal(passes.size, RejoinPassLimits.MaxHeld);
  assert.equal(passes.redeem(keep, 'cred'), undefined, 'the oldest went first');
});

test('a pass works only with the credential its member came in with, and is used up by a wrong one', () => {
  const passes = new RejoinPasses(new ManualClock());
  const pass = passes.issue('v', 'viewer-link');
  assert.equal(passes.redeem(pass, 'writer-link'), undefined);
  assert.equal(passes.redeem(pass, 'viewer-link'), undefined, 'tried once with the wrong credential, it is gone');
});
