// Table tests of the collaboration payload validators (issue 11): each accepts exactly the documented shape and
// refuses every other value with undefined, without coercion; and the member colour palette.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { PayloadLimits } from '../../server/shared/limits.js';
import { MEMBER_COLOURS, pickColour } from '../../server/shared/palette.js';
import {
  parseAdmit,
  parseChat,
  parseCreateRoom,
  parseCurtain,
  parseHandLower,
  parseMemberRef,
  parseMemberRole,
  parseSettingsPatch,
} from '../../server/shared/validate.js';

const label = (value: unknown): string => inspect(value, { breakLength: Infinity, maxStringLength: 40 });

/** Runs a table: each input must parse to its expected value (undefined = refused). */
function table<T>(parse: (value: unknown) => T, cases: ReadonlyArray<readonly [unknown, T]>): void {
  for (const [input, expected] of cases) {
    test(`${label(input)} → ${label(expected)}`, () => assert.deepEqual(parse(input), expected));
  }
}

describe('parseMemberRole (member:role, with timed grants)', () => {
  table(parseMemberRole, [
    [{ memberId: 'a', role: 'writer' }, { memberId: 'a', role: 'writer' }],
    [{ memberId: 'a', role: 'viewer' }, { memberId: 'a', role: 'viewer' }],
    [{ memberId: 'a', role: 'writer', seconds: 120 }, { memberId: 'a', role: 'writer', seconds: 120 }],
    [{ memberId: 'a', role: 'writer', seconds: PayloadLimits.MaxGrantSeconds }, { memberId: 'a', role: 'writer', seconds: PayloadLimits.MaxGrantSeconds }],
    [{ memberId: 'a', role: 'writer', seconds: PayloadLimits.MaxGrantSeconds + 1 }, undefined],
    [{ memberId: 'a', role: 'writer', seconds: 0 }, undefined],
    [{ memberId: 'a', role: 'writer', seconds: 1.5 }, undefined],
    [{ memberId: 'a', role: 'writer', seconds: '60' }, undefined],
    [{ memberId: 'a', role: 'writer', seconds: NaN }, undefined],
    [{ memberId: 'a', role: 'viewer', seconds: 60 }, undefined],
    [{ memberId: 'a', role: 'owner' }, undefined],
    [{ memberId: 'a', role: 'writer', extra: 1 }, undefined],
    [{ memberId: '../a', role: 'writer' }, undefined],
    [null, undefined],
  ]);
});

describe('parseMemberRef (member:kick, room:handover)', () => {
  table(parseMemberRef, [
    [{ memberId: 'abc_-1' }, { memberId: 'abc_-1' }],
    [{ memberId: '' }, undefined],
    [{ memberId: 'a'.repeat(PayloadLimits.MaxIdLength + 1) }, undefined],
    [{ memberId: 'a', role: 'owner' }, undefined],
    [{ id: 'a' }, undefined],
    ['a', undefined],
    [[{ memberId: 'a' }], undefined],
  ]);
});

describe('parseHandLower (hand:lower)', () => {
  table(parseHandLower, [
    [undefined, 'own'],
    [null, 'own'],
    [{ memberId: 'a' }, { memberId: 'a' }],
    [{}, undefined],
    ['a', undefined],
    [{ memberId: 7 }, undefined],
  ]);
});

describe('parseAdmit (member:admit)', () => {
  table(parseAdmit, [
    [{ memberId: 'a', allow: true }, { memberId: 'a', allow: true }],
    [{ memberId: 'a', allow: false }, { memberId: 'a', allow: false }],
    [{ memberId: 'a', allow: 'true' }, undefined],
    [{ memberId: 'a', allow: 1 }, undefined],
    [{ memberId: 'a' }, undefined],
    [{ memberId: 'a', allow: true, role: 'owner' }, undefined],
  ]);
});

describe('parseSettingsPatch (room:settings)', () => {
  table(parseSettingsPatch, [
    [{ locked: true }, { locked: true }],
    [{ approval: false, chat: true }, { approval: false, chat: true }],
    [{ floor: 'driver' }, { floor: 'driver' }],
    [{ floor: 'many', resize: 'smallest' }, { floor: 'many', resize: 'smallest' }],
    [{ resize: 'fixed' }, { resize: 'fixed' }],
    [{ record: false }, { record: false }],
    [{ record: 'off' }, undefined],
    [{ record: 0 }, undefined],
    [{}, undefined],
    [{ locked: 'yes' }, undefined],
    [{ floor: 'one' }, undefined],
    [{ resize: 'biggest' }, undefined],
    [{ locked: true, private: true }, undefined],
    [[], undefined],
    [null, undefined],
  ]);
});

describe('parseCurtain (room:curtain)', () => {
  table(parseCurtain, [
    [{ down: true }, { down: true }],
    [{ down: true, audience: ['a', 'b', 'a'] }, { down: true, audience: ['a', 'b'] }],
    [{ down: true, audience: [] }, { down: true, audience: [] }],
    [{ down: false }, { down: false }],
    [{ down: false, clear: true }, { down: false, clear: true }],
    [{ down: true, clear: true }, undefined],
    [{ down: false, audience: ['a'] }, undefined],
    [{ down: true, audience: ['a b'] }, undefined],
    [{ down: true, audience: 'a' }, undefined],
    [{ down: true, audience: Array.from({ length: PayloadLimits.MaxCurtainAudience + 1 }, (_, i) => `m${i}`) }, undefined],
    [{ down: 'true' }, undefined],
    [{}, undefined],
  ]);
});

describe('parseChat (chat:send)', () => {
  table(parseChat, [
    ['hello', 'hello'],
    ['  padded  ', 'padded'],
    ['<b>kept as text</b>', '<b>kept as text</b>'],
    ['two\r\nlines\rhere', 'two\nlines\nhere'],
    ['tab\there', 'tabhere'],
    ['bell\u0007 and \u001b[31mred', 'bell and [31mred'],
    ['\u202eevil\u202c override', 'evil override'],
    ['x'.repeat(PayloadLimits.MaxChatLength), 'x'.repeat(PayloadLimits.MaxChatLength)],
    ['x'.repeat(PayloadLimits.MaxChatLength + 1), undefined],
    ['', undefined],
    [' \u0000 ', undefined],
    [42, undefined],
    [{ text: 'hi' }, undefined],
  ]);
});

describe('parseCreateRoom: room settings', () => {
  table<ReturnType<typeof parseCreateRoom>>((value) => parseCreateRoom(value), [
    [{ floor: 'driver', approval: true, chat: false, resize: 'smallest' }, { floor: 'driver', approval: true, chat: false, resize: 'smallest' }],
    [{ floor: 'solo' }, 'floor must be "driver" or "many"'],
    [{ resize: 'auto' }, 'resize must be "owner", "smallest" or "fixed"'],
    [{ approval: 'yes' }, 'approval must be true or false'],
    [{ chat: 1 }, 'chat must be true or false'],
    [{ record: false }, { record: false }],
    [{ record: 'no' }, 'record must be true or false'],
    [{ locked: true }, 'unknown field "locked"'],
  ]);
});

describe('member colours', () => {
  test('each member present gets a colour nobody else has, until all are taken; then the least used', () => {
    const taken: string[] = [];
    for (let i = 0; i < MEMBER_COLOURS.length; i++) taken.push(pickColour(taken));
    assert.equal(new Set(taken).size, MEMBER_COLOURS.length);
    assert.equal(pickColour(taken), MEMBER_COLOURS[0]);
    assert.equal(pickColour([...taken, MEMBER_COLOURS[0]!]), MEMBER_COLOURS[1]);
    assert.equal(pickColour(MEMBER_COLOURS.slice(1)), MEMBER_COLOURS[0], 'a colour freed by a leaver is reused');
  });
  test('every colour is a CSS hex colour (the client accepts nothing else)', () => {
    for (const colour of MEMBER_COLOURS) assert.match(colour, /^#[0-9a-f]{6}$/);
  });
});
