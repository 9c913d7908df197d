// The flow-control contract: how the constants of server/shared/flowControl.ts must relate, each with its reason.
// Every relation is also checked against a copy of the constants that breaks it, so none can hold vacuously.
// That a member's start (a snapshot up to the cap, its catch-up) never counts against its budget is behaviour of
// MemberFeed, checked in memberFeed.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Flow from '../../server/shared/flowControl.js';
import { PayloadLimits } from '../../server/shared/limits.js';

type Constants = { -readonly [Group in keyof typeof Flow]: { -readonly [Name in keyof (typeof Flow)[Group]]: number } };

/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

/** The largest chunk one broadcast carries: a batch is flushed once it reaches MaxBatch, overshooting by one read. */
function maxChunk(c: Constants): number {
  return c.BatchLimits.MaxBatch + c.PtyReads.MaxReadUnits;
}

/** The most the mirror may owe: reading pauses once its backlog passes high water, after the chunk that passed it. */
function mirrorMaxBacklog(c: Constants): number {
  return c.MirrorFlowControl.HighWater + maxChunk(c);
}

interface Relation {
  says: string;
  why: string;
  holds(c: Constants): boolean;
  /** Changes one constant of a copy so that the relation no longer holds. */
  breakIn(c: Constants): void;
}

const RELATIONS: Relation[] = [
  {
    says: 'low water < high water',
    why: 'the pty resumes only below where it paused, or reading would pause and resume on every chunk',
    holds: (c) => c.MirrorFlowControl.LowWater < c.MirrorFlowControl.HighWater,
    breakIn: (c) => {
      c.MirrorFlowControl.LowWater = c.MirrorFlowControl.HighWater;
    },
  },
  {
    says: 'low water ≥ the largest chunk',
    why: 'the pty resumes while the mirror still has a chunk to parse, so the parser stays busy while the next read comes',
    holds: (c) => c.MirrorFlowControl.LowWater >= maxChunk(c),
    breakIn: (c) => {
      c.MirrorFlowControl.LowWater = maxChunk(c) - 1;
    },
  },
  {
    says: 'history ≥ mirror high water + the largest chunk',
    why: "a joiner's snapshot at the mirror's parsed offset can always be brought forward from the history",
    holds: (c) => c.MirrorFlowControl.MinHistoryUnits >= mirrorMaxBacklog(c),
    breakIn: (c) => {
      c.MirrorFlowControl.HighWater = c.MirrorFlowControl.MinHistoryUnits;
    },
  },
  {
    says: 'history ≥ mirror high water + the largest chunk + the flood checkpoint interval',
    why: 'a mirror whose worker died is rebuilt from its newest checkpoint, which the history must still reach during a flood',
    holds: (c) => c.MirrorFlowControl.MinHistoryUnits >= mirrorMaxBacklog(c) + c.MirrorHostTiming.FloodCheckpointUnits,
    breakIn: (c) => {
      c.MirrorHostTiming.FloodCheckpointUnits = c.MirrorFlowControl.MinHistoryUnits;
    },
  },
  {
    says: 'the progress report step < low water',
    why: 'the main thread sees the mirror fall below low water at most one report late, so the pty resumes before the parser runs dry',
    holds: (c) => c.MirrorHostTiming.ProgressEveryUnits < c.MirrorFlowControl.LowWater,
    breakIn: (c) => {
      c.MirrorHostTiming.ProgressEveryUnits = c.MirrorFlowControl.LowWater;
    },
  },
  {
    says: 'the batcher opens its window below one page-sized read',
    why: 'a flood (pty reads of up to 4 KiB) is coalesced from its first read, while echoes (a few units) go out at once',
    holds: (c) => c.BatchLimits.WindowAfterUnits > 0 && c.BatchLimits.WindowAfterUnits <= 4096,
    breakIn: (c) => {
      c.BatchLimits.WindowAfterUnits = 4097;
    },
  },
  {
    says: 'cached snapshot catch-up ≤ history',
    why: 'a cached snapshot recent enough to reuse can be brought forward from the history, or the cache would never serve',
    holds: (c) => c.SnapshotReuse.MaxCatchUpUnits <= c.MirrorFlowControl.MinHistoryUnits,
    breakIn: (c) => {
      c.SnapshotReuse.MaxCatchUpUnits = c.MirrorFlowControl.MinHistoryUnits + 1;
    },
  },
  {
    says: 'ack step + the largest chunk ≤ half the member budget',
    why: 'what an acking member holds back between two acks leaves as much of its budget for output on its way, so a member that keeps up never looks over budget',
    holds: (c) => c.AckPolicy.MaxUnackedUnits + maxChunk(c) <= c.MemberFlowControl.BudgetUnits / 2,
    breakIn: (c) => {
      c.AckPolicy.MaxUnackedUnits = c.MemberFlowControl.BudgetUnits / 2;
    },
  },
  {
    says: 'resume-below < member budget',
    why: 'a member cut off past its budget is resynced only once it has taken in most of what it was sent, so fresh snapshots never pile up behind unread output',
    holds: (c) => c.MemberFlowControl.ResumeBelowUnits < c.MemberFlowControl.BudgetUnits,
    breakIn: (c) => {
      c.MemberFlowControl.ResumeBelowUnits = c.MemberFlowControl.BudgetUnits;
    },
  },
  {
    says: 'queue bound ≥ member budget in UTF-8',
    why: 'an acking member within its budget is not cut off by its connection queue, even for text of 3-byte characters only',
    holds: (c) => c.MemberFlowControl.MaxQueuedBytes >= MAX_UTF8_BYTES_PER_UNIT * c.MemberFlowControl.BudgetUnits,
    breakIn: (c) => {
      c.MemberFlowControl.MaxQueuedBytes = MAX_UTF8_BYTES_PER_UNIT * c.MemberFlowControl.BudgetUnits - 1;
    },
  },
  {
    says: 'parse slice < batch',
    why: "a flood's chunks are parsed across several turns, so keystroke echoes get the thread in between",
    holds: (c) => c.ParseScheduling.SliceUnits < c.BatchLimits.MaxBatch,
    breakIn: (c) => {
      c.ParseScheduling.SliceUnits = c.BatchLimits.MaxBatch;
    },
  },
  {
    says: 'pending input cap ≥ one input chunk in UTF-8',
    why: 'one term:input of the largest size fits an empty input queue, so a paste into a program that reads is never refused',
    holds: (c) => c.InputLimits.MaxPendingBytes >= MAX_UTF8_BYTES_PER_UNIT * PayloadLimits.MaxInputChunk,
    breakIn: (c) => {
      c.InputLimits.MaxPendingBytes = MAX_UTF8_BYTES_PER_UNIT * PayloadLimits.MaxInputChunk - 1;
    },
  },
  {
    says: '0 < snapshot retry keep ratio < 1',
    why: 'each retry of a snapshot over its cap keeps fewer scrollback lines, so the retries end',
    holds: (c) => c.SnapshotLimits.RetryKeepRatio > 0 && c.SnapshotLimits.RetryKeepRatio < 1,
    breakIn: (c) => {
      c.SnapshotLimits.RetryKeepRatio = 1;
    },
  },
  {
    says: 'join starts per turn: a whole number ≥ 1',
    why: "with none, no joiner's stream would ever start",
    holds: (c) => Number.isInteger(c.JoinPacing.StartsPerTurn) && c.JoinPacing.StartsPerTurn >= 1,
    breakIn: (c) => {
      c.JoinPacing.StartsPerTurn = 0;
    },
  },
  {
    says: 'every pacing interval > 0 ms',
    why: 'a zero interval turns a timer into a busy loop',
    holds: (c) => [c.BatchLimits.CoalesceMs, c.MemberFlowControl.DrainCheckMs, c.AckPolicy.MaxDelayMs, c.MemberListPacing.CoalesceMs, c.InputLimits.RetryMs]
      .every((ms) => ms > 0),
    breakIn: (c) => {
      c.InputLimits.RetryMs = 0;
    },
  },
];

function constants(): Constants {
  return structuredClone({ ...Flow }) as Constants;
}

for (const relation of RELATIONS) {
  test(`${relation.says}: ${relation.why}`, () => {
    assert.ok(relation.holds(constants()), 'holds for the constants in use');
    const broken = constants();
    relation.breakIn(broken);
    assert.equal(relation.holds(broken), false, 'fails on a copy that breaks it');
  });
}

test('the module is browser-safe: it imports nothing', async () => {
  const { readFile } = await import('node:fs/promises');
  const source = await readFile(new URL('../../server/shared/flowControl.ts', import.meta.url), 'utf8');
  assert.doesNotMatch(source, /^\s*import\s/m);
});
