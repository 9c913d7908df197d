// Proves FileTransfers' policy on a manual clock: a transfer goes to the current writer only (none: cancelled and the
// room told), its bytes to that member alone, the cap and the idle limit cancel it, and a member whose queue is
// high holds the program until it drains.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FileTransfers, TransferTiming, type TransferMember, type TransferRecord } from '../../server/rooms/fileTransfer.js';
import { TransferFlowControl } from '../../server/shared/flowControl.js';
import type { ServerEventName } from '../../server/shared/events.js';
import { CANCEL_SEQUENCE } from '../../server/terminal/zmodemGate.js';
import { ManualClock } from '../helpers/manualClock.js';

const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));
const ZRQINIT = '**\x18B00000000000000\r\x8a\x11';

function setup(options: { maxBytes?: number; writer?: boolean } = {}) {
  const clock = new ManualClock();
  const sent: Array<{ event: ServerEventName; payload: unknown }> = [];
  let backlog = 0;
  const member: TransferMember = {
    id: 'm1',
    name: 'ada',
    port: {
      send: (event, ...args) => void sent.push({ event, payload: args[0] }),
      setLive: () => {},
      setPresent: () => {},
      backlog: () => backlog,
      close: () => {},
    },
  };
  const terminal: string[] = [];
  const written: string[] = [];
  const announced: unknown[] = [];
  const refusals: string[] = [];
  const holds: boolean[] = [];
  const records: TransferRecord[] = [];
  let eligible = true;
  const transfers = new FileTransfers({
    clock,
    maxBytes: options.maxBytes ?? 1000,
    currentWriter: () => (options.writer === false ? undefined : member),
    stillEligible: () => eligible,
    toTerminal: (data) => void terminal.push(Buffer.from(data).toString('latin1')),
    writeToProgram: (data) => {
      written.push(Buffer.from(data).toString('latin1'));
      return 'ok';
    },
    pendingInput: () => 0,
    holdProgram: (hold) => void holds.push(hold),
    announce: (payload) => void announced.push(payload),
    refused: (message) => void refusals.push(message),
  });
  transfers.onRecord((record) => records.push(record));
  const ends = () => sent.filter((entry) => entry.event === 'transfer:end').map((entry) => entry.payload as { outcome: string; reason?: string });
  return {
    clock, transfers, sent, terminal, written, announced, refusals, holds, records, ends,
    setBacklog: (value: number) => {
      backlog = value;
    },
    loseKeyboard: () => {
      eligible = false;
    },
  };
}

describe('FileTransfers', () => {
  test('a start goes to the current writer: transfer:start and the bytes to it, the room told; the terminal gets only what came before', () => {
    const { transfers, sent, terminal, announced, records } = setup();
    transfers.output(bytes(`$ sz f\r\nrz\r${ZRQINIT}`));
    assert.deepEqual(terminal, ['$ sz f\r\nrz\r']);
    assert.equal(sent[0]?.event, 'transfer:start');
    assert.deepEqual(new Set(sent.slice(1).map((entry) => entry.event)), new Set(['transfer:data']));
    const data = sent.slice(1).map((entry) => Buffer.from(entry.payload as Uint8Array).toString('latin1')).join('');
    assert.equal(data, ZRQINIT, 'the header on, to the member');
    assert.deepEqual(announced, [{ active: true, id: 1, memberId: 'm1', name: 'ada', direction: 'download' }]);
    assert.deepEqual(records, [{ kind: 'started', id: 1, memberId: 'm1', direction: 'download' }]);
    assert.equal(transfers.busy, true);
  });

  test('nobody may take it: the program gets the cancel sequence, the room a refusal, the audit a record; output after is shown', () => {
    const { clock, transfers, sent, written, refusals, records, terminal } = setup({ writer: false });
    transfers.output(bytes(`rz\r${ZRQINIT}`));
    assert.deepEqual(written, [Buffer.from(CANCEL_SEQUENCE).toString('latin1')]);
    assert.equal(refusals.length, 1);
    assert.deepEqual(sent, [], 'nothing went to any member');
    assert.deepEqual(records.map((record) => record.kind === 'ended' && record.reason), ['no-writer']);
    transfers.output(bytes('$ '));
    clock.advance(TransferTiming.CancelQuietMs);
    assert.equal(transfers.busy, false);
    assert.deepEqual(terminal, ['rz\r', '$ ']);
  });

  test('transfers off (cap 0): refused the same way', () => {
    const { transfers, records } = setup({ maxBytes: 0 });
    transfers.output(bytes(ZRQINIT));
    assert.deepEqual(records.map((record) => record.kind === 'ended' && record.reason), ['disabled']);
  });

  test('the cap: the byte past it is not sent; the program is cancelled and the member told too-large', () => {
    const { clock, transfers, sent, written, ends } = setup({ maxBytes: 100 });
    transfers.output(bytes(ZRQINIT));
    transfers.output(bytes('x'.repeat(70)));
    transfers.output(bytes('y'.repeat(70)));
    const data = sent.filter((entry) => entry.event === 'transfer:data').map((entry) => Buffer.from(entry.payload as Uint8Array).toString('latin1'));
    assert.equal(data.join('').includes('y'), false, 'nothing past the cap reached the member');
    assert.deepEqual(written, [Buffer.from(CANCEL_SEQUENCE).toString('latin1')]);
    clock.advance(TransferTiming.CancelQuietMs);
    assert.deepEqual(ends(), [{ id: 1, outcome: 'cancelled', reason: 'too-large', bytes: 161 }]);
  });

  test('idle on the clock: no byte either way for IdleMs cancels; activity moves the deadline', () => {
    const { clock, transfers, ends } = setup();
    transfers.output(bytes(ZRQINIT));
    clock.advance(TransferTiming.IdleMs - 1);
    transfers.input('m1', bytes('**\x18B0100000023be50\r\x8a\x11'));
    clock.advance(TransferTiming.IdleMs - 1);
    assert.deepEqual(ends(), [], 'activity kept it going');
    clock.advance(1);
    clock.advance(TransferTiming.CancelQuietMs);
    assert.deepEqual(ends().map((end) => end.reason), ['idle']);
  });

  test('the member losing the keyboard or leaving cancels; a member\'s five CAN cancel with the whole sequence', () => {
    for (const how of ['keyboard', 'left', 'member'] as const) {
      const { clock, transfers, ends, loseKeyboard, written } = setup();
      transfers.output(bytes(ZRQINIT));
      if (how === 'keyboard') {
        loseKeyboard();
        transfers.review();
      } else if (how === 'left') {
        transfers.memberLeft('m1');
      } else {
        transfers.input('m1', bytes('\x18\x18\x18\x18\x18\b\b\b\b\b'));
      }
      assert.deepEqual(written.at(-1), Buffer.from(CANCEL_SEQUENCE).toString('latin1'), how);
      clock.advance(TransferTiming.CancelQuietMs);
      assert.deepEqual(ends().map((end) => end.reason), [how]);
    }
  });

  test('another member\'s bytes never reach the program', () => {
    const { transfers, written } = setup();
    transfers.output(bytes(ZRQINIT));
    assert.equal(transfers.input('m2', bytes('**\x18B01')), 'not-yours');
    assert.deepEqual(written, []);
  });

  test('flow: a member queue past the high water holds the program until it drains below the low water', () => {
    const { clock, transfers, holds, setBacklog } = setup({ maxBytes: 10_000_000 });
    transfers.output(bytes(ZRQINIT));
    setBacklog(TransferFlowControl.HighWaterBytes + 1);
    transfers.output(bytes('d'.repeat(1000)));
    assert.deepEqual(holds, [true]);
    setBacklog(TransferFlowControl.LowWaterBytes);
    clock.advance(TransferFlowControl.DrainCheckMs);
    assert.deepEqual(holds, [true], 'not yet below the low water');
    setBacklog(TransferFlowControl.LowWaterBytes - 1);
    clock.advance(TransferFlowControl.DrainCheckMs);
    assert.deepEqual(holds, [true, false]);
  });
});
