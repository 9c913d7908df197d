// The operator commands' one option reader: values, flags, positionals, and one clear line for each mistake.
import assert from 'node:assert/strict';
import test from 'node:test';
import { readOptions, UsageError } from '../../server/cli/commandLine.js';

const SPEC = { command: 'demo', values: ['room', 'data-dir'], flags: ['json'], positionals: 1 } as const;

test('values (spaced or with =), flags and one positional are read; --help wins', () => {
  const read = readOptions(['--room', 'r1', '--data-dir=/x=y', '--json', 'ID'], SPEC);
  assert.notEqual(read, 'help');
  if (read === 'help') return;
  assert.deepEqual([...read.values], [['room', 'r1'], ['data-dir', '/x=y']]);
  assert.deepEqual([...read.flags], ['json']);
  assert.deepEqual(read.positionals, ['ID']);
  assert.equal(readOptions(['-h', '--bogus'], SPEC), 'help', 'help, read before the mistake, wins');
  assert.equal(readOptions(['--help'], SPEC), 'help');
});

test('each mistake is one UsageError naming it', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /^unknown option --bogus \(see ttyroom demo --help\)$/],
    [['--json=yes'], /^unknown option --json /],
    [['--room'], /^--room needs a value$/],
    [['--room='], /^--room needs a value$/],
    [['-x'], /^unexpected argument "-x" /],
    [['one', 'two'], /^unexpected argument "two" \(see ttyroom demo --help\)$/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => readOptions(argv, SPEC), (error: unknown) => error instanceof UsageError && message.test(error.message), argv.join(' '));
  }
  assert.throws(() => readOptions(['ID'], { command: 'demo', values: [] }), /unexpected argument "ID"/, 'no positionals unless asked');
});
