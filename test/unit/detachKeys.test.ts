// The detach keys of `ttyroom attach`: twice the detach key, or `~.` at a line's start, leaves; everything else
// reaches the room unchanged and in order, held keys included; a paste is never read as a command.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DetachKeys, describeDetachByte, parseDetachKey, parseEscapeChar } from '../../server/termclient/detachKeys.js';
import { ConfigError } from '../../server/util/configError.js';

const CTRL_BACKSLASH = 0x1c;

function keys(): DetachKeys {
  return new DetachKeys({ detachByte: CTRL_BACKSLASH, escapeChar: '~' });
}

test('the detach key twice in a row detaches, whether in one read or two', () => {
  assert.deepEqual(keys().feed('ls\x1c\x1c'), { forward: 'ls', detach: true, commands: [] });
  const split = keys();
  assert.deepEqual(split.feed('x\x1c'), { forward: 'x', detach: false, commands: [] });
  assert.deepEqual(split.feed('\x1c'), { forward: '', detach: true, commands: [] });
});

test('a single detach key is held, then sent on with the next key (Ctrl-\\ still reaches a program)', () => {
  const filter = keys();
  assert.deepEqual(filter.feed('\x1c'), { forward: '', detach: false, commands: [] });
  assert.deepEqual(filter.feed('q'), { forward: '\x1cq', detach: false, commands: [] });
});

test('~. at the start of the input or after Enter detaches; elsewhere it is text', () => {
  assert.deepEqual(keys().feed('~.'), { forward: '', detach: true, commands: [] });
  assert.deepEqual(keys().feed('echo hi\r~.'), { forward: 'echo hi\r', detach: true, commands: [] });
  assert.deepEqual(keys().feed('a~.b'), { forward: 'a~.b', detach: false, commands: [] });
  const split = keys();
  assert.deepEqual(split.feed('\r~'), { forward: '\r', detach: false, commands: [] });
  assert.deepEqual(split.feed('.'), { forward: '', detach: true, commands: [] });
});

test('~~ sends one ~, and ~ with any other key sends both', () => {
  assert.deepEqual(keys().feed('~~x'), { forward: '~x', detach: false, commands: [] });
  assert.deepEqual(keys().feed('~/bin'), { forward: '~/bin', detach: false, commands: [] });
});

test('a bracketed paste is text: neither ~. nor the detach key inside it is a command, and a held key goes first', () => {
  const paste = '\x1b[200~line\r~.\x1c\x1c\x1b[201~';
  assert.deepEqual(keys().feed(paste), { forward: paste, detach: false, commands: [] });
  const held = keys();
  assert.deepEqual(held.feed('\x1c'), { forward: '', detach: false, commands: [] });
  assert.deepEqual(held.feed(paste), { forward: `\x1c${paste}`, detach: false, commands: [] });
  // The paste's end is found across reads too.
  const split = keys();
  assert.deepEqual(split.feed('\x1b[200~a\r~'), { forward: '\x1b[200~a\r~', detach: false, commands: [] });
  assert.deepEqual(split.feed('.\x1b[201~'), { forward: '.\x1b[201~', detach: false, commands: [] });
  assert.deepEqual(split.feed('\r~.'), { forward: '\r', detach: true, commands: [] });
});

test('turned off, the keys are plain input', () => {
  const none = new DetachKeys({});
  assert.deepEqual(none.feed('\x1c\x1c\r~.'), { forward: '\x1c\x1c\r~.', detach: false, commands: [] });
});

test('--detach-key and --escape read their values; a bad one is a ConfigError naming the option', () => {
  assert.equal(parseDetachKey('ctrl-\\'), CTRL_BACKSLASH);
  assert.equal(parseDetachKey('ctrl-a'), 0x01);
  assert.equal(parseDetachKey('C-]'), 0x1d);
  assert.equal(parseDetachKey('none'), undefined);
  assert.equal(describeDetachByte(CTRL_BACKSLASH), 'Ctrl-\\');
  for (const bad of ['ctrl-[', 'ctrl-@', 'alt-x', 'x', 'ctrl-1']) assert.throws(() => parseDetachKey(bad), (error: unknown) => error instanceof ConfigError && error.message.startsWith('--detach-key'), bad);
  assert.equal(parseEscapeChar('%'), '%');
  assert.equal(parseEscapeChar('none'), undefined);
  for (const bad of ['', 'ab', ' ', '\x01']) assert.throws(() => parseEscapeChar(bad), (error: unknown) => error instanceof ConfigError && error.message.startsWith('--escape'), JSON.stringify(bad));
});

test('~h and ~? at a line\'s start are commands, not input; another may follow; ~. still leaves after them', () => {
  assert.deepEqual(keys().feed('~h'), { forward: '', detach: false, commands: ['hand'] });
  assert.deepEqual(keys().feed('\r~?~h'), { forward: '\r', detach: false, commands: ['help', 'hand'] });
  assert.deepEqual(keys().feed('~h~.'), { forward: '', detach: true, commands: ['hand'] });
  assert.deepEqual(keys().feed('a~h'), { forward: 'a~h', detach: false, commands: [] }, 'not at a line\'s start');
  assert.deepEqual(keys().feed('~hls'), { forward: 'ls', detach: false, commands: ['hand'] });
});

test('a paste whose end marker is split across reads still ends: the keys after it are commands again', () => {
  const filter = keys();
  assert.deepEqual(filter.feed('\x1b[200~text\x1b[2'), { forward: '\x1b[200~text\x1b[2', detach: false, commands: [] });
  assert.deepEqual(filter.feed('01~'), { forward: '01~', detach: false, commands: [] });
  assert.deepEqual(filter.feed('\r~.'), { forward: '\r', detach: true, commands: [] });
  const oneByOne = keys();
  for (const char of '\x1b[200~x\x1b[201~') assert.equal(oneByOne.feed(char).detach, false);
  assert.deepEqual(oneByOne.feed('\x1c\x1c'), { forward: '', detach: true, commands: [] });
});
