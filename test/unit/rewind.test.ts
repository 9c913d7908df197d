// Bookmarks and rewind without a pty: the bookmark validator's table, the one-time ticket store on a manual clock,
// and the history filter that drops input events whatever the chunking.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parseBookmark } from '../../server/shared/validate.js';
import { PayloadLimits } from '../../server/shared/limits.js';
import { HistoryTickets } from '../../server/auth/historyTickets.js';
import { DropInputEvents } from '../../server/recording/history.js';
import { eventLine, headerLine } from '../../server/recording/asciicast.js';
import { ManualClock } from '../helpers/manualClock.js';

test('parseBookmark: { label } of 1 to MaxBookmarkLength characters, cleaned to one line of plain text', () => {
  const max = PayloadLimits.MaxBookmarkLength;
  const refused: unknown[] = [undefined, null, 'x', 7, [], {}, { label: '' }, { label: ' \t\u0000 ' }, { label: 1 }, { label: 'x'.repeat(max + 1) },
    { label: 'ok', extra: 1 }, { label: '\u202e\u2066' }];
  for (const value of refused) assert.equal(parseBookmark(value), undefined, JSON.stringify(value));
  assert.deepEqual(parseBookmark({ label: 'x'.repeat(max) }), { label: 'x'.repeat(max) });
  assert.deepEqual(parseBookmark({ label: ' deploy\r\nstarted\n' }), { label: 'deploy started' });
  assert.deepEqual(parseBookmark({ label: 'a\u0007b\u202ec\u001b[31m' }), { label: 'abc[31m' });
  assert.deepEqual(parseBookmark({ label: '<img src=x onerror=alert(1)>' }), { label: '<img src=x onerror=alert(1)>' }, 'markup stays text: clients render it as text');
});

test('HistoryTickets: a ticket works once, for its room, until it expires; the store is bounded', () => {
  const clock = new ManualClock();
  const tickets = new HistoryTickets(clock, { TicketTtlMs: 1000, MaxTickets: 3 });
  const a = tickets.issue('room1', 'm1');
  assert.equal(a.expiresAt, clock.now() + 1000);
  assert.match(a.ticket, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(tickets.redeem('room1', a.ticket), 'm1');
  assert.equal(tickets.redeem('room1', a.ticket), undefined, 'used up');
  const b = tickets.issue('room1', 'm1');
  assert.equal(tickets.redeem('room2', b.ticket), undefined, 'another room');
  assert.equal(tickets.redeem('room1', b.ticket), undefined, 'presenting it to the wrong room used it up');
  const c = tickets.issue('room1', 'm2');
  clock.advance(999);
  assert.equal(tickets.redeem('room1', c.ticket), 'm2', 'just before it expires');
  const d = tickets.issue('room1', 'm2');
  clock.advance(1000);
  assert.equal(tickets.redeem('room1', d.ticket), undefined, 'expired');
  const issued = [1, 2, 3, 4].map((n) => tickets.issue('room1', `m${n}`));
  assert.equal(tickets.size, 3, 'at most MaxTickets held');
  assert.equal(tickets.redeem('room1', issued[0]!.ticket), undefined, 'the oldest went first');
  assert.equal(tickets.redeem('room1', issued[3]!.ticket), 'm4');
  clock.advance(1000);
  tickets.issue('room1', 'm5');
  assert.equal(tickets.size, 1, 'expired tickets are swept when one is issued');
});

test('DropInputEvents: input lines go, every other line passes byte for byte, however the file is cut into chunks', async () => {
  const lines = [
    headerLine({ version: 2, width: 80, height: 24, timestamp: 0, title: 'a "title", "i", here', env: { TERM: 'xterm-256color' } }),
    eventLine(0, 'o', 'hello "i", world\r\n'),
    eventLine(10, 'm', 'typing: ada [m1]'),
    eventLine(12, 'i', 'SECRET-KEYS\r'),
    eventLine(20, 'o', '漢字 😀\u001b[31m'),
    eventLine(1e9, 'i', 'x'.repeat(5000)),
    eventLine(1e9, 'r', '100x30'),
  ];
  const file = Buffer.from(lines.join(''));
  const expected = lines.filter((line) => !line.includes('SECRET') && !line.includes('xxxxx')).join('');
  for (const size of [1, 2, 3, 7, 64, 4096, file.length]) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < file.length; at += size) chunks.push(file.subarray(at, at + size));
    assert.equal(await text(Readable.from(chunks).pipe(new DropInputEvents())), expected, `chunks of ${size}`);
  }
  const torn = Buffer.concat([file, Buffer.from('[30,"o","unfinish')]);
  assert.equal(await text(Readable.from([torn]).pipe(new DropInputEvents())), expected, 'an unfinished last line is dropped');
});
