// The relay's text form of its messages: binary (file transfer) comes back as bytes, compactly; everything else as the member sent it.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeRelayMessage, encodeRelayMessage } from '../../server/cluster/relayCodec.js';

/** Characters a relayed chunk may take beyond base64's 4 per 3 bytes: the message's own fields. */
const ENVELOPE_CHARS = 200;
/** The largest transfer:data a client sends (TransferLimits.MaxChunkBytes). */
const CHUNK_BYTES = 64 * 1024;

function roundTrip(message: unknown): unknown {
  return decodeRelayMessage(encodeRelayMessage(message));
}

test('bytes at any depth come back as Buffers with the same bytes: a Buffer, a Uint8Array view into a larger buffer, an ArrayBuffer', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
  const view = backing.subarray(2, 5);
  const decoded = roundTrip({ kind: 'event', event: 'transfer:data', args: [all, { nested: [view] }, new Uint8Array([0, 255]).buffer], ack: 3 }) as {
    args: [unknown, { nested: [unknown] }, unknown];
    ack: number;
  };
  const [first, { nested: [second] }, third] = decoded.args;
  assert.ok(Buffer.isBuffer(first) && first.equals(all), 'every byte value survives');
  assert.ok(Buffer.isBuffer(second) && second.equals(Buffer.from([1, 2, 3])), 'a view carries its own bytes, not its backing buffer\'s');
  assert.ok(Buffer.isBuffer(third) && third.equals(Buffer.from([0, 255])));
  assert.equal(decoded.ack, 3);
});

test('a 64 KiB chunk takes base64\'s size, not JSON\'s array of numbers', () => {
  const chunk = randomBytes(CHUNK_BYTES);
  const text = encodeRelayMessage({ kind: 'event', socket: 'abc', event: 'transfer:data', args: [chunk], ack: 1 });
  assert.ok(text.length <= Math.ceil(CHUNK_BYTES / 3) * 4 + ENVELOPE_CHARS, `${text.length} characters for ${CHUNK_BYTES} bytes`);
  assert.ok((roundTrip([chunk]) as [Buffer])[0].equals(chunk));
});

test('what is not bytes comes back as sent, including objects that look like a Buffer\'s JSON form', () => {
  const payload = [
    'text with "quotes" and \u0000',
    42,
    null,
    true,
    { type: 'Buffer', data: [1, 2, 3] },
    { $bytes: 'AQID', also: 'another key' },
    { $bytes: 7 },
    [[], {}],
  ];
  assert.deepEqual(roundTrip({ kind: 'event', args: payload }), { kind: 'event', args: payload });
});
