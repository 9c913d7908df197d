// MemberFeed without a socket: lag counts from a member's acks (or, without acks, its connection's queue) after its
// start; the start (snapshot, catch-up, resume replay) never cuts a member off; the queue still bounds memory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerEventArgs, ServerEventName } from '../../server/shared/events.js';
import { BatchLimits, MemberFlowControl, MirrorFlowControl, PtyReads, SnapshotLimits } from '../../server/shared/flowControl.js';
import type { MemberPort } from '../../server/rooms/ports.js';
import { MemberFeed } from '../../server/rooms/memberFeed.js';

const { BudgetUnits, MaxQueuedBytes, ResumeBelowUnits } = MemberFlowControl;
/** The largest chunk one broadcast carries: a batch flushed past MaxBatch by the read that crossed it. */
const MAX_CHUNK = BatchLimits.MaxBatch + PtyReads.MaxReadUnits;
/** UTF-8 of CJK text: the most bytes a code unit of terminal text takes on the wire. */
const BYTES_PER_UNIT = 3;

/** A connection whose queue the test fills (what the room sends) and drains (what the network takes). */
class FakeConnection implements MemberPort {
  queued = 0;
  live = false;

  send<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void {
    const payload = args[0] as { data?: unknown };
    if (typeof payload?.data === 'string') this.queued += payload.data.length * BYTES_PER_UNIT;
  }

  setLive(live: boolean): void {
    this.live = live;
  }
  setPresent(): void {}

  backlog(): number {
    return this.queued;
  }

  close(): void {}

  /** The network took `bytes` off the front of the queue. */
  take(bytes: number): void {
    this.queued = Math.max(0, this.queued - bytes);
  }
}

/** A room's stream, as far as one member's feed sees it: where it ends, and what the broadcast queues. */
class Stream {
  end = 0;

  constructor(readonly connection: FakeConnection, readonly feed: MemberFeed) {}

  /** The room's start of this member: a snapshot at the current end minus `catchUp`, then the catch-up. */
  start(snapshotUnits: number, catchUp = 0): void {
    const offset = this.end - catchUp;
    this.feed.startedAt(offset);
    this.feed.port.send('term:snapshot', { offset, cols: 80, rows: 24, data: new Uint8Array(snapshotUnits) });
    if (catchUp > 0) this.feed.port.send('term:output', { offset, data: 'c'.repeat(catchUp) });
    this.feed.port.setLive(true);
  }

  /** One broadcast chunk: queued on the connection while the member is live; then the room's budget check. */
  broadcast(units: number): boolean {
    this.end += units;
    if (this.connection.live) this.connection.queued += units * BYTES_PER_UNIT;
    const over = this.feed.overBudget(this.end);
    if (over) {
      this.feed.port.setLive(false);
      this.feed.cutOff(this.end);
    }
    return over;
  }
}

/** Broadcasts chunks of `units` (calling `between` after each) until the member is cut off; how many went before. */
function chunksUntilCutOff(stream: Stream, units: number, between: () => void = () => undefined): number {
  // Far more than any budget needs: a member that is never cut off fails here instead of looping.
  const limit = (4 * MaxQueuedBytes) / units;
  for (let chunks = 0; chunks < limit; chunks++) {
    if (stream.broadcast(units)) return chunks;
    between();
  }
  assert.fail(`not cut off after ${limit} chunks of ${units} units`);
}

function member(acks: boolean, streamEnd = 0): Stream {
  const connection = new FakeConnection();
  const stream = new Stream(connection, new MemberFeed(connection, acks));
  stream.end = streamEnd;
  return stream;
}

for (const acks of [true, false]) {
  const kind = acks ? 'a member that acks' : 'a member that does not ack';

  test(`${kind}: a snapshot at the size cap and the largest catch-up, still queued, do not cut it off`, () => {
    const stream = member(acks, 10 * BudgetUnits);
    // The mirror may owe up to its high water plus a chunk; the joiner's snapshot is brought forward by that much.
    stream.start(SnapshotLimits.MaxUnits, MirrorFlowControl.HighWater + MAX_CHUNK);
    assert.ok(stream.connection.queued > BudgetUnits * BYTES_PER_UNIT, 'the start alone is far over the budget');
    for (let i = 0; i < 10; i++) assert.equal(stream.broadcast(1000), false, 'modest output behind a start that is still on its way');
    assert.equal(stream.feed.state, 'live');
  });

  test(`${kind}: a resume's replay of a whole resume window is not lag either`, () => {
    const stream = member(acks, 10 * BudgetUnits);
    const replay = 2 * BudgetUnits;
    stream.feed.startedAt(stream.end - replay);
    stream.feed.port.send('term:output', { offset: stream.end - replay, data: 'r'.repeat(replay) });
    stream.feed.port.setLive(true);
    assert.equal(stream.broadcast(1000), false);
  });

  test(`${kind}: frozen, it is cut off at the budget after its start, and costs at most its start, the budget and a chunk`, () => {
    const stream = member(acks);
    stream.start(SnapshotLimits.MaxUnits);
    const start = stream.connection.queued;
    chunksUntilCutOff(stream, MAX_CHUNK);
    assert.equal(stream.feed.state, 'behind');
    const beyond = stream.connection.queued - start;
    // Acks count code units, a connection's queue bytes.
    const budgetBytes = acks ? BudgetUnits * BYTES_PER_UNIT : BudgetUnits;
    assert.ok(beyond > budgetBytes, `not cut off before the budget (${beyond} bytes after the start)`);
    assert.ok(beyond <= budgetBytes + MAX_CHUNK * BYTES_PER_UNIT, `cut off with ${beyond} bytes queued after its start`);
  });

  test(`${kind}: cut off, it is resynced only once its whole queue, the snapshot's remains included, is nearly taken in`, () => {
    const stream = member(acks);
    stream.start(SnapshotLimits.MaxUnits);
    chunksUntilCutOff(stream, MAX_CHUNK);
    const cutAt = stream.end;
    const queuedAtCut = stream.connection.queued;
    if (acks) stream.feed.ack(cutAt, stream.end);
    assert.equal(stream.feed.drained(), false, 'nothing taken in yet');
    // The network takes the snapshot and the output behind it, all but less than ResumeBelowUnits.
    stream.connection.take(queuedAtCut - ResumeBelowUnits);
    assert.equal(stream.feed.drained(), false, 'at the line is not below it');
    stream.connection.take(1);
    assert.equal(stream.feed.drained(), true);
  });
}

test('a member that acks is paced by its acks, not by its connection: what the network took but the terminal has not parsed counts', () => {
  const stream = member(true);
  stream.start(1000);
  // A browser's socket reads at once; its terminal parses later.
  const chunks = chunksUntilCutOff(stream, MAX_CHUNK, () => stream.connection.take(Infinity));
  assert.ok(chunks * MAX_CHUNK <= BudgetUnits, 'cut off with an empty queue, by unacked output alone');
});

test('a member that acks as it parses stays live however much goes by', () => {
  const stream = member(true);
  stream.start(SnapshotLimits.MaxUnits);
  for (let i = 0; i < 100; i++) {
    assert.equal(stream.broadcast(MAX_CHUNK), false);
    stream.connection.take(Infinity);
    stream.feed.ack(stream.end, stream.end);
  }
});

test('a member whose acks run ahead of what it reads is cut off by its queue (MaxQueuedBytes)', () => {
  const stream = member(true);
  stream.start(SnapshotLimits.MaxUnits);
  const start = stream.connection.queued;
  chunksUntilCutOff(stream, MAX_CHUNK, () => stream.feed.ack(stream.end, stream.end));
  const beyond = stream.connection.queued - start;
  assert.ok(beyond > MaxQueuedBytes && beyond <= MaxQueuedBytes + MAX_CHUNK * BYTES_PER_UNIT, `cut off with ${beyond} bytes queued after its start`);
});

test('a member that does not ack: once the network has taken its snapshot, the queue behind it counts in full', () => {
  const stream = member(false);
  stream.start(SnapshotLimits.MaxUnits);
  const snapshotBytes = stream.connection.queued;
  stream.connection.take(snapshotBytes);
  // A measure with the snapshot gone lowers its share to nothing.
  assert.equal(stream.broadcast(1), false);
  const chunks = chunksUntilCutOff(stream, MAX_CHUNK);
  assert.ok((chunks + 1) * MAX_CHUNK * BYTES_PER_UNIT > BudgetUnits, 'not cut before the budget');
  assert.ok(chunks * MAX_CHUNK * BYTES_PER_UNIT <= BudgetUnits, 'cut off at the budget: the gone snapshot gives no slack');
});

test('an ack beyond what was broadcast is ignored', () => {
  const stream = member(true);
  stream.start(1000);
  stream.feed.ack(stream.end + BudgetUnits, stream.end);
  const chunks = chunksUntilCutOff(stream, MAX_CHUNK, () => stream.connection.take(Infinity));
  assert.ok(chunks * MAX_CHUNK <= BudgetUnits, 'an ack from the future did not pre-pay the budget');
});
