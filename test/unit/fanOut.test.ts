// FanOut without sockets: ports that record what they are sent, a stream history, a snapshot source the test
// answers by hand, and a manual clock whose turns and timers the test runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExitPayload, ServerEventName, SnapshotPayload } from '../../server/shared/events.js';
import { JoinPacing, MemberFlowControl, SnapshotReuse } from '../../server/shared/flowControl.js';
import { FanOut, type StreamSource } from '../../server/rooms/fanOut.js';
import type { MemberPort } from '../../server/rooms/ports.js';
import { StreamHistory } from '../../server/rooms/streamHistory.js';
import { Coalescer } from '../../server/util/coalescer.js';
import { ManualClock } from '../helpers/manualClock.js';

class RecordingPort implements MemberPort {
  readonly sent: Array<{ event: ServerEventName; payload: unknown }> = [];
  live = false;
  queued = 0;
  closed = false;
  send(event: ServerEventName, ...args: unknown[]): void {
    this.sent.push({ event, payload: args[0] });
  }
  setLive(live: boolean): void {
    this.live = live;
  }
  setPresent(): void {}
  backlog(): number {
    return this.queued;
  }
  close(): void {
    this.closed = true;
  }
  events(): ServerEventName[] {
    return this.sent.map(({ event }) => event);
  }
}

/** A room's side of the stream, with snapshots answered when the test says so. */
class Stream implements StreamSource {
  readonly history = new StreamHistory(4 * 1024 * 1024);
  end = 0;
  exit: ExitPayload | undefined;
  readonly asked: Array<(snapshot: SnapshotPayload) => void> = [];
  /** Broadcast output: history first, as the room does, then the fan-out's check. */
  push(fanOut: FanOut, data: string, live: RecordingPort[] = []): void {
    const payload = { offset: this.end, data };
    this.end += data.length;
    this.history.pushOutput(payload);
    for (const port of live) if (port.live) port.send('term:output', payload);
    fanOut.broadcast();
  }
  since(offset: number) {
    return this.history.since(offset);
  }
  snapshot(): Promise<SnapshotPayload> {
    return new Promise((resolve) => this.asked.push(resolve));
  }
  /** Answers every pending snapshot request with the screen at `offset`. */
  answer(offset: number): void {
    for (const resolve of this.asked.splice(0)) resolve({ offset, cols: 80, rows: 24, data: bytes(`screen@${offset}`) });
  }
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('joiners start one per turn, each from one shared snapshot plus exactly the stream since, then live', async () => {
  const clock = new ManualClock(undefined, true);
  const stream = new Stream();
  const fanOut = new FanOut(stream, clock, 1024);
  stream.push(fanOut, 'hello ');
  const ports = [new RecordingPort(), new RecordingPort(), new RecordingPort()];
  ports.forEach((port, i) => fanOut.add(`m${i}`, port, false, undefined));
  assert.equal(clock.runTurn(), 1, 'one turn was asked for');
  assert.equal(stream.asked.length, 1, 'the first joiner asked the mirror for a snapshot; the others wait for the same one');
  stream.push(fanOut, 'world');
  stream.answer(3);
  await settle();
  assert.equal(fanOut.snapshotRequests, 1);
  for (let turn = 0; turn < ports.length; turn++) {
    clock.runTurn();
    const started = ports.filter((port) => port.live).length;
    assert.equal(started, Math.min(ports.length, (turn + 1) * JoinPacing.StartsPerTurn), `after turn ${turn}: one more member started`);
  }
  for (const port of ports) {
    assert.deepEqual(port.sent.map(({ payload }) => payload), [
      { offset: 3, cols: 80, rows: 24, data: bytes('screen@3') },
      { offset: 3, data: 'lo ' },
      { offset: 6, data: 'world' },
    ], 'the snapshot, then the history from exactly its offset to the end');
  }
  fanOut.dispose();
});

test('a cached snapshot close enough to the end is reused without asking the mirror', () => {
  const clock = new ManualClock(undefined, true);
  const stream = new Stream();
  const fanOut = new FanOut(stream, clock, 1024);
  stream.push(fanOut, 'abc');
  fanOut.offerSnapshot({ offset: 3, cols: 80, rows: 24, data: bytes('cached') });
  stream.push(fanOut, 'def');
  const port = new RecordingPort();
  fanOut.add('m', port, false, undefined);
  clock.runTurn();
  assert.equal(stream.asked.length, 0);
  assert.deepEqual(port.sent.map(({ payload }) => payload), [{ offset: 3, cols: 80, rows: 24, data: bytes('cached') }, { offset: 3, data: 'def' }]);
  assert.ok(port.live);
  // Too far behind the end to catch up by replay: dropped, and the next joiner asks for a new one.
  stream.push(fanOut, 'x'.repeat(SnapshotReuse.MaxCatchUpUnits + 1));
  assert.equal(fanOut.cachedSnapshot, undefined);
  fanOut.dispose();
});

test('a member resuming from an offset still held gets only what it missed, without a snapshot', () => {
  const clock = new ManualClock(undefined, true);
  const stream = new Stream();
  const fanOut = new FanOut(stream, clock, 1024);
  stream.push(fanOut, 'first ');
  stream.push(fanOut, 'second');
  const port = new RecordingPort();
  fanOut.add('m', port, false, 6);
  clock.runTurn();
  assert.deepEqual(port.sent, [{ event: 'term:output', payload: { offset: 6, data: 'second' } }]);
  // Beyond the --resume-buffer window (here 1024 units): a snapshot instead.
  const far = new RecordingPort();
  stream.push(fanOut, 'y'.repeat(2000));
  fanOut.add('far', far, false, 6);
  clock.runTurn();
  assert.equal(stream.asked.length, 1);
  fanOut.dispose();
});

test('a member over its budget is cut off, and resynced from a fresh snapshot on the clock once drained', async () => {
  const clock = new ManualClock(undefined, true);
  const stream = new Stream();
  const fanOut = new FanOut(stream, clock, 1024);
  fanOut.offerSnapshot({ offset: 0, cols: 80, rows: 24, data: bytes('') });
  const slow = new RecordingPort();
  const healthy = new RecordingPort();
  fanOut.add('slow', slow, false, undefined);
  fanOut.add('healthy', healthy, false, undefined);
  clock.runTurn();
  clock.runTurn();
  assert.ok(slow.live && healthy.live);
  slow.queued = MemberFlowControl.BudgetUnits + 1;
  stream.push(fanOut, 'flood', [slow, healthy]);
  assert.equal(slow.live, false, 'out of the live broadcast');
  assert.equal(slow.events().at(-1), 'term:behind');
  assert.ok(healthy.live, 'the others are untouched');
  // Enough output meanwhile that the cached snapshot is too old to catch up from.
  stream.push(fanOut, 'x'.repeat(SnapshotReuse.MaxCatchUpUnits + 1), [healthy]);
  clock.advance(MemberFlowControl.DrainCheckMs);
  assert.equal(stream.asked.length, 0, 'not resynced while its queue is still full');
  slow.queued = 0;
  clock.advance(MemberFlowControl.DrainCheckMs);
  assert.equal(stream.asked.length, 1, 'drained: a fresh snapshot is asked for');
  stream.answer(stream.end);
  await settle();
  clock.runTurn();
  assert.equal(slow.events().at(-1), 'term:snapshot');
  assert.ok(slow.live, 'back in the live broadcast');
  assert.equal(clock.pending, 0, 'no drain timer left once nobody is behind');
  fanOut.dispose();
});

test('at exit, live members hear it at once and a member still starting gets its screen, then the exit', () => {
  const clock = new ManualClock(undefined, true);
  const stream = new Stream();
  const fanOut = new FanOut(stream, clock, 1024);
  fanOut.offerSnapshot({ offset: 0, cols: 80, rows: 24, data: bytes('') });
  const live = new RecordingPort();
  fanOut.add('live', live, false, undefined);
  clock.runTurn();
  const late = new RecordingPort();
  fanOut.add('late', late, false, undefined);
  stream.exit = { exitCode: 3, reason: 'exited' };
  fanOut.exited(stream.exit);
  assert.deepEqual(live.events(), ['term:snapshot', 'term:exit']);
  assert.equal(live.live, false);
  clock.runTurn();
  assert.deepEqual(late.events(), ['term:snapshot', 'term:exit']);
  assert.equal(late.live, false, 'an exited room has no live stream to join');
  fanOut.dispose();
});

test('a member that left before its turn is sent nothing', () => {
  const clock = new ManualClock(undefined, true);
  const stream = new Stream();
  const fanOut = new FanOut(stream, clock, 1024);
  fanOut.offerSnapshot({ offset: 0, cols: 80, rows: 24, data: bytes('') });
  const port = new RecordingPort();
  fanOut.add('m', port, false, undefined);
  fanOut.remove('m');
  clock.runTurn();
  assert.deepEqual(port.sent, []);
  fanOut.dispose();
});

test('Coalescer: the first change runs at once, a burst within the window runs once at its end', () => {
  const clock = new ManualClock();
  let runs = 0;
  const coalescer = new Coalescer(clock, 100, () => runs++);
  coalescer.notify();
  assert.equal(runs, 1);
  for (let i = 0; i < 50; i++) coalescer.notify();
  assert.equal(runs, 1);
  clock.advance(100);
  assert.equal(runs, 2, 'the burst, once');
  clock.advance(100);
  assert.equal(runs, 2, 'nothing more to send');
  coalescer.notify();
  assert.equal(runs, 3, 'quiet again: at once');
  coalescer.dispose();
  assert.equal(clock.pending, 0);
});

test('a local feed starts like a member, gets the live events the room hands it, and is never behind the curtain', async () => {
  const clock = new ManualClock(undefined, true);
  const stream = new Stream();
  const fanOut = new FanOut(stream, clock, 1024);
  stream.push(fanOut, 'before ');
  const local = new RecordingPort();
  const member = new RecordingPort();
  fanOut.addLocal('local:rec', local, 0);
  fanOut.add('m', member, false, 0);
  while (clock.runTurn() > 0);
  assert.ok(member.live);
  assert.deepEqual(local.sent, [{ event: 'term:output', payload: { offset: 0, data: 'before ' } }], 'from the start of the stream, without a snapshot');
  /** What the room does with a live event: the socket.io broadcast, then the local feeds. */
  const live = (data: string): void => {
    const payload = { offset: stream.end, data };
    stream.push(fanOut, data, [member]);
    fanOut.deliverLive('term:output', payload);
  };
  live('seen ');
  fanOut.deliverLive('term:resize', { offset: stream.end, cols: 100, rows: 30 });
  // Even with a huge queue on its port, a local feed has none as far as pacing goes: it is never cut off.
  local.queued = MemberFlowControl.BudgetUnits * 10;
  live('x');
  assert.notEqual(local.events().at(-1), 'term:behind');

  // Down: the member behind it is the only one; the local feed is held even though the audience says yes to every id.
  fanOut.lowerCurtain(() => true);
  assert.equal(fanOut.stateOf('local:rec'), 'curtained');
  const heldAt = local.sent.length;
  live('HIDDEN');
  assert.equal(local.sent.length, heldAt, 'nothing behind the curtain');
  assert.ok(member.sent.some(({ payload }) => (payload as { data?: string }).data === 'HIDDEN'));

  fanOut.liftCurtain();
  clock.runTurn();
  assert.equal(stream.asked.length, 1, 'after the lift it starts again from a fresh snapshot');
  stream.answer(stream.end);
  await settle();
  clock.runTurn();
  live(' after');
  assert.deepEqual(local.sent.slice(heldAt).map(({ event }) => event), ['term:snapshot', 'term:output']);
  assert.deepEqual(local.sent.map(({ payload }) => (payload as { data?: unknown }).data).filter((data) => typeof data === 'string'), ['before ', 'seen ', 'x', ' after']);

  fanOut.remove('local:rec');
  live('gone');
  assert.equal(local.sent.at(-1)!.payload && (local.sent.at(-1)!.payload as { data?: string }).data, ' after', 'removed: nothing more');
  fanOut.dispose();
});
