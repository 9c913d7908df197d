// The Recorder alone, on a manual clock and a temporary file: v2 lines with times since the start, the snapshot
// as reset + resize + screen, flushes by time and by size, the cap, and nothing left running once it ends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder, RecordingLimits } from '../../server/recording/recorder.js';
import { ManualClock } from '../helpers/manualClock.js';
import { parseCast } from '../helpers/asciicast.js';

function setup(maxBytes = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'ttyroom-recorder-'));
  const clock = new ManualClock();
  const path = join(dir, 'room.cast');
  const recorder = new Recorder({ path, clock, title: 'demo', cols: 80, rows: 24, maxBytes });
  return { clock, path, recorder, read: () => readFileSync(path, 'utf8'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('events are v2 lines timed from the start; a snapshot is a reset, a resize when the size differs, then the screen', () => {
  const { clock, recorder, read, path, cleanup } = setup();
  try {
    assert.equal(statSync(path).mode & 0o777, RecordingLimits.FileMode);
    assert.deepEqual(parseCast(read()).events, [], 'the header alone is on disk at once');
    clock.advance(250);
    recorder.port.send('term:output', { offset: 0, data: 'hello' });
    clock.advance(1250);
    recorder.port.send('term:snapshot', { offset: 5, cols: 100, rows: 30, data: new TextEncoder().encode('screen 字') });
    recorder.port.send('term:resize', { offset: 5, cols: 100, rows: 30 });
    recorder.marker('curtain lifted');
    recorder.port.send('term:exit', { exitCode: 0, reason: 'exited' });
    const cast = parseCast(read());
    assert.deepEqual(cast.header, { version: 2, width: 80, height: 24, timestamp: Math.floor(clock.now() / 1000) - 1, title: 'demo', env: { TERM: 'xterm-256color' } });
    assert.deepEqual(cast.events, [
      { time: 0.25, code: 'o', data: 'hello' },
      { time: 1.5, code: 'o', data: '\x1bc' },
      { time: 1.5, code: 'r', data: '100x30' },
      { time: 1.5, code: 'o', data: 'screen 字' },
      { time: 1.5, code: 'm', data: 'curtain lifted' },
      { time: 1.5, code: 'm', data: 'exited: 0 (exited)' },
    ], 'a resize to the size it has is not an event');
    assert.equal(clock.pending, 0, 'no flush timer left once it ended');
    recorder.port.send('term:output', { offset: 5, data: 'late' });
    assert.ok(!read().includes('late'), 'nothing after the end');
  } finally {
    cleanup();
  }
});

test('buffered events reach the file after FlushIntervalMs, or at once past FlushAtBytes', () => {
  const { clock, recorder, read, cleanup } = setup();
  try {
    recorder.port.send('term:output', { offset: 0, data: 'small' });
    clock.advance(RecordingLimits.FlushIntervalMs - 1);
    assert.ok(!read().includes('small'));
    clock.advance(1);
    assert.ok(read().includes('small'));
    const big = 'x'.repeat(RecordingLimits.FlushAtBytes);
    recorder.port.send('term:output', { offset: 5, data: big });
    assert.ok(read().includes(big), 'written without waiting for the timer');
    recorder.dispose();
    assert.equal(clock.pending, 0);
  } finally {
    cleanup();
  }
});

test('the cap: the event that would pass it becomes a marker, and nothing but the exit follows', () => {
  const maxBytes = 4096;
  const { recorder, read, cleanup } = setup(maxBytes);
  try {
    for (let i = 0; i < 100; i++) recorder.port.send('term:output', { offset: i * 100, data: 'y'.repeat(100) });
    recorder.marker('joined: late (viewer) [x]');
    recorder.input('typed');
    recorder.port.send('term:exit', { exitCode: 1, reason: 'closed' });
    const text = read();
    const labels = parseCast(text).events.filter((e) => e.code !== 'o').map((e) => e.data);
    assert.deepEqual(labels, ['recording size cap reached (4096 bytes): nothing more is recorded', 'exited: 1 (closed)']);
    assert.ok(Buffer.byteLength(text) <= maxBytes + 200, `${Buffer.byteLength(text)} bytes`);
  } finally {
    cleanup();
  }
});
