// Snapshot fuzz: a seeded workload cut into chunks at arbitrary points (mid-escape-sequence, mid-wrap,
// with resizes), a late joiner at many chunk boundaries, and every joiner must match the mirror cell by
// cell after every following event. Deterministic and in-process: a failure names seed and event.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScreenMirror } from '../../server/terminal/screenMirror.js';
import { createWorkload, seededRandom } from '../fixtures/workload.mjs';
import { diffTerminals, makeTerminal, writeAsync, type HeadlessTerminal } from '../helpers/screens.js';

const SCROLLBACK = 300;
/** Output per seed, in code units: enough to fill the scrollback several times over. */
const STREAM_LENGTH = 120_000;
/** Largest chunk, like a pty read. */
const MAX_CHUNK = 4000;
const RESIZE_CHANCE = 0.03;
/** A joiner every this many events. */
const JOIN_EVERY = 4;
const FIXED_SEEDS = [1, 2, 3, 4, 5, 6];
/**
 * Seeds `npm run fuzz` found divergences with, kept once fixed: a saved cursor with a wrap pending
 * (944143), over an erased cell (967727), the hidden normal screen's own cursor (588604, 431582), and
 * a cursor outside the region in origin mode (677524, now kept out of the workload; see README).
 */
const REGRESSION_SEEDS = [944143, 967727, 588604, 431582];

type StreamEvent = { data: string } | { cols: number; rows: number };

function eventsFor(seed: number): StreamEvent[] {
  const nextChunk = createWorkload(seed);
  let stream = '';
  while (stream.length < STREAM_LENGTH) stream += nextChunk();
  const random = seededRandom(seed + 1);
  const events: StreamEvent[] = [];
  for (let at = 0; at < stream.length;) {
    const length = 1 + Math.floor(random() * MAX_CHUNK);
    events.push({ data: stream.slice(at, at + length) });
    at += length;
    if (random() < RESIZE_CHANCE) events.push({ cols: 40 + Math.floor(random() * 80), rows: 8 + Math.floor(random() * 30) });
  }
  return events;
}

async function applyTo(terminal: HeadlessTerminal, event: StreamEvent): Promise<void> {
  await writeAsync(terminal, 'data' in event ? event.data : '');
  if (!('data' in event)) terminal.resize(event.cols, event.rows);
}

async function applyToMirror(mirror: ScreenMirror, event: StreamEvent): Promise<void> {
  await new Promise<void>((resolve) => {
    if ('data' in event) mirror.write(event.data, () => resolve());
    else mirror.resize(event.cols, event.rows, () => resolve());
  });
}

/** Returns the first divergence as a message, or null when every joiner matched throughout. */
async function fuzz(seed: number): Promise<string | null> {
  const events = eventsFor(seed);
  const mirror = new ScreenMirror({ cols: 80, rows: 24, scrollback: SCROLLBACK });
  const joiners: { terminal: HeadlessTerminal; joinedAt: number }[] = [];
  try {
    for (const [i, event] of events.entries()) {
      if (i % JOIN_EVERY === 0) {
        const snapshot = mirror.snapshot();
        const terminal = makeTerminal(snapshot.cols, snapshot.rows, SCROLLBACK);
        await writeAsync(terminal, snapshot.data);
        joiners.push({ terminal, joinedAt: i });
      }
      await applyToMirror(mirror, event);
      for (const joiner of joiners) {
        await applyTo(joiner.terminal, event);
        const diffs = diffTerminals(mirror.xterm, joiner.terminal, 3);
        if (diffs.length > 0) {
          const what = 'data' in event ? `data ${JSON.stringify(event.data.slice(0, 80))}` : `resize ${event.cols}x${event.rows}`;
          return `seed ${seed}: joiner from event ${joiner.joinedAt} differs after event ${i} (${what}): ${diffs.join('; ')}`;
        }
      }
    }
    return null;
  } finally {
    for (const joiner of joiners) joiner.terminal.dispose();
    mirror.dispose();
  }
}

for (const seed of [...FIXED_SEEDS, ...REGRESSION_SEEDS]) {
  test(`late joiners at every ${JOIN_EVERY}th chunk boundary stay identical to the mirror (seed ${seed})`, async () => {
    assert.equal(await fuzz(seed), null);
  });
}

// Exploring new seeds belongs to `npm run fuzz` (scripts/fuzz.mjs), not to the gating suite: a new seed
// can hit a gap that is already known (README, Known limitations). This replays one seed on demand.
const seedToReplay = process.env.TTYROOM_TEST_SEED;
test(`the seed in TTYROOM_TEST_SEED (${seedToReplay ?? 'unset'})`, { skip: seedToReplay === undefined && 'set TTYROOM_TEST_SEED, or run npm run fuzz' }, async () => {
  assert.equal(await fuzz(Number(seedToReplay)), null);
});
