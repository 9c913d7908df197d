// MemberFeed: one member's side of the stream — live or cut off, how far its terminal has confirmed, what its
// start cost — and the rule that cuts a lagging member off (tmux's discard-and-redraw).

import type { OutputPayload, ServerEventArgs, ServerEventName } from '../shared/events.js';
import { MemberFlowControl } from '../shared/flowControl.js';
import type { MemberPort } from './ports.js';

/** 'starting': joined, its snapshot not sent yet; 'live': in the broadcast; 'behind': cut off until drained. */
export type FeedState = 'starting' | 'live' | 'behind';

/**
 * Lag is what a member fell behind since its stream started: output sent and not yet acked by its terminal
 * for a member that acks (its socket reads faster than its terminal parses, so only it knows), what is queued
 * on its connection for one that does not. The start itself (a snapshot of up to SnapshotLimits.MaxUnits and
 * the output that brings it forward, or a resume's replay) is not lag: it is bounded, and counting it would cut
 * a member on a slow link off before its first screen arrived, and again after every fresh snapshot.
 */
export class MemberFeed {
  /**
   * The member's connection as the room uses it. The room sends a member's start directly (snapshot,
   * catch-up or replay) and then makes it live; watching that go by tells the start from what follows.
   */
  readonly port: MemberPort;
  private stateValue: FeedState = 'starting';
  /** Stream offset the member's terminal has confirmed parsing (only meaningful with acks). */
  private acked = 0;
  /** Where the stream sent directly at the start ends: the live stream goes on from here. */
  private startEnd = 0;
  /**
   * At most this much of the start is still queued on the connection: all of the queue when the member went
   * live, then never more than the queue at any later measure (it is first in, first out).
   */
  private startQueued = 0;
  /** Where the live stream to this member stopped, while it is behind. */
  private cutAt = 0;

  constructor(
    private readonly connection: MemberPort,
    /** The member paces us with `term:ack`; otherwise only its connection's queue counts. */
    readonly acks: boolean,
  ) {
    this.port = {
      send: <E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void => {
        connection.send(event, ...args);
        // Output goes to a member directly only as part of its start; the live stream is the room's broadcast.
        if (event === 'term:output') {
          const { offset, data } = args[0] as OutputPayload;
          this.startEnd = Math.max(this.startEnd, offset + data.length);
        }
      },
      setLive: (live) => {
        connection.setLive(live);
        if (live) this.startQueued = connection.backlog();
      },
      backlog: () => connection.backlog(),
      setPresent: (present) => connection.setPresent(present),
      close: () => connection.close(),
    };
  }

  get state(): FeedState {
    return this.stateValue;
  }

  /** The member's stream (snapshot or resume) starts at `offset`: it has nothing older to confirm. */
  startedAt(offset: number): void {
    this.stateValue = 'live';
    this.acked = offset;
    this.startEnd = offset;
    this.startQueued = 0;
  }

  /** Records an ack; offsets beyond what was broadcast (`streamEnd`) or older than the last are ignored. */
  ack(offset: number, streamEnd: number): void {
    if (offset > this.acked && offset <= streamEnd) this.acked = offset;
  }

  /** Live, and further behind than the budget allows. */
  overBudget(streamEnd: number): boolean {
    if (this.stateValue !== 'live') return false;
    if (!this.acks) return this.queuedBeyondStart() > MemberFlowControl.BudgetUnits;
    // Checked on every chunk for every live member: the ack count is free, the connection's queue has to be
    // walked, so it is measured only when the first does not already decide.
    return this.unacked(streamEnd) > MemberFlowControl.BudgetUnits
      || this.queuedBeyondStart() > MemberFlowControl.MaxQueuedBytes;
  }

  cutOff(streamEnd: number): void {
    this.stateValue = 'behind';
    this.cutAt = streamEnd;
  }

  /**
   * Behind, and has taken in nearly everything it was sent before the cut: its whole queue counts here, the
   * start's snapshot too, so a fresh snapshot never piles up behind one still on its way.
   */
  drained(): boolean {
    if (this.stateValue !== 'behind') return false;
    if (this.acks && this.unacked(this.cutAt) >= MemberFlowControl.ResumeBelowUnits) return false;
    return this.connection.backlog() < MemberFlowControl.ResumeBelowUnits;
  }

  /** Output after the start, up to `sentEnd`, that the member's terminal has not confirmed. */
  private unacked(sentEnd: number): number {
    return Math.max(0, sentEnd - Math.max(this.acked, this.startEnd));
  }

  /** What is queued on the connection after the start. */
  private queuedBeyondStart(): number {
    const queued = this.connection.backlog();
    this.startQueued = Math.min(this.startQueued, queued);
    return queued - this.startQueued;
  }
}
