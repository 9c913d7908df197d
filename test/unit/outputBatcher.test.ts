// Proves OutputBatcher sends idle output at once, coalesces a burst into one flush, never reorders or loses data, and stops cleanly on dispose.

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchLimits } from '../../server/shared/flowControl.js';
import { OutputBatcher } from '../../server/terminal/outputBatcher.js';

/** Comfortably past one coalescing window on a loaded machine; tests assert on content, never on timing. */
const PAST_WINDOW_MS = 4 * BatchLimits.CoalesceMs;
/** A read large enough to open the coalescing window, like the first read of a flood. */
const LEAD = 'L'.repeat(BatchLimits.WindowAfterUnits);

/** Ref'ed timers alive right now: what would keep the process from exiting. */
function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

const batchers: OutputBatcher[] = [];

function makeBatcher(): { batcher: OutputBatcher; flushes: string[] } {
  const flushes: string[] = [];
  const batcher = new OutputBatcher((data) => flushes.push(data));
  batchers.push(batcher);
  return { batcher, flushes };
}

afterEach(() => {
  for (const batcher of batchers.splice(0)) batcher.dispose();
});

describe('OutputBatcher', () => {
  test('(a) when idle, push delivers before it returns', () => {
    const { batcher, flushes } = makeBatcher();
    batcher.push('$ ');
    assert.deepEqual(flushes, ['$ ']);
  });

  test('(a) after a quiet window it is idle again: the next push is synchronous', async () => {
    const { batcher, flushes } = makeBatcher();
    batcher.push(LEAD);
    await sleep(PAST_WINDOW_MS);
    batcher.push('b');
    assert.deepEqual(flushes, [LEAD, 'b']);
  });

  test('(a) small pushes (echoes, prompts) never open the window: each is delivered before push returns', () => {
    const { batcher, flushes } = makeBatcher();
    for (const key of ['l', 's', ' ', '-', 'l', '\r\n']) batcher.push(key);
    assert.deepEqual(flushes, ['l', 's', ' ', '-', 'l', '\r\n']);
    batcher.push(LEAD);
    batcher.push('held');
    assert.deepEqual(flushes.at(-1), LEAD, 'a large read opens the window for what follows');
  });

  test('empty pushes deliver nothing', () => {
    const { batcher, flushes } = makeBatcher();
    batcher.push('');
    assert.deepEqual(flushes, []);
  });

  test('(b) pushes inside the window are held, then delivered as one concatenated flush', async () => {
    const { batcher, flushes } = makeBatcher();
    batcher.push(LEAD);
    batcher.push('-second');
    batcher.push('-third');
    batcher.push('-fourth');
    assert.deepEqual(flushes, [LEAD], 'only the leading push is delivered synchronously');
    await sleep(PAST_WINDOW_MS);
    assert.deepEqual(flushes, [LEAD, '-second-third-fourth']);
  });

  test('(c) reaching MaxBatch inside the window flushes at once, synchronously', () => {
    const { batcher, flushes } = makeBatcher();
    batcher.push(LEAD);
    const almost = 'x'.repeat(BatchLimits.MaxBatch - 1);
    batcher.push(almost);
    assert.deepEqual(flushes, [LEAD], 'one code unit short of MaxBatch is still held');
    batcher.push('y');
    assert.equal(flushes.length, 2);
    assert.equal(flushes[1], `${almost}y`);
    assert.equal(flushes[1]!.length, BatchLimits.MaxBatch);
  });

  test('(c) one push larger than MaxBatch inside the window is flushed at once, whole', () => {
    const { batcher, flushes } = makeBatcher();
    batcher.push(LEAD);
    const big = 'z'.repeat(BatchLimits.MaxBatch * 2 + 3);
    batcher.push(big);
    assert.deepEqual(flushes, [LEAD, big]);
  });

  test('(d) flush() delivers what is pending immediately, and nothing twice', async () => {
    const { batcher, flushes } = makeBatcher();
    batcher.push(LEAD);
    batcher.push('b');
    batcher.push('c');
    batcher.flush();
    assert.deepEqual(flushes, [LEAD, 'bc']);
    batcher.flush();
    await sleep(PAST_WINDOW_MS);
    assert.deepEqual(flushes, [LEAD, 'bc'], 'the window has nothing left to send');
  });

  test('(d) flush() with nothing pending delivers nothing', () => {
    const { batcher, flushes } = makeBatcher();
    batcher.flush();
    batcher.push('a');
    batcher.flush();
    assert.deepEqual(flushes, ['a']);
  });

  test('(e) order and content survive many pushes across windows, size flushes and manual flushes', async () => {
    const { batcher, flushes } = makeBatcher();
    const pushed: string[] = [];
    const push = (data: string): void => {
      pushed.push(data);
      batcher.push(data);
    };
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 200; i++) {
        // Distinct, multi-byte and astral content so a reorder, drop or split shows in the comparison.
        push(`r${round}:${i} é🦊\r\n`);
      }
      push('q'.repeat(BatchLimits.MaxBatch));
      push(`tail ${round}`);
      if (round % 2 === 0) batcher.flush();
      await sleep(round % 2 === 0 ? 0 : PAST_WINDOW_MS);
    }
    await sleep(PAST_WINDOW_MS);
    assert.ok(flushes.length < pushed.length, `expected coalescing: ${flushes.length} flushes for ${pushed.length} pushes`);
    assert.equal(flushes.join(''), pushed.join(''));
  });

  test('(f) after dispose, held data is not delivered and no timer is left running', async () => {
    const before = liveTimers();
    const { batcher, flushes } = makeBatcher();
    batcher.push(LEAD);
    batcher.push('held');
    assert.equal(liveTimers(), before + 1, 'the coalescing window is a live timer');
    batcher.dispose();
    assert.equal(liveTimers(), before, 'dispose clears the window timer');
    await sleep(PAST_WINDOW_MS);
    assert.deepEqual(flushes, [LEAD]);
  });

  test('(f) push after dispose delivers nothing and starts no timer', async () => {
    const { batcher, flushes } = makeBatcher();
    batcher.dispose();
    const before = liveTimers();
    batcher.push('late');
    assert.equal(liveTimers(), before);
    await sleep(PAST_WINDOW_MS);
    assert.deepEqual(flushes, []);
  });

  test('(f) flush() after dispose delivers nothing', () => {
    const { batcher, flushes } = makeBatcher();
    batcher.push(LEAD);
    batcher.push('held');
    batcher.dispose();
    batcher.flush();
    assert.deepEqual(flushes, [LEAD]);
  });

  test('(f) dispose is idempotent', () => {
    const { batcher, flushes } = makeBatcher();
    batcher.push('a');
    batcher.dispose();
    batcher.dispose();
    assert.equal(batcher.isDisposed, true);
    assert.deepEqual(flushes, ['a']);
  });
});
