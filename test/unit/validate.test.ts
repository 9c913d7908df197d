// Proves the wire validators accept exactly the documented shapes and limits and refuse everything else, without coercion.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { PayloadLimits, TerminalSize } from '../../server/shared/limits.js';
import {
  parseAck,
  parseCreateRoom,
  parseDimension,
  parseId,
  parseInput,
  parseJoin,
  parseMemberRole,
  parseMintToken,
  parseOffset,
  parseResize,
  parseUserId,
  parseSize,
  sanitizeName,
} from '../../server/shared/validate.js';

const label = (value: unknown): string => inspect(value, { breakLength: Infinity, maxStringLength: 40 });

/** Values that are not a whole, finite number and must never be coerced into one. */
const NOT_WHOLE_NUMBERS: readonly unknown[] = [
  NaN,
  Infinity,
  -Infinity,
  80.5,
  '80',
  '',
  null,
  undefined,
  {},
  [],
  [80],
  true,
  BigInt(80),
  { valueOf: () => 80 },
];

describe('parseDimension', () => {
  const min = TerminalSize.MinCols;
  const max = TerminalSize.MaxCols;
  const cases: ReadonlyArray<[unknown, number | undefined]> = [
    ...NOT_WHOLE_NUMBERS.map((value): [unknown, undefined] => [value, undefined]),
    [0, undefined],
    [-1, undefined],
    [1e9, undefined],
    [Number.MAX_SAFE_INTEGER, undefined],
    [min - 1, undefined],
    [min, min],
    [TerminalSize.DefaultCols, TerminalSize.DefaultCols],
    [max, max],
    [max + 1, undefined],
  ];
  for (const [input, expected] of cases) {
    test(`${label(input)} within [${min}, ${max}] → ${label(expected)}`, () => {
      assert.equal(parseDimension(input, min, max), expected);
    });
  }
});

describe('parseSize', () => {
  const ok = { cols: TerminalSize.DefaultCols, rows: TerminalSize.DefaultRows };
  const cases: ReadonlyArray<[string, unknown, { cols: number; rows: number } | undefined]> = [
    ['default size', ok, ok],
    ['minimum size', { cols: TerminalSize.MinCols, rows: TerminalSize.MinRows }, { cols: TerminalSize.MinCols, rows: TerminalSize.MinRows }],
    ['maximum size', { cols: TerminalSize.MaxCols, rows: TerminalSize.MaxRows }, { cols: TerminalSize.MaxCols, rows: TerminalSize.MaxRows }],
    ['cols one below minimum', { ...ok, cols: TerminalSize.MinCols - 1 }, undefined],
    ['rows one below minimum', { ...ok, rows: TerminalSize.MinRows - 1 }, undefined],
    ['cols one past maximum', { ...ok, cols: TerminalSize.MaxCols + 1 }, undefined],
    ['rows one past maximum', { ...ok, rows: TerminalSize.MaxRows + 1 }, undefined],
    ['0×0', { cols: 0, rows: 0 }, undefined],
    ['negative', { cols: -1, rows: -1 }, undefined],
    ['65535×65535', { cols: 65535, rows: 65535 }, undefined],
    ['1e9 cols', { ...ok, cols: 1e9 }, undefined],
    ['missing rows', { cols: ok.cols }, undefined],
    ['missing cols', { rows: ok.rows }, undefined],
    ['extra field is dropped', { ...ok, offset: 5 }, ok],
    ['80.5 cols', { ...ok, cols: 80.5 }, undefined],
    ['Infinity rows', { ...ok, rows: Number.POSITIVE_INFINITY }, undefined],
    ['-0 cols', { ...ok, cols: -0 }, undefined],
    ['null', null, undefined],
    ['undefined', undefined, undefined],
    ['array', [ok.cols, ok.rows], undefined],
    ['string', '80x24', undefined],
    ['number', 80, undefined],
    ...NOT_WHOLE_NUMBERS.map((value): [string, unknown, undefined] => [`cols ${label(value)}`, { ...ok, cols: value }, undefined]),
    ...NOT_WHOLE_NUMBERS.map((value): [string, unknown, undefined] => [`rows ${label(value)}`, { ...ok, rows: value }, undefined]),
  ];
  for (const [name, input, expected] of cases) {
    test(`${name} → ${label(expected)}`, () => {
      assert.deepEqual(parseSize(input), expected);
    });
  }
});

describe('parseResize (a client\'s term:resize)', () => {
  const ok = { cols: TerminalSize.DefaultCols, rows: TerminalSize.DefaultRows };
  const cases: ReadonlyArray<[string, unknown, { cols: number; rows: number } | undefined]> = [
    ['exactly { cols, rows }', ok, ok],
    ['an extra field is refused', { ...ok, offset: 5 }, undefined],
    ['a claimed role is refused', { ...ok, role: 'owner' }, undefined],
    ['a huge extra object is refused', { ...ok, junk: { deep: 'x'.repeat(100_000) } }, undefined],
    ['0×0', { cols: 0, rows: 0 }, undefined],
    ['65535×65535', { cols: 65535, rows: 65535 }, undefined],
    ['strings', { cols: '80', rows: '24' }, undefined],
    ['missing rows', { cols: ok.cols }, undefined],
    ['null', null, undefined],
  ];
  for (const [name, input, expected] of cases) {
    test(`${name} → ${label(expected)}`, () => {
      assert.deepEqual(parseResize(input), expected);
    });
  }
});

describe('parseOffset', () => {
  const cases: ReadonlyArray<[unknown, number | undefined]> = [
    [0, 0],
    [1, 1],
    [123_456, 123_456],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    [Number.MAX_SAFE_INTEGER + 1, undefined],
    [-1, undefined],
    [0.5, undefined],
    ...NOT_WHOLE_NUMBERS.map((value): [unknown, undefined] => [value, undefined]),
  ];
  for (const [input, expected] of cases) {
    test(`${label(input)} → ${label(expected)}`, () => {
      assert.equal(parseOffset(input), expected);
    });
  }
});

describe('parseAck', () => {
  const cases: ReadonlyArray<[unknown, { offset: number } | undefined]> = [
    [{ offset: 0 }, { offset: 0 }],
    [{ offset: 4096 }, { offset: 4096 }],
    [{ offset: 4096, extra: 'dropped' }, { offset: 4096 }],
    [{ offset: -1 }, undefined],
    [{ offset: 1.5 }, undefined],
    [{ offset: '4096' }, undefined],
    [{ offset: NaN }, undefined],
    [{ offset: Infinity }, undefined],
    [{}, undefined],
    [4096, undefined],
    [[4096], undefined],
    [null, undefined],
    [undefined, undefined],
  ];
  for (const [input, expected] of cases) {
    test(`${label(input)} → ${label(expected)}`, () => {
      assert.deepEqual(parseAck(input), expected);
    });
  }
});

describe('parseInput', () => {
  const max = PayloadLimits.MaxInputChunk;
  test('a keystroke is accepted unchanged', () => {
    assert.equal(parseInput('l'), 'l');
    assert.equal(parseInput('\x03'), '\x03');
  });
  test('exactly the maximum chunk is accepted', () => {
    const chunk = 'x'.repeat(max);
    assert.equal(parseInput(chunk), chunk);
  });
  test('one code unit past the maximum is refused', () => {
    assert.equal(parseInput('x'.repeat(max + 1)), undefined);
  });
  test('the empty string is refused', () => {
    assert.equal(parseInput(''), undefined);
  });
  for (const value of [null, undefined, 42, ['ls'], { data: 'ls' }, Buffer.from('ls'), new Uint8Array([0x6c])]) {
    test(`non-string ${label(value)} is refused`, () => {
      assert.equal(parseInput(value), undefined);
    });
  }
});

describe('parseId', () => {
  const max = PayloadLimits.MaxIdLength;
  const accepted = ['abc', 'A-Z_09', 'x'.repeat(max)];
  for (const id of accepted) {
    test(`${label(id)} is accepted`, () => {
      assert.equal(parseId(id), id);
    });
  }
  const refused: readonly unknown[] = [
    '',
    '../x',
    'a/b',
    'a.b',
    'a b',
    ' abc',
    'abc\n',
    'é',
    'ab\u202ecd',
    'abc\u0000',
    'x'.repeat(max + 1),
    null,
    undefined,
    42,
    ['abc'],
  ];
  for (const id of refused) {
    test(`${label(id)} is refused`, () => {
      assert.equal(parseId(id), undefined);
    });
  }
  test('a custom maximum length is honoured at its boundary', () => {
    const longMax = PayloadLimits.MaxTokenLength;
    assert.equal(parseId('t'.repeat(longMax), longMax), 't'.repeat(longMax));
    assert.equal(parseId('t'.repeat(longMax + 1), longMax), undefined);
  });
});

describe('sanitizeName', () => {
  const max = PayloadLimits.MaxNameLength;
  const cases: ReadonlyArray<[string, unknown, string | undefined]> = [
    ['plain name', 'ada', 'ada'],
    ['inner spaces kept', 'Ada Lovelace', 'Ada Lovelace'],
    ['surrounding whitespace trimmed', '  ada \t', 'ada'],
    ['C0 controls stripped', 'a\u0000d\u0007a\u001b[31m', 'ada[31m'],
    ['newlines stripped', 'ada\r\nlovelace', 'adalovelace'],
    ['DEL stripped', 'ad\u007fa', 'ada'],
    ['C1 controls stripped (incl. CSI U+009B)', '\u0080a\u009b31md\u009fa', 'a31mda'],
    ['bidi override RLO/PDF stripped', '\u202eada\u202c', 'ada'],
    ['bidi embeddings stripped', '\u202aa\u202bd\u202da', 'ada'],
    ['bidi isolates stripped', '\u2066a\u2067d\u2068a\u2069', 'ada'],
    ['LRM/RLM stripped', '\u200ead\u200fa', 'ada'],
    ['non-Latin letters kept', 'Łukasz 李', 'Łukasz 李'],
    ['emoji kept', 'ada 🦊', 'ada 🦊'],
    ['empty → undefined', '', undefined],
    ['whitespace only → undefined', '   \t ', undefined],
    ['controls only → undefined', '\u0000\u001b\u007f\u202e', undefined],
    ['number → undefined', 42, undefined],
    ['null → undefined', null, undefined],
    ['array → undefined', ['ada'], undefined],
  ];
  for (const [name, input, expected] of cases) {
    test(`${name}: ${label(input)} → ${label(expected)}`, () => {
      assert.equal(sanitizeName(input), expected);
    });
  }

  test('every Unicode bidi control character is stripped', () => {
    // The full Bidi_Control set, not a hand-copied list, so a missed mark shows up here.
    const bidiControls: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      const ch = String.fromCodePoint(cp);
      if (/\p{Bidi_Control}/u.test(ch)) bidiControls.push(ch);
    }
    assert.ok(bidiControls.length >= 12, 'the Unicode table lists the bidi controls');
    const leftover = bidiControls.filter((ch) => sanitizeName(`a${ch}b`) !== 'ab');
    assert.deepEqual(leftover.map((ch) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`), []);
  });

  test('length is capped at the limit, counted in code points', () => {
    assert.equal(sanitizeName('n'.repeat(max)), 'n'.repeat(max));
    assert.equal(sanitizeName('n'.repeat(max + 1)), 'n'.repeat(max));
    // Astral characters are two UTF-16 units each; the cap must neither halve one nor count it twice.
    const foxes = '🦊'.repeat(max + 5);
    const capped = sanitizeName(foxes);
    assert.equal(capped, '🦊'.repeat(max));
    assert.equal(Array.from(capped!).length, max);
  });

  test('controls do not count toward the limit (stripped before capping)', () => {
    assert.equal(sanitizeName('\u0000'.repeat(max) + 'n'.repeat(max)), 'n'.repeat(max));
  });

  test('a custom limit is honoured', () => {
    assert.equal(sanitizeName('abcdef', 3), 'abc');
  });

  test('the capped name is still trimmed (no trailing whitespace from the cut)', () => {
    assert.equal(sanitizeName('n'.repeat(max - 1) + ' tail'), 'n'.repeat(max - 1));
  });
});

describe('parseJoin', () => {
  test('roomId alone is a valid join', () => {
    assert.deepEqual(parseJoin({ roomId: 'room1' }), { roomId: 'room1' });
  });

  test('all optional fields are carried through', () => {
    assert.deepEqual(parseJoin({ roomId: 'room1', token: 'tok_en-1', name: ' ada ', resumeFrom: 42, acks: true }), {
      roomId: 'room1',
      token: 'tok_en-1',
      name: 'ada',
      resumeFrom: 42,
      acks: true,
    });
  });

  test('resumeFrom 0 and acks false are kept, not dropped as falsy', () => {
    assert.deepEqual(parseJoin({ roomId: 'r', resumeFrom: 0, acks: false }), { roomId: 'r', resumeFrom: 0, acks: false });
  });

  test('extra fields are ignored', () => {
    assert.deepEqual(parseJoin({ roomId: 'r', cols: 80, __proto__x: 1, admin: true }), { roomId: 'r' });
  });

  test('a role claimed in the payload is ignored and not returned', () => {
    for (const role of ['owner', 'writer', 'viewer']) {
      const parsed = parseJoin({ roomId: 'r', role });
      assert.deepEqual(parsed, { roomId: 'r' });
      assert.equal(Object.hasOwn(parsed!, 'role'), false);
    }
  });

  test('a name that sanitizes to nothing is omitted, not refused', () => {
    assert.deepEqual(parseJoin({ roomId: 'r', name: '\u0000 \u202e' }), { roomId: 'r' });
  });

  test('the name is sanitized and capped', () => {
    const parsed = parseJoin({ roomId: 'r', name: `\u001b[2J${'n'.repeat(PayloadLimits.MaxNameLength + 10)}` });
    assert.equal(parsed?.name, `[2J${'n'.repeat(PayloadLimits.MaxNameLength - 3)}`);
  });

  test('a token of exactly the token limit is accepted, one longer is refused', () => {
    const token = 't'.repeat(PayloadLimits.MaxTokenLength);
    assert.equal(parseJoin({ roomId: 'r', token })?.token, token);
    assert.equal(parseJoin({ roomId: 'r', token: `${token}t` }), undefined);
  });

  const refused: ReadonlyArray<[string, unknown]> = [
    ['missing roomId', { token: 'abc' }],
    ['empty roomId', { roomId: '' }],
    ['roomId with a path', { roomId: '../x' }],
    ['numeric roomId', { roomId: 42 }],
    ['roomId past the id limit', { roomId: 'r'.repeat(PayloadLimits.MaxIdLength + 1) }],
    ['numeric token', { roomId: 'r', token: 123 }],
    ['empty token', { roomId: 'r', token: '' }],
    ['token with bad characters', { roomId: 'r', token: 'a b' }],
    ['null token', { roomId: 'r', token: null }],
    ['numeric name', { roomId: 'r', name: 5 }],
    ['object name', { roomId: 'r', name: { first: 'ada' } }],
    ['string resumeFrom', { roomId: 'r', resumeFrom: '5' }],
    ['negative resumeFrom', { roomId: 'r', resumeFrom: -1 }],
    ['fractional resumeFrom', { roomId: 'r', resumeFrom: 1.5 }],
    ['NaN resumeFrom', { roomId: 'r', resumeFrom: NaN }],
    ['string acks', { roomId: 'r', acks: 'true' }],
    ['numeric acks', { roomId: 'r', acks: 1 }],
    ['null payload', null],
    ['string payload', 'r'],
    ['array payload', [{ roomId: 'r' }]],
  ];
  for (const [name, input] of refused) {
    test(`${name} is refused`, () => {
      assert.equal(parseJoin(input), undefined);
    });
  }
});

describe('parseCreateRoom', () => {
  test('null and undefined mean an empty body', () => {
    assert.deepEqual(parseCreateRoom(null), {});
    assert.deepEqual(parseCreateRoom(undefined), {});
  });

  test('an empty object is an empty body', () => {
    assert.deepEqual(parseCreateRoom({}), {});
  });

  test('a full valid body comes back typed', () => {
    assert.deepEqual(parseCreateRoom({ name: '  demo  ', profile: 'default', cols: 120, rows: 40 }), {
      name: 'demo',
      profile: 'default',
      cols: 120,
      rows: 40,
    });
  });

  test('the size limits themselves are accepted', () => {
    assert.deepEqual(parseCreateRoom({ cols: TerminalSize.MinCols, rows: TerminalSize.MinRows }), {
      cols: TerminalSize.MinCols,
      rows: TerminalSize.MinRows,
    });
    assert.deepEqual(parseCreateRoom({ cols: TerminalSize.MaxCols, rows: TerminalSize.MaxRows }), {
      cols: TerminalSize.MaxCols,
      rows: TerminalSize.MaxRows,
    });
  });

  test('a name of exactly the room-name limit is accepted', () => {
    const name = 'n'.repeat(PayloadLimits.MaxRoomNameLength);
    assert.deepEqual(parseCreateRoom({ name }), { name });
  });

  test('control characters are stripped from the room name', () => {
    assert.deepEqual(parseCreateRoom({ name: '\u001b]0;pwned\u0007demo\u202e' }), { name: ']0;pwneddemo' });
  });

  const errors: ReadonlyArray<[string, unknown, RegExp]> = [
    ['string body', 'name=x', /object/],
    ['number body', 42, /object/],
    ['array body', [{ name: 'x' }], /object/],
    ['boolean body', true, /object/],
    ['unknown field', { name: 'x', shell: '/bin/sh' }, /shell/],
    ['unknown field alone', { command: 'rm -rf /' }, /command/],
    ['name one past the limit', { name: 'n'.repeat(PayloadLimits.MaxRoomNameLength + 1) }, /name/],
    ['numeric name', { name: 5 }, /name/],
    ['cols 0', { cols: 0 }, /cols/],
    ['cols -1', { cols: -1 }, /cols/],
    ['cols one below minimum', { cols: TerminalSize.MinCols - 1 }, /cols/],
    ['cols one past maximum', { cols: TerminalSize.MaxCols + 1 }, /cols/],
    ['cols 80.5', { cols: 80.5 }, /cols/],
    ["cols '80'", { cols: '80' }, /cols/],
    ['cols NaN', { cols: NaN }, /cols/],
    ['cols Infinity', { cols: Infinity }, /cols/],
    ['cols null', { cols: null }, /cols/],
    ['rows one below minimum', { rows: TerminalSize.MinRows - 1 }, /rows/],
    ['rows one past maximum', { rows: TerminalSize.MaxRows + 1 }, /rows/],
    ['rows 1e9', { rows: 1e9 }, /rows/],
    ["rows '24'", { rows: '24' }, /rows/],
    ['profile with a path', { profile: '../etc/passwd' }, /profile/],
    ['profile with a space', { profile: 'my profile' }, /profile/],
    ['empty profile', { profile: '' }, /profile/],
    ['numeric profile', { profile: 1 }, /profile/],
    ['profile past the limit', { profile: 'p'.repeat(PayloadLimits.MaxProfileLength + 1) }, /profile/],
  ];
  for (const [name, input, mentions] of errors) {
    test(`${name} → an error message mentioning ${mentions.source}`, () => {
      const result = parseCreateRoom(input);
      assert.equal(typeof result, 'string', `expected an error string, got ${label(result)}`);
      assert.match(result as string, mentions);
    });
  }
});

describe('parseMemberRole', () => {
  test('accepts { memberId, role: viewer | writer }', () => {
    assert.deepEqual(parseMemberRole({ memberId: 'abc_1', role: 'writer' }), { memberId: 'abc_1', role: 'writer' });
    assert.deepEqual(parseMemberRole({ memberId: 'abc', role: 'viewer' }), { memberId: 'abc', role: 'viewer' });
  });
  for (const input of [null, 'writer', [], {}, { memberId: 'a', role: 'owner' }, { memberId: 'a', role: 'Writer' }, { memberId: 'a b', role: 'writer' },
    { memberId: 1, role: 'writer' }, { memberId: 'x'.repeat(PayloadLimits.MaxIdLength + 1), role: 'writer' }, { role: 'writer' }]) {
    test(`${label(input)} → undefined`, () => assert.equal(parseMemberRole(input), undefined));
  }
});

describe('parseUserId', () => {
  for (const good of ['local:alice', 'basic:bob', 'oidc:248289761001', 'oidc:a|b@c']) {
    test(`${good} is a user id`, () => assert.equal(parseUserId(good), good));
  }
  for (const bad of ['alice', 'local:', ':alice', 'Local:alice', 'local: alice', 'local:al\u0000ice', 'local:a\nb', 7, null, `local:${'a'.repeat(PayloadLimits.MaxUserIdLength)}`]) {
    test(`${label(bad)} is not`, () => assert.equal(parseUserId(bad), undefined));
  }
});

describe('parseMintToken', () => {
  test('role alone, with expiry and label (trimmed, controls removed)', () => {
    assert.deepEqual(parseMintToken({ role: 'viewer' }), { role: 'viewer' });
    assert.deepEqual(parseMintToken({ role: 'writer', expiresInSeconds: 60, label: ' pair\u001b ' }), { role: 'writer', expiresInSeconds: 60, label: 'pair' });
    assert.deepEqual(parseMintToken({ role: 'viewer', expiresInSeconds: PayloadLimits.MaxTokenLifetimeSeconds }), { role: 'viewer', expiresInSeconds: PayloadLimits.MaxTokenLifetimeSeconds });
  });
  const errors: Array<[unknown, RegExp]> = [
    [null, /object/], [[], /object/], [{ role: 'owner' }, /role/], [{}, /role/], [{ role: 'viewer', expiresInSeconds: 0 }, /expiresInSeconds/],
    [{ role: 'viewer', expiresInSeconds: Number.NaN }, /expiresInSeconds/], [{ role: 'viewer', expiresInSeconds: Infinity }, /expiresInSeconds/],
    [{ role: 'viewer', expiresInSeconds: 80.5 }, /expiresInSeconds/], [{ role: 'viewer', expiresInSeconds: '80' }, /expiresInSeconds/],
    [{ role: 'viewer', expiresInSeconds: PayloadLimits.MaxTokenLifetimeSeconds + 1 }, /expiresInSeconds/],
    [{ role: 'viewer', label: 'x'.repeat(PayloadLimits.MaxTokenLabelLength + 1) }, /label/], [{ role: 'viewer', label: {} }, /label/],
    [{ role: 'viewer', token: 'mine' }, /unknown field "token"/],
  ];
  for (const [input, mentions] of errors) {
    test(`${label(input)} → an error mentioning ${mentions.source}`, () => {
      const result = parseMintToken(input);
      assert.equal(typeof result, 'string');
      assert.match(result as string, mentions);
    });
  }
});

describe('parseCreateRoom: private rooms and profiles only', () => {
  test('private and allowedUsers (deduplicated)', () => {
    assert.deepEqual(parseCreateRoom({ private: true, allowedUsers: ['local:bob', 'local:bob', 'oidc:x'] }), { private: true, allowedUsers: ['local:bob', 'oidc:x'] });
  });
  test('command is always refused; args only under permitArguments', () => {
    assert.match(parseCreateRoom({ command: 'sh' }, { permitArguments: true }) as string, /profile/);
    assert.match(parseCreateRoom({ args: ['-l'] }) as string, /permit-arguments/);
    assert.deepEqual(parseCreateRoom({ args: ['-l'] }, { permitArguments: true }), { args: ['-l'] });
    assert.match(parseCreateRoom({ args: Array(PayloadLimits.MaxArgs + 1).fill('a') }, { permitArguments: true }) as string, /args/);
    assert.match(parseCreateRoom({ args: ['a\u0000'] }, { permitArguments: true }) as string, /args/);
  });
});
