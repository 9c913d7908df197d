// Proves ZmodemGate tells terminal output from a ZMODEM session: starts (split anywhere), ends by ZFIN and "OO" or by
// ZFIN alone for uploads, cancels by CAN runs from either side, and never holds or eats ordinary output.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CANCEL_SEQUENCE, crc16, ZmodemGate, type GatePiece } from '../../server/terminal/zmodemGate.js';

const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

/** Headers exactly as lrzsz 0.12.21 writes them (captured from sz and rz on a pty). */
const ZRQINIT = '**\x18B00000000000000\r\x8a\x11';
const ZRINIT = '**\x18B0100000023be50\r\x8a\x11';
const ZFIN = '**\x18B0800000000022d\r\x8a';

/** What a run of scans produced, flattened: terminal text, transfer text, and the events in order. */
function run(gate: ZmodemGate, reads: Array<string | Uint8Array>): { terminal: string; transfer: string; events: string[] } {
  const result = { terminal: '', transfer: '', events: [] as string[] };
  for (const read of reads) collect(gate.scanOutput(typeof read === 'string' ? bytes(read) : read), result);
  return result;
}

function collect(pieces: GatePiece[], into: { terminal: string; transfer: string; events: string[] }): void {
  for (const piece of pieces) {
    if (piece.kind === 'terminal') into.terminal += Buffer.from(piece.bytes).toString('latin1');
    else if (piece.kind === 'transfer') into.transfer += Buffer.from(piece.bytes).toString('latin1');
    else if (piece.kind === 'start') into.events.push(`start:${piece.direction}`);
    else if (piece.kind === 'end') into.events.push(`end:${piece.end}`);
    else into.events.push(piece.kind);
  }
}

/** Every way to cut `text` in two. */
function splits(text: string): Array<[string, string]> {
  return Array.from({ length: text.length + 1 }, (_, at) => [text.slice(0, at), text.slice(at)]);
}

describe('ZmodemGate', () => {
  test('the CRC is CRC-16/XMODEM, as lrzsz computes it for its headers', () => {
    assert.equal(crc16([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]), 0x31c3);
    assert.equal(crc16([1, 0, 0, 0, 0x23]), 0xbe50);
  });

  test('ordinary output passes through whole, stars and all, and nothing is held', () => {
    const gate = new ZmodemGate();
    const result = run(gate, ['ls *.txt\r\n', 'a ** b *\x18 c **\x18B zz\r\n']);
    assert.equal(result.terminal, 'ls *.txt\r\na ** b *\x18 c **\x18B zz\r\n');
    assert.deepEqual(result.events, []);
    assert.equal(gate.holding, false);
  });

  test('stars that this read shows begin no header cost nothing: the read stays one terminal piece', () => {
    const gate = new ZmodemGate();
    const bar = `[${'*'.repeat(60)}      ] 90% /* done */\r\n`;
    assert.deepEqual(gate.scanOutput(bytes(bar)).map((piece) => piece.kind), ['terminal']);
    // A star at the end of a read may begin a header in the next one: it is held, as before.
    const tail = gate.scanOutput(bytes('progress **'));
    assert.deepEqual(tail.map((piece) => piece.kind), ['terminal']);
    assert.equal(gate.holding, true);
  });

  test('sz: text before ZRQINIT is output, the header on is the transfer, split at every byte', () => {
    const stream = `$ sz f\r\nrz\r${ZRQINIT}DATA`;
    for (const [first, second] of splits(stream)) {
      const gate = new ZmodemGate();
      const result = run(gate, [first, second]);
      assert.equal(result.terminal, '$ sz f\r\nrz\r', `split at ${first.length}`);
      assert.equal(result.transfer, `${ZRQINIT}DATA`, `split at ${first.length}`);
      assert.deepEqual(result.events, ['start:download']);
    }
  });

  test('rz: ZRINIT starts an upload, even after a false start of stars', () => {
    const gate = new ZmodemGate();
    const result = run(gate, ['rz waiting to receive.***', `*${ZRINIT}`.slice(0, 1), ZRINIT.slice(2)]);
    assert.equal(result.terminal, 'rz waiting to receive.**');
    assert.equal(result.transfer, ZRINIT);
    assert.deepEqual(result.events, ['start:upload']);
  });

  test('a header with a wrong CRC, or of another frame type, is output', () => {
    const gate = new ZmodemGate();
    const badCrc = '**\x18B0100000023be51';
    const result = run(gate, [badCrc, ZFIN]);
    assert.equal(result.terminal, badCrc + ZFIN);
    assert.deepEqual(result.events, []);
  });

  test('a possible header start at the end of a read is held until the next read or settle, then shown', () => {
    const gate = new ZmodemGate();
    const result = run(gate, ['echo *']);
    assert.equal(result.terminal, 'echo ');
    assert.equal(gate.holding, true);
    collect(gate.settle(), result);
    assert.equal(result.terminal, 'echo *');
    assert.equal(gate.holding, false);
  });

  test('sz ends after its ZFIN and "OO", split anywhere: the prompt after it is output again', () => {
    const tail = `DATA${ZFIN}OO\x1b[?2004h$ `;
    for (const [first, second] of splits(tail)) {
      const gate = new ZmodemGate();
      const result = run(gate, [ZRQINIT, first, second]);
      assert.equal(result.transfer, `${ZRQINIT}DATA${ZFIN}OO`, `split at ${first.length}`);
      assert.equal(result.terminal, '\x1b[?2004h$ ', `split at ${first.length}`);
      assert.deepEqual(result.events, ['start:download', 'end:completed']);
    }
  });

  test('ZFIN inside a download does not end it until "OO": the receiver answers first', () => {
    const gate = new ZmodemGate();
    const result = run(gate, [ZRQINIT, `x${ZFIN}`]);
    assert.deepEqual(result.events, ['start:download']);
    assert.equal(gate.active, true);
    collect(gate.scanOutput(bytes(ZFIN)), result);
    assert.equal(gate.active, true, 'a repeated ZFIN still belongs to the transfer');
    collect(gate.scanOutput(bytes('OO$ ')), result);
    assert.equal(result.terminal, '$ ');
    assert.deepEqual(result.events, ['start:download', 'end:completed']);
  });

  test('a sender gone after ZFIN without "OO": the next output ends the transfer and is shown', () => {
    const gate = new ZmodemGate();
    const result = run(gate, [ZRQINIT, ZFIN, 'bash-5.2$ ']);
    assert.equal(result.terminal, 'bash-5.2$ ');
    assert.deepEqual(result.events, ['start:download', 'end:completed']);
  });

  test('rz ends at its ZFIN and trailer (the sender\'s "OO" comes from our side), split anywhere', () => {
    const tail = `${ZFIN}$ `;
    for (const [first, second] of splits(tail)) {
      const gate = new ZmodemGate();
      const result = run(gate, [ZRINIT, first, second]);
      assert.equal(result.transfer, ZRINIT + ZFIN, `split at ${first.length}`);
      assert.equal(result.terminal, '$ ', `split at ${first.length}`);
      assert.deepEqual(result.events, ['start:upload', 'finishing', 'end:completed']);
    }
  });

  test('an upload whose ZFIN trailer is cut short ends on settle', () => {
    const gate = new ZmodemGate();
    const result = run(gate, [ZRINIT, ZFIN.slice(0, -1)]);
    assert.deepEqual(result.events, ['start:upload', 'finishing']);
    collect(gate.settle(), result);
    assert.deepEqual(result.events, ['start:upload', 'finishing', 'end:completed']);
  });

  test('a run of five CAN from the program cancels; the rest of its cancel sequence is not shown', () => {
    const canit = Buffer.from(CANCEL_SEQUENCE).toString('latin1');
    for (const [first, second] of splits(`DA${canit}$ `)) {
      const gate = new ZmodemGate();
      const result = run(gate, [ZRQINIT, first, second]);
      assert.deepEqual(result.events, ['start:download', 'end:cancelled'], `split at ${first.length}`);
      assert.equal(result.terminal, '$ ', `split at ${first.length}`);
    }
  });

  test('four CAN are not a cancel (escaped data never holds two in a row, but a cancel needs five)', () => {
    const gate = new ZmodemGate();
    const result = run(gate, [ZRQINIT, 'a\x18\x18\x18\x18b']);
    assert.deepEqual(result.events, ['start:download']);
    assert.equal(gate.active, true);
  });

  test('the member\'s input: a CAN run is reported, across writes', () => {
    const gate = new ZmodemGate();
    run(gate, [ZRINIT]);
    assert.equal(gate.scanInput(bytes('\x18\x18\x18')), false);
    assert.equal(gate.scanInput(bytes('\x18\x18\b\b')), true);
    assert.equal(gate.scanInput(bytes('\x18\x18x\x18\x18\x18')), false);
  });

  test('cancelling from our side drops output until the program\'s own CAN run, then shows what follows', () => {
    const gate = new ZmodemGate();
    const result = run(gate, [ZRQINIT]);
    gate.cancel();
    assert.equal(gate.active, true);
    collect(gate.scanOutput(bytes('late data\x18\x18')), result);
    collect(gate.scanOutput(bytes('\x18\x18\x18\x18\b\b$ ')), result);
    assert.equal(result.transfer, ZRQINIT);
    assert.equal(result.terminal, '$ ');
    assert.deepEqual(result.events, ['start:download', 'end:cancelled']);
  });

  test('a cancel the program never answers is abandoned: output is shown again', () => {
    const gate = new ZmodemGate();
    const result = run(gate, [ZRQINIT]);
    gate.cancel();
    collect(gate.abandon(), result);
    collect(gate.scanOutput(bytes('$ ')), result);
    assert.equal(result.terminal, '$ ');
    assert.deepEqual(result.events, ['start:download', 'end:cancelled']);
  });

  test('after a transfer a new one may start', () => {
    const gate = new ZmodemGate();
    const result = run(gate, [ZRQINIT, `${ZFIN}OO$ rz\r\n`, `rz waiting to receive.${ZRINIT}`]);
    assert.deepEqual(result.events, ['start:download', 'end:completed', 'start:upload']);
    assert.equal(result.terminal, '$ rz\r\nrz waiting to receive.');
  });

  test('a 5 MB random download keeps every byte and order, in 4 KiB reads', () => {
    const payload = new Uint8Array(5 * 1024 * 1024);
    for (let at = 0; at < payload.length; at += 65536) crypto.getRandomValues(payload.subarray(at, at + 65536));
    // Escape CAN as ZDLE does, so no run of them is in the data.
    for (let at = 0; at < payload.length; at++) if (payload[at] === 0x18) payload[at] = 0x58;
    const stream = Buffer.concat([bytes(ZRQINIT), payload, bytes(`${ZFIN}OO$ `)]);
    const gate = new ZmodemGate();
    const transfer: Buffer[] = [];
    let terminal = '';
    for (let at = 0; at < stream.length; at += 4096) {
      for (const piece of gate.scanOutput(stream.subarray(at, at + 4096))) {
        if (piece.kind === 'transfer') transfer.push(Buffer.from(piece.bytes));
        if (piece.kind === 'terminal') terminal += Buffer.from(piece.bytes).toString('latin1');
      }
    }
    assert.equal(terminal, '$ ');
    assert.ok(Buffer.concat(transfer).equals(stream.subarray(0, stream.length - 2)));
  });
});
