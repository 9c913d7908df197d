// StreamHistory: what a resuming member is sent — exactly the missed part of the stream, or nothing when
// that part is no longer (or was never) held.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryDefaults } from '../../server/shared/flowControl.js';
import { StreamHistory, type StreamEvent } from '../../server/rooms/streamHistory.js';

function outputOf(events: StreamEvent[] | undefined): string {
  assert.ok(events, 'the offset is held');
  return events.map((event) => (event.kind === 'output' ? event.payload.data : `<${event.payload.cols}x${event.payload.rows}>`)).join('');
}

function filled(capacity: number): StreamHistory {
  const history = new StreamHistory(capacity);
  history.pushOutput({ offset: 0, data: 'hello ' });
  history.pushOutput({ offset: 6, data: 'world' });
  history.pushResize({ offset: 11, cols: 100, rows: 30 });
  history.pushOutput({ offset: 11, data: '!' });
  return history;
}

test('from a chunk boundary, mid-chunk, the end, and the start', () => {
  const history = filled(1_000);
  assert.equal(outputOf(history.since(6)), 'world<100x30>!');
  assert.equal(outputOf(history.since(8)), 'rld<100x30>!');
  assert.equal(outputOf(history.since(12)), '');
  assert.equal(outputOf(history.since(0)), 'hello world<100x30>!');
  const [first] = history.since(8)!;
  assert.deepEqual(first, { kind: 'output', payload: { offset: 8, data: 'rld' } }, 'a cut chunk carries the offset it now starts at');
});

test('a resize at exactly the resume offset is sent again (applying a size twice changes nothing)', () => {
  assert.equal(outputOf(filled(1_000).since(11)), '<100x30>!');
});

test('offsets beyond the end or before the start are not held', () => {
  const history = filled(1_000);
  assert.equal(history.since(13), undefined);
  assert.equal(history.since(-1), undefined);
});

test('past its capacity the oldest chunks go, and resuming from them is refused', () => {
  const overhead = HistoryDefaults.EventOverheadUnits;
  // Room for the last two chunks and the resize with their overhead, not for the first chunk too.
  const history = filled('world!'.length + 3 * overhead);
  assert.equal(history.start, 6);
  assert.equal(history.since(0), undefined);
  assert.equal(history.since(5), undefined);
  assert.equal(outputOf(history.since(6)), 'world<100x30>!');
});

test('many tiny chunks are bounded by their count too, not only their text', () => {
  const capacity = 64 * 1024;
  const history = new StreamHistory(capacity);
  for (let offset = 0; offset < 100_000; offset++) history.pushOutput({ offset, data: 'x' });
  const held = history.end - history.start;
  assert.ok(held <= capacity / (1 + HistoryDefaults.EventOverheadUnits), `${held} one-character chunks held`);
  assert.equal(outputOf(history.since(history.start)).length, held);
});

test('a capacity of 0 holds nothing but still resumes a member that missed nothing', () => {
  const history = filled(0);
  assert.equal(history.since(6), undefined);
  assert.equal(outputOf(history.since(12)), '');
});
