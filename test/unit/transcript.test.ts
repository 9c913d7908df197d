// The transcript read back from recordings the Recorder writes (manual clock, no pty): the line the cursor leaves
// after each Enter, a paste of several lines, wrapped lines, scrolling, the alternate screen, a no-echo prompt,
// and the plain-text rendering.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder, RecordingMarkers } from '../../server/recording/recorder.js';
import { parseEnterMarker, readTranscript, renderTranscript } from '../../server/recording/transcript.js';
import { ManualClock } from '../helpers/manualClock.js';

/** A recording made of `steps`: output strings, or Enter presses by a member. */
type Step = string | { enter: string } | { resize: [number, number] };

async function transcriptOf(steps: readonly Step[], size: { cols: number; rows: number } = { cols: 80, rows: 24 }) {
  const dir = mkdtempSync(join(tmpdir(), 'ttyroom-transcript-'));
  try {
    const clock = new ManualClock();
    const path = join(dir, 'room.cast');
    const recorder = new Recorder({ path, clock, title: 't', ...size, maxBytes: 0 });
    let offset = 0;
    for (const step of steps) {
      clock.advance(1000);
      if (typeof step === 'string') {
        recorder.port.send('term:output', { offset, data: step });
        offset += step.length;
      } else if ('enter' in step) {
        recorder.marker(RecordingMarkers.enter(step.enter, `id-${step.enter}`));
      } else {
        recorder.port.send('term:resize', { offset, cols: step.resize[0], rows: step.resize[1] });
      }
    }
    recorder.dispose();
    return await readTranscript(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const commands = (entries: Awaited<ReturnType<typeof transcriptOf>>) => entries.map((e) => [e.name, e.source === 'screen' ? e.command : e.source]);

test('a typed command: the line the cursor leaves after the Enter, with the member who pressed it', async () => {
  const entries = await transcriptOf(['$ ', 'l', 's', ' -l', { enter: 'ada' }, '\r\nfile\r\n$ ', 'pwd', { enter: 'bob' }, '\r\n/tmp\r\n$ ']);
  assert.deepEqual(commands(entries), [['ada', '$ ls -l'], ['bob', '$ pwd']]);
  assert.deepEqual(entries.map((e) => e.memberId), ['id-ada', 'id-bob']);
  assert.ok(entries.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.time)));
  assert.ok(entries[0]!.time < entries[1]!.time);
});

test('a paste of several lines: each Enter takes the next line left at the prompt, not the command output between', async () => {
  const entries = await transcriptOf([
    'old\r\n$ ', { enter: 'ada' }, { enter: 'ada' }, { enter: 'ada' },
    'echo a\r\na\r\nmore a\r\n$ echo b\r\nb\r\n$ true\r\n$ ',
  ]);
  assert.deepEqual(commands(entries), [['ada', '$ echo a'], ['ada', '$ echo b'], ['ada', '$ true']]);
});

test('lines read by a program at column 0 (cat): each Enter takes the next line', async () => {
  // A paste of "one\rtwo\r": the tty echoes both lines at once, then cat prints them back.
  const entries = await transcriptOf(['$ cat\r\n', { enter: 'ada' }, { enter: 'ada' }, 'one\r\ntwo\r\n', 'one\r\ntwo\r\n']);
  assert.deepEqual(commands(entries), [['ada', 'one'], ['ada', 'two']]);
});

test('a command wrapped over several rows is read whole, with the blanks at its wraps', async () => {
  // The blank after the x's is the first row's last cell.
  const long = `echo ${'x'.repeat(12)} ${'y'.repeat(30)}`;
  const entries = await transcriptOf(['$ ', long, { enter: 'ada' }, '\r\nout\r\n$ '], { cols: 20, rows: 5 });
  assert.deepEqual(commands(entries), [['ada', `$ ${long}`]]);
});

test('at the bottom of a full scrollback the line left is still the command line', async () => {
  const lines = Array.from({ length: 3000 }, (_, i) => `line ${i}\r\n`).join('');
  const entries = await transcriptOf([lines, '$ ', 'date', { enter: 'ada' }, '\r\nnow\r\n$ ', { enter: 'bob' }, '\r\n$ '], { cols: 40, rows: 4 });
  assert.deepEqual(commands(entries), [['ada', '$ date'], ['bob', '$']]);
});

test('an Enter inside a full-screen program says so instead of reading its screen', async () => {
  const entries = await transcriptOf([
    '$ vim', { enter: 'ada' }, '\r\n\x1b[?1049h\x1b[Hediting\r\n~\r\n', { enter: 'bob' }, '\r\n~', '\x1b[?1049l$ ', 'ls', { enter: 'ada' }, '\r\n$ ',
  ]);
  assert.deepEqual(commands(entries), [['ada', '$ vim'], ['bob', 'full-screen'], ['ada', '$ ls']]);
});

test('a no-echo prompt: the line holds the prompt, never what was typed (it was never on the screen)', async () => {
  const entries = await transcriptOf(['Password: ', { enter: 'ada' }, '\r\nwelcome\r\n']);
  assert.deepEqual(commands(entries), [['ada', 'Password:']]);
});

test('an Enter whose line is never left is listed as unseen; a resize between keeps the reading right', async () => {
  const entries = await transcriptOf(['$ ', 'make', { enter: 'ada' }, { resize: [100, 30] }, '\r\nok\r\n$ ', 'exit', { enter: 'bob' }]);
  assert.deepEqual(commands(entries), [['ada', '$ make'], ['bob', 'unseen']]);
  assert.equal(renderTranscript(entries).split('\n').length, 3);
  assert.match(renderTranscript(entries), /^\d\d:\d\d:\d\d {2}ada {2}\$ make\n\d\d:\d\d:\d\d {2}bob {2}\(no command line on the screen\)\n$/);
});

test('enter markers parse back to name and id, names with brackets and spaces too', () => {
  assert.deepEqual(parseEnterMarker(RecordingMarkers.enter('Ada [ops] L', 'm-1')), { name: 'Ada [ops] L', memberId: 'm-1' });
  assert.equal(parseEnterMarker(RecordingMarkers.typing('ada', 'm-1')), undefined);
});
