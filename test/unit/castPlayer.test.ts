// The replay pages' pure parts: reading a cast's markers, naming them for the list, times, and the page's address.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { castHeader, castMarkers } from '../../client/src/castPlayer.js';
import { rewindMarks } from '../../client/src/rewindPanel.js';
import { formatTime, listedMarker, listedMarkers, replayUrl } from '../../client/src/replayMarkers.js';

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

test('replay markers: kind and text without member ids; times as m:ss or h:mm:ss; the page address keeps the token in the fragment', () => {
  assert.deepEqual(listedMarker({ time: 1, label: 'joined: alice (owner) [AbC-12_x]' }), { time: 1, label: 'joined: alice (owner) [AbC-12_x]', kind: 'joined', text: 'joined: alice (owner)' });
  assert.equal(listedMarker({ time: 2, label: 'role: bob is now writer [id1]' }).kind, 'role');
  assert.equal(listedMarker({ time: 3, label: 'typing: bob [id1]' }).text, 'typing: bob');
  assert.equal(listedMarker({ time: 4, label: 'curtain lowered' }).kind, 'curtain');
  assert.equal(listedMarker({ time: 5, label: 'bookmark: deploy started' }).kind, 'bookmark');
  assert.equal(listedMarker({ time: 6, label: 'something new' }).kind, 'other');
  assert.deepEqual([0, 7.9, 61, 3599, 3661, -1, Number.NaN].map(formatTime), ['0:00', '0:07', '1:01', '59:59', '1:01:01', '0:00', '0:00']);
  assert.equal(replayUrl('r 1', 'tok/en'), '/replay/r%201#token=tok%2Fen');
  assert.equal(replayUrl('r1', undefined), '/replay/r1');
});

test('castHeader: size, title and start of a readable header; nothing from a line that is not one', () => {
  const cast = `${JSON.stringify({ version: 2, width: 100, height: 30, timestamp: 1_700_000_000, title: 'war room' })}\n[0.5,"o","x"]\n`;
  assert.deepEqual(castHeader(cast), { width: 100, height: 30, title: 'war room', startMs: 1_700_000_000_000 });
  assert.deepEqual(castHeader(`${JSON.stringify({ version: 2, width: 0, title: '' })}\n`), {}, 'unsound fields are left out');
  assert.deepEqual(castHeader('not json\n'), {});
});

test('rewindMarks: bookmarks by their label, events without member ids; typing and Enter markers left out', () => {
  assert.deepEqual(rewindMarks([
    { time: 1, label: 'joined: ada (writer) [a1]' },
    { time: 2, label: 'typing: ada [a1]' },
    { time: 3, label: 'enter: ada [a1]' },
    { time: 4, label: 'bookmark: deploy started (by ada) [a1]' },
    { time: 5, label: 'chat: bob [b2]: looks good' },
  ]), [
    { time: 1, kind: 'event', text: 'joined: ada (writer)' },
    { time: 4, kind: 'bookmark', text: 'deploy started (by ada)' },
    { time: 5, kind: 'event', text: 'chat: bob: looks good' },
  ]);
});

test('listedMarkers: a member\'s Enter presses in a row are one entry at the first; anything between starts a new one', () => {
  const listed = listedMarkers([
    { time: 1, label: 'enter: alice [a1]' },
    { time: 2, label: 'enter: alice [a1]' },
    { time: 3, label: 'enter: alice [a1]' },
    { time: 4, label: 'enter: bob [b2]' },
    { time: 5, label: 'bookmark: deploy (by bob) [b2]' },
    { time: 6, label: 'enter: bob [b2]' },
  ]);
  assert.deepEqual(listed.map((marker) => [marker.time, marker.kind, marker.text]), [
    [1, 'enter', 'alice entered 3 commands'],
    [4, 'enter', 'bob entered a command'],
    [5, 'bookmark', 'bookmark: deploy (by bob)'],
    [6, 'enter', 'bob entered a command'],
  ]);
});
