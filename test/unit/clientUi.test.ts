// The room page's pure parts: validators of the new server payloads, the key bar's Ctrl and Alt, grant
// countdowns and the order of the hand queue.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberInfo } from '../../server/shared/events.js';
import { PayloadLimits } from '../../server/shared/limits.js';
import { withAlt, withCtrl } from '../../client/src/keyBar.js';
import { describeRemaining, handQueue } from '../../client/src/memberPanel.js';
import { parseChat, parseCredential, parseCurtain, parsePass, parseRoleChange, parseSettings, parseTyping } from '../../server/shared/serverPayloads.js';

const SETTINGS = { locked: false, approval: true, floor: 'driver', chat: true, resize: 'smallest', record: true } as const;

test('room:settings: whole and well-typed, or dropped', () => {
  assert.deepEqual(parseSettings(SETTINGS), SETTINGS);
  const { record: _record, ...older } = SETTINGS;
  assert.deepEqual(parseSettings(older), { ...older, record: false }, 'a server that does not say it records does not');
  const bad: unknown[] = [
    undefined,
    null,
    [],
    'settings',
    { ...SETTINGS, floor: 'two' },
    { ...SETTINGS, resize: 'largest' },
    { ...SETTINGS, locked: 'true' },
    { ...SETTINGS, chat: 1 },
    { locked: false, approval: false, floor: 'many', chat: true },
  ];
  for (const value of bad) assert.equal(parseSettings(value), undefined, JSON.stringify(value));
});

test('chat:message: text stays a string, the colour must be a hex colour', () => {
  const message = { id: 3, memberId: 'm1', name: 'alice', colour: '#1c7ed6', text: '<img src=x onerror=alert(1)>', at: '2026-12-06T09:00:00.000Z' };
  assert.deepEqual(parseChat(message), message);
  assert.equal(parseChat({ ...message, colour: 'red;background:url(x)' })?.colour, '#868e96');
  for (const broken of [{ ...message, id: '3' }, { ...message, text: 42 }, { ...message, at: 'yesterday' }, { ...message, name: undefined }, null]) {
    assert.equal(parseChat(broken), undefined, JSON.stringify(broken));
  }
});

test('room:role carries the end of a timed grant; curtain, typing and credential payloads', () => {
  assert.deepEqual(parseRoleChange({ role: 'writer', until: '2026-12-06T09:02:00.000Z' }), { role: 'writer', until: '2026-12-06T09:02:00.000Z' });
  assert.deepEqual(parseRoleChange({ role: 'viewer', until: 'soon' }), { role: 'viewer' });
  assert.equal(parseRoleChange({ role: 'admin' }), undefined);
  assert.deepEqual(parseCurtain({ down: true, sees: true }), { down: true, sees: true });
  assert.deepEqual(parseCurtain({ down: true }), { down: true, sees: false });
  assert.deepEqual(parseCurtain({ down: false, sees: true }), { down: false });
  assert.equal(parseCurtain({ down: 'yes' }), undefined);
  assert.deepEqual(parseTyping({ memberId: 'm2' }), { memberId: 'm2' });
  assert.equal(parseTyping({ memberId: 2 }), undefined);
  assert.equal(parseCredential({ token: 'abc' }), 'abc');
  assert.equal(parseCredential({ token: '' }), undefined);
});

test('the key bar: Ctrl gives the C0 control of a letter or symbol, Alt prefixes ESC', () => {
  const table: Array<[string, string]> = [
    ['c', '\x03'],
    ['C', '\x03'],
    ['a', '\x01'],
    ['z', '\x1a'],
    ['[', '\x1b'],
    ['@', '\x00'],
    [' ', '\x00'],
    ['?', '\x7f'],
    ['1', '1'],
    ['\x1b[A', '\x1b[A'],
  ];
  for (const [key, expected] of table) assert.equal(withCtrl(key), expected, JSON.stringify(key));
  assert.equal(withAlt('b'), '\x1bb');
});

test('grant countdowns: m:ss while the clocks agree, "timed" when they cannot', () => {
  const now = Date.UTC(2026, 11, 6, 9, 0, 0);
  const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();
  assert.equal(describeRemaining(at(120), now), '2:00 left');
  assert.equal(describeRemaining(at(61.5), now), '1:02 left');
  assert.equal(describeRemaining(at(5), now), '0:05 left');
  assert.equal(describeRemaining(at(-3), now), 'timed');
  assert.equal(describeRemaining(at(PayloadLimits.MaxGrantSeconds + 600), now), 'timed');
  assert.equal(describeRemaining('not a date', now), 'timed');
});

test('the hand queue: raised hands only, first raised first', () => {
  const member = (id: string, handSince?: string): MemberInfo => ({
    id,
    name: id,
    role: 'viewer',
    colour: '#000000',
    hand: handSince !== undefined,
    state: 'live',
    ...(handSince === undefined ? {} : { handSince }),
  });
  const queue = handQueue([
    member('late', '2026-12-06T09:00:30.000Z'),
    member('none'),
    member('early', '2026-12-06T09:00:10.000Z'),
    member('middle', '2026-12-06T09:00:20.000Z'),
  ]);
  assert.deepEqual(queue.map((entry) => entry.id), ['early', 'middle', 'late']);
});

test('room:pass: a token-shaped string, or dropped', () => {
  assert.equal(parsePass({ pass: 'AbC_-123' }), 'AbC_-123');
  for (const bad of [{ pass: '' }, { pass: 'a b' }, { pass: 'x'.repeat(PayloadLimits.MaxTokenLength + 1) }, { pass: 7 }, 'AbC', null]) {
    assert.equal(parsePass(bad), undefined, JSON.stringify(bad));
  }
});
