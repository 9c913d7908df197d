// MemberFeed: one member's side of the stream — live or cut off, how far it has confirmed, how much is
// queued toward it — and the rule that cuts a lagging member off (tmux's discard-and-redraw).

import { MemberFlowControl } from '../protocol/flowControl.js';
import type { MemberPort } from './ports.js';

/** 'starting': joined, its snapshot not sent yet; 'live': in the broadcast; 'behind': cut off until drained. */
export type FeedState = 'starting' | 'live' | 'behind';

export class MemberFeed {
  private stateValue: FeedState = 'starting';
  /** Stream offset the member's terminal has confirmed parsing (only meaningful with acks). */
  private acked = 0;
  /** Where the live stream to this member stopped, while it is behind. */
  private cutAt = 0;

  constructor(
    readonly port: MemberPort,
    /** The member paces us with `term:ack`; otherwise only its connection's queue counts. */
    readonly acks: boolean,
  ) {}

  get state(): FeedState {
    return this.stateValue;
  }

  /** The member's stream (snapshot or resume) starts at `offset`: it has nothing older to confirm. */
  startedAt(offset: number): void {
    this.stateValue = 'live';
    this.acked = offset;
  }

  /** Records an ack; offsets beyond what was broadcast (`streamEnd`) or older than the last are ignored. */
  ack(offset: number, streamEnd: number): void {
    if (offset > this.acked && offset <= streamEnd) this.acked = offset;
  }

  /** Units sent to this member and not yet confirmed, for a member that was sent everything up to `sentEnd`. */
  lag(sentEnd: number): number {
    const unacked = this.acks ? Math.max(0, sentEnd - this.acked) : 0;
    return Math.max(this.port.backlog(), unacked);
  }

  /** Live, and further behind than the budget allows. */
  overBudget(streamEnd: number): boolean {
    if (this.stateValue !== 'live') return false;
    // Checked on every chunk for every live member: the unacked count is free, the connection's queue
    // has to be walked, so it is measured only when the first does not already decide.
    const unacked = this.acks ? streamEnd - this.acked : 0;
    return unacked > MemberFlowControl.BudgetUnits || this.port.backlog() > MemberFlowControl.BudgetUnits;
  }

  cutOff(streamEnd: number): void {
    this.stateValue = 'behind';
    this.cutAt = streamEnd;
  }

  /** Behind, and has taken in nearly everything it was sent before the cut. */
  drained(): boolean {
    return this.stateValue === 'behind' && this.lag(this.cutAt) < MemberFlowControl.ResumeBelowUnits;
  }
}
