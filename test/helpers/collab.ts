// Helpers for collaboration tests: a joined member's id, and waiting for a member list on a manual clock.

import assert from 'node:assert/strict';
import { MemberListPacing } from '../../server/shared/flowControl.js';
import type { ManualClock } from './manualClock.js';
import type { Member } from './member.js';
import { waitFor } from './wait.js';

/** The member id the join reply gave; fails the test when the join was refused. */
export function idOf(member: Member): string {
  assert.ok(member.reply.ok, `the join failed: ${JSON.stringify(member.reply)}`);
  return member.reply.memberId;
}

/**
 * Waits for `member` to see a member list that satisfies `check`, moving the manual clock on each poll so the
 * list's coalescing timer runs once the change has reached the server. Not for tests with a timer of their own
 * running: each poll moves time by MemberListPacing.CoalesceMs.
 */
export async function listShows(clock: ManualClock, member: Member, check: (list: Member['members']) => boolean, what: string): Promise<void> {
  await waitFor(() => {
    clock.advance(MemberListPacing.CoalesceMs);
    return check(member.members);
  }, what);
}
