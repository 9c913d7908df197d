// `ttyroom rooms`'s table: a hostile room name cannot restyle the terminal or break the columns; ages and states read right.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, cell, formatRoomsTable, roomState, RoomsTable } from '../../server/cli/roomsCommand.js';
import { parseRoomSummary } from '../../server/termclient/serverRequest.js';
import type { RoomSummary } from '../../server/shared/events.js';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');

function room(fields: Partial<RoomSummary>): RoomSummary {
  return {
    id: 'abc', name: 'demo', profile: 'default', createdAt: '2026-12-01T11:59:30.000Z',
    members: 2, cols: 80, rows: 24, exited: false, locked: false, approval: false, ...fields,
  };
}

test('a cell drops control characters (escape sequences, bell, C1, bidi overrides) and cuts long text with an ellipsis', () => {
  assert.equal(cell('\u001b]0;pwned\u0007red\u001b[31m \u009b2J\u202eevil\u0000'), ']0;pwnedred[31m 2Jevil');
  assert.equal(cell('x'.repeat(10), 5), 'xxxx…');
  assert.equal(cell('xxxxx', 5), 'xxxxx');
  // Characters, not UTF-16 units: an emoji is not split in half.
  assert.equal(cell('😀😀😀', 2), '😀…');
});

test('the table holds no control character whatever the names, and every line has the header\'s columns', () => {
  const rooms = [
    room({ id: 'one', name: `\u001b[2J\u001b[H${'n'.repeat(100)}\r\nFAKE ROW`, profile: 'p\u0007rofile' }),
    room({ id: 'two', name: '', exited: true, locked: true, approval: true, createdAt: '2026-11-28T12:00:00.000Z' }),
  ];
  const table = formatRoomsTable(rooms, NOW);
  assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(table), JSON.stringify(table));
  const lines = table.split('\n');
  assert.equal(lines.length, 3);
  const stateAt = lines[0]!.indexOf('STATE');
  assert.equal(lines[1]!.indexOf('running'), stateAt);
  assert.equal(lines[2]!.indexOf('exited,locked,approval'), stateAt);
  assert.ok(lines[1]!.includes(` [2J[H${'n'.repeat(RoomsTable.MaxNameWidth - 6)}…  `), lines[1]);
  assert.match(lines[2]!, /^two +- +default +2 +80x24 +exited,locked,approval +3d ago$/);
  assert.match(lines[1]!, /profile +2 +80x24 +running +30s ago$/);
});

test('ages use the largest whole unit; a clock behind the server says 0s', () => {
  const ago = (ms: number) => age(new Date(NOW - ms).toISOString(), NOW);
  assert.equal(ago(59_999), '59s');
  assert.equal(ago(60_000), '1m');
  assert.equal(ago(3_600_000 - 1), '59m');
  assert.equal(ago(5 * 3_600_000), '5h');
  assert.equal(ago(49 * 3_600_000), '2d');
  assert.equal(ago(-5_000), '0s');
  assert.equal(roomState(room({})), 'running');
  assert.equal(roomState(room({ locked: true })), 'running,locked');
});

test('a room summary is trusted only with every field of its type', () => {
  assert.deepEqual(parseRoomSummary({ ...room({}), extra: 1 }), room({}));
  for (const [field, value] of [
    ['id', 5], ['name', null], ['profile', undefined], ['createdAt', 'yesterday'], ['members', '2'], ['members', -1],
    ['cols', 80.5], ['rows', Number.NaN], ['exited', 'false'], ['locked', 1], ['approval', undefined],
  ] as const) {
    assert.equal(parseRoomSummary({ ...room({}), [field]: value }), undefined, `${field}: ${String(value)}`);
  }
  assert.equal(parseRoomSummary([room({})]), undefined);
});
