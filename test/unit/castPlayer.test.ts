// The replay player's pure part: reading a cast's markers for the list beside the player.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { castMarkers } from '../../client/src/castPlayer.js';

test('castMarkers: the m events in order, with their times; output, torn and malformed lines are skipped', () => {
  const cast = [
    JSON.stringify({ version: 2, width: 80, height: 24 }),
    JSON.stringify([0.5, 'o', 'the text says "m" but is output']),
    JSON.stringify([1.25, 'm', 'join: alice']),
    JSON.stringify([2, 'r', '100x30']),
    JSON.stringify([3.5, 'm', 'typing: bob']),
    '[4, "m", 17]',
    '["5", "m", "time is a string"]',
    '[6, "m"]',
    '[7, "m", "torn',
  ].join('\n');
  assert.deepEqual(castMarkers(cast), [
    { time: 1.25, label: 'join: alice' },
    { time: 3.5, label: 'typing: bob' },
  ]);
  assert.deepEqual(castMarkers(`${JSON.stringify({ version: 2, width: 80, height: 24 })}\n`), [], 'no markers in a cast without any');
});
