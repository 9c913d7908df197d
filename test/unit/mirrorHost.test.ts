// MirrorHost with a real worker thread and no pty: snapshots at any point plus the stream after them rebuild the
// screen exactly, replies come back once, and a killed worker's mirror is rebuilt from checkpoint and history.

import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { MirrorHost, type MirrorEvent, type MirrorHistory, type RoomMirror } from '../../server/terminal/mirrorHost.js';
import { ScreenMirror } from '../../server/terminal/screenMirror.js';
import { createWorkload, seededRandom } from '../fixtures/workload.mjs';
import { diffTerminals, makeTerminal, writeAsync } from '../helpers/screens.js';
import { waitFor } from '../helpers/wait.js';

const SCROLLBACK = 200;

/** Everything written, with offsets: the test's stand-in for a room's StreamHistory (it keeps it all). */
class FullHistory implements MirrorHistory {
  readonly events: Array<{ offset: number; event: MirrorEvent }> = [];
  end = 0;
  readonly start = 0;

  output(data: string): void {
    this.events.push({ offset: this.end, event: { kind: 'output', data } });
    this.end += data.length;
  }

  resize(cols: number, rows: number): void {
    this.events.push({ offset: this.end, event: { kind: 'resize', cols, rows } });
  }

  since(offset: number): MirrorEvent[] {
    const out: MirrorEvent[] = [];
    for (const { offset: at, event } of this.events) {
      if (event.kind === 'resize') {
        if (at >= offset) out.push(event);
      } else if (at + event.data.length > offset) {
        out.push(at >= offset ? event : { kind: 'output', data: event.data.slice(offset - at) });
      }
    }
    return out;
  }
}

function feed(mirror: RoomMirror, reference: ScreenMirror, history: FullHistory, event: MirrorEvent): void {
  if (event.kind === 'output') {
    history.output(event.data);
    mirror.write(event.data);
    reference.write(event.data, () => undefined);
  } else {
    history.resize(event.cols, event.rows);
    mirror.resize(event.cols, event.rows);
    reference.resize(event.cols, event.rows, () => undefined);
  }
}

function streamFor(seed: number, length: number): MirrorEvent[] {
  const next = createWorkload(seed);
  const random = seededRandom(seed + 7);
  const events: MirrorEvent[] = [];
  let total = 0;
  while (total < length) {
    const data = next();
    total += data.length;
    events.push({ kind: 'output', data });
    if (random() < 0.02) events.push({ kind: 'resize', cols: 40 + Math.floor(random() * 80), rows: 8 + Math.floor(random() * 30) });
  }
  return events;
}

test('a snapshot taken at any point, plus the stream from its offset, equals the mirror at the end', async () => {
  const host = new MirrorHost(1);
  const history = new FullHistory();
  const mirror = host.open({ cols: 80, rows: 24, scrollback: SCROLLBACK, history });
  const reference = new ScreenMirror({ cols: 80, rows: 24, scrollback: SCROLLBACK });
  try {
    const events = streamFor(11, 300_000);
    const snapshots: Array<Promise<import('../../server/shared/events.js').SnapshotPayload>> = [];
    for (const [i, event] of events.entries()) {
      feed(mirror, reference, history, event);
      // Asked while the worker is far behind: each is answered at whatever it has parsed by then.
      if (i % 15 === 0) snapshots.push(mirror.snapshot());
      // Now and then the worker catches up, so later snapshots are taken at later offsets.
      if (i % 45 === 0) await mirror.flushed();
    }
    assert.equal(await mirror.flushed(), history.end, 'the mirror parsed exactly what was written');
    await new Promise<void>((resolve) => reference.afterParsed(resolve));
    const offsets = new Set<number>();
    for (const snapshot of await Promise.all(snapshots)) {
      offsets.add(snapshot.offset);
      const joiner = makeTerminal(snapshot.cols, snapshot.rows, SCROLLBACK);
      await writeAsync(joiner, Buffer.from(snapshot.data).toString('utf8'));
      for (const event of history.since(snapshot.offset)) {
        if (event.kind === 'output') await writeAsync(joiner, event.data);
        else joiner.resize(event.cols, event.rows);
      }
      assert.deepEqual(diffTerminals(reference.xterm, joiner, 5), [], `joined at ${snapshot.offset}`);
      joiner.dispose();
    }
    assert.ok(offsets.size > 3, `snapshots were taken at many offsets (${offsets.size})`);
    assert.deepEqual(diffTerminals(reference.xterm, await mirror.dump()), [], 'the worker\'s mirror equals the in-process one');
  } finally {
    reference.dispose();
    mirror.dispose();
    host.dispose();
  }
});

test('terminal queries in the output are answered once, through onReply', async () => {
  const host = new MirrorHost(1);
  const history = new FullHistory();
  const mirror = host.open({ cols: 80, rows: 24, scrollback: SCROLLBACK, history });
  const replies: string[] = [];
  mirror.onReply((reply) => replies.push(reply));
  try {
    mirror.write('hello\x1b[6n\x1b[c');
    await mirror.flushed();
    await waitFor(() => replies.length >= 2, 'both replies');
    assert.equal(replies.filter((reply) => /^\x1b\[\d+;\d+R$/.test(reply)).length, 1, 'one cursor position report');
    assert.equal(replies.filter((reply) => /^\x1b\[\?[\d;]+c$/.test(reply)).length, 1, 'one device attributes reply');
    assert.equal(replies.length, 2);
  } finally {
    mirror.dispose();
    host.dispose();
  }
});

test('a killed worker is replaced and its mirrors are rebuilt from checkpoint and history, exact', async () => {
  const host = new MirrorHost(1);
  const history = new FullHistory();
  const mirror = host.open({ cols: 80, rows: 24, scrollback: SCROLLBACK, history });
  const reference = new ScreenMirror({ cols: 80, rows: 24, scrollback: SCROLLBACK });
  let rebuilt: { exact: boolean } | undefined;
  mirror.onRebuilt((info) => {
    rebuilt = info;
  });
  try {
    const events = streamFor(23, 1_500_000);
    const halfway = Math.floor(events.length / 2);
    for (const event of events.slice(0, halfway)) feed(mirror, reference, history, event);
    const half = history.end;
    // A question asked before the crash is answered after it.
    const pending = mirror.flushed();
    await host.killWorker(host.workerOf(mirror));
    for (const event of events.slice(halfway)) feed(mirror, reference, history, event);
    assert.ok((await pending) >= half, 'the question asked before the crash was answered');
    assert.equal(await mirror.flushed(), history.end);
    await new Promise<void>((resolve) => reference.afterParsed(resolve));
    assert.deepEqual(rebuilt, { exact: true });
    // The history reaches back to offset 0 here, so even the scrollback is whole.
    assert.deepEqual(diffTerminals(reference.xterm, await mirror.dump()), [], 'the rebuilt mirror equals one that never crashed');
  } finally {
    reference.dispose();
    mirror.dispose();
    host.dispose();
  }
});

test('disposing the host ends its workers: their threads\' descriptors are given back', async () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  const baseline = openFds();
  const host = new MirrorHost(2);
  await host.ready();
  assert.ok(openFds() > baseline, 'running workers hold descriptors (their event loops), so the check below can fail');
  host.dispose();
  await waitFor(() => openFds() <= baseline, `descriptors back to the baseline of ${baseline}`);
});
