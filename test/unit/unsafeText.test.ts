// The one definition of text that must not reach a screen: every control and bidi control goes, printable text stays.
import assert from 'node:assert/strict';
import test from 'node:test';
import { UNSAFE_IN_LINE, UNSAFE_IN_TEXT } from '../../server/shared/unsafeText.js';

const CONTROLS = ['\u0000', '\u0007', '\t', '\r', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029'];
const BIDI = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
const PRINTABLE = 'plain ASCII ~, é, 漢字, emoji 🎉, Arabic سلام, zero-width joiner \u200d';

test('UNSAFE_IN_LINE removes every control, separator and bidi control, line feeds included, and nothing printable', () => {
  for (const character of [...CONTROLS, ...BIDI, '\n']) {
    assert.equal(`a${character}b`.replace(UNSAFE_IN_LINE, ''), 'ab', `U+${character.codePointAt(0)!.toString(16)}`);
  }
  assert.equal(PRINTABLE.replace(UNSAFE_IN_LINE, ''), PRINTABLE);
});

test('UNSAFE_IN_TEXT is the same except that line feeds stay', () => {
  for (const character of [...CONTROLS, ...BIDI]) {
    assert.equal(`a${character}b`.replace(UNSAFE_IN_TEXT, ''), 'ab', `U+${character.codePointAt(0)!.toString(16)}`);
  }
  assert.equal('one\ntwo'.replace(UNSAFE_IN_TEXT, ''), 'one\ntwo');
  assert.equal(PRINTABLE.replace(UNSAFE_IN_TEXT, ''), PRINTABLE);
});
