// FanOut: how the room's stream reaches its members. Starts (snapshot or resume) paced one per turn, joiners that
// wait for a snapshot from the mirror, the cached snapshot, cutting off laggards and resyncing them once drained.
// It sees ports and offsets, never sockets, and keeps time on the injected clock.

import type { ExitPayload, SnapshotPayload } from '../shared/events.js';
import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import { JoinPacing, MemberFlowControl, SnapshotReuse } from '../shared/flowControl.js';
import { MemberFeed } from './memberFeed.js';
import type { MemberPort } from './ports.js';
import type { StreamEvent } from './streamHistory.js';

/** What the fan-out reads from the room: the stream so far, the mirror's snapshots, the exit. */
export interface StreamSource {
  /** The offset the next chunk starts at. */
  readonly end: number;
  /** Every event from `offset` on, or undefined when no longer held. */
  since(offset: number): StreamEvent[] | undefined;
  /** A fresh snapshot from the mirror, at whatever it has parsed (at most `end`). */
  snapshot(): Promise<SnapshotPayload>;
  /** Set once the program exited and its last output was parsed. */
  readonly exit: ExitPayload | undefined;
}

interface Feed {
  readonly memberId: string;
  readonly feed: MemberFeed;
  /** Its start (join or resync) waits for a snapshot or for its turn. */
  starting: boolean;
}

/** A member waiting for its turn to start, with the snapshot that was taken for it if there is one. */
interface QueuedStart {
  entry: Feed;
  resumeFrom: number | undefined;
  snapshot?: SnapshotPayload;
}

export class FanOut extends Disposable {
  private readonly feeds = new Map<string, Feed>();
  private readonly startQueue: QueuedStart[] = [];
  private startTurn: IDisposable | undefined;
  /** Members whose start waits for the snapshot being taken (one request serves them all). */
  private awaitingSnapshot: Feed[] = [];
  private snapshotRequested = false;
  /** The last snapshot taken, reused for joiners that come soon after (see SnapshotReuse). */
  private cached: SnapshotPayload | undefined;
  /** Runs while some member is cut off, to give it a fresh snapshot once it has drained. */
  private drainTimer: IDisposable | undefined;

  constructor(
    private readonly source: StreamSource,
    private readonly clock: Clock,
    /** --resume-buffer: how far back a reconnecting member may resume instead of getting a snapshot. */
    private readonly resumeWindowUnits: number,
  ) {
    super();
    this.register(toDisposable(() => {
      this.startTurn?.dispose();
      this.drainTimer?.dispose();
      this.startQueue.length = 0;
      this.awaitingSnapshot = [];
    }));
  }

  /** The newest snapshot known, if any (the REST screen reuses it while nothing was broadcast since). */
  get cachedSnapshot(): SnapshotPayload | undefined {
    return this.cached;
  }

  /** Adds a member; its stream (the missed chunks when `resumeFrom` is still held, else a snapshot) starts on a later turn. */
  add(memberId: string, port: MemberPort, acks: boolean, resumeFrom: number | undefined): void {
    const entry: Feed = { memberId, feed: new MemberFeed(port, acks), starting: true };
    this.feeds.set(memberId, entry);
    this.queueStart(entry, resumeFrom);
  }

  remove(memberId: string): void {
    const entry = this.feeds.get(memberId);
    if (!entry) return;
    this.feeds.delete(memberId);
    entry.feed.port.setLive(false);
  }

  /** A member's terminal has parsed everything before `offset`; may end its catching up. */
  ack(memberId: string, offset: number): void {
    const entry = this.feeds.get(memberId);
    if (!entry) return;
    entry.feed.ack(offset, this.source.end);
    if (entry.feed.drained() && !entry.starting) this.restart(entry);
  }

  /** A chunk was broadcast (the stream now ends at `source.end`): cut off whoever fell too far behind. */
  broadcast(): void {
    const end = this.source.end;
    for (const { feed } of this.feeds.values()) {
      if (!feed.overBudget(end)) continue;
      // tmux's discard-and-redraw: out of the live broadcast (nothing more queues up), told it is behind,
      // and given a fresh snapshot once it has drained.
      feed.port.setLive(false);
      feed.cutOff(end);
      feed.port.send('term:behind', { offset: end });
      this.drainTimer ??= this.clock.setTimer(MemberFlowControl.DrainCheckMs, () => this.resyncDrained());
    }
    if (this.cached && end - this.cached.offset > SnapshotReuse.MaxCatchUpUnits) {
      // Too old to reuse; let the memory go now rather than at the next join.
      this.cached = undefined;
    }
  }

  /** Keeps the newest snapshot for joiners that come soon after (a checkpoint from the mirror, or one taken here). */
  offerSnapshot(snapshot: SnapshotPayload): void {
    if (!this.cached || snapshot.offset >= this.cached.offset) this.cached = snapshot;
  }

  /** The program exited and its last output is parsed: members in the live stream hear it now, the rest when they start. */
  exited(payload: ExitPayload): void {
    for (const { feed } of this.feeds.values()) {
      if (feed.state !== 'live') continue;
      feed.port.setLive(false);
      feed.port.send('term:exit', payload);
    }
  }

  /** Snapshots the mirror was asked for (the expensive path; tests count them). */
  snapshotRequests = 0;

  /** A fresh snapshot from the mirror, kept for the joiners after it. */
  async takeSnapshot(): Promise<SnapshotPayload> {
    this.snapshotRequests += 1;
    const snapshot = await this.source.snapshot();
    this.offerSnapshot(snapshot);
    return snapshot;
  }

  private queueStart(entry: Feed, resumeFrom: number | undefined, snapshot?: SnapshotPayload): void {
    entry.starting = true;
    this.startQueue.push(snapshot ? { entry, resumeFrom, snapshot } : { entry, resumeFrom });
    this.startTurn ??= this.clock.defer(() => this.startQueued());
  }

  private startQueued(): void {
    this.startTurn = undefined;
    if (this.isDisposed) return;
    for (let started = 0; started < JoinPacing.StartsPerTurn && this.startQueue.length > 0;) {
      const { entry, resumeFrom, snapshot } = this.startQueue.shift()!;
      // Left (or was removed) before its turn: nothing to send.
      if (this.feeds.get(entry.memberId) !== entry) continue;
      if (this.startStream(entry, resumeFrom, snapshot)) started++;
    }
    if (this.startQueue.length > 0) this.startTurn = this.clock.defer(() => this.startQueued());
  }

  /** A member that was cut off and has drained starts again from a fresh snapshot. */
  private restart(entry: Feed): void {
    entry.starting = true;
    this.startStream(entry, undefined);
  }

  /**
   * Sends a member its stream from `resumeFrom` when that is still held, else from a snapshot, then the exit
   * or the live stream. Exact by construction: everything from the snapshot's (or resume's) offset to the
   * current end comes from the history in the same turn as the member joins the live broadcast, so no chunk
   * is missed or repeated. Without a snapshot that the history can bring to the current end, the member
   * waits for one from the mirror (and false is returned: nothing was sent yet).
   */
  private startStream(entry: Feed, resumeFrom: number | undefined, taken?: SnapshotPayload): boolean {
    const { feed } = entry;
    // The history may hold more than --resume-buffer; resuming honours the configured window.
    const resumable = resumeFrom !== undefined && this.source.end - resumeFrom <= this.resumeWindowUnits;
    const missed = resumable ? this.source.since(resumeFrom) : undefined;
    if (missed !== undefined) {
      feed.startedAt(resumeFrom!);
      replay(feed, missed);
    } else {
      const point = this.joinPoint(taken);
      if (!point) {
        this.awaitSnapshot(entry);
        return false;
      }
      feed.startedAt(point.snapshot.offset);
      feed.port.send('term:snapshot', point.snapshot);
      replay(feed, point.since);
    }
    entry.starting = false;
    const exit = this.source.exit;
    if (exit) feed.port.send('term:exit', exit);
    else feed.port.setLive(true);
    return true;
  }

  /**
   * A snapshot and the events after it that bring it to the current end: the one taken for this member, or
   * the cached one while close enough; undefined when a new one must be taken.
   */
  private joinPoint(taken: SnapshotPayload | undefined): { snapshot: SnapshotPayload; since: StreamEvent[] } | undefined {
    for (const snapshot of [taken, this.cached]) {
      if (!snapshot) continue;
      if (snapshot !== taken && this.source.end - snapshot.offset > SnapshotReuse.MaxCatchUpUnits) continue;
      const since = this.source.since(snapshot.offset);
      if (since !== undefined) return { snapshot, since };
    }
    return undefined;
  }

  /** Queues a member for the snapshot being taken, asking the mirror for one if none is on its way. */
  private awaitSnapshot(entry: Feed): void {
    this.awaitingSnapshot.push(entry);
    if (this.snapshotRequested) return;
    this.snapshotRequested = true;
    this.takeSnapshot().then((snapshot) => {
      this.snapshotRequested = false;
      if (this.isDisposed) return;
      // Each waiter starts on its own turn (JoinPacing), from this snapshot, whatever has been broadcast meanwhile.
      for (const waiting of this.awaitingSnapshot.splice(0)) {
        if (this.feeds.get(waiting.memberId) === waiting) this.queueStart(waiting, undefined, snapshot);
      }
    }, () => {
      // Only a closed mirror rejects, and it closes with the room: nobody is left to start.
      this.snapshotRequested = false;
    });
  }

  private resyncDrained(): void {
    this.drainTimer = undefined;
    if (this.isDisposed) return;
    let stillBehind = false;
    for (const entry of this.feeds.values()) {
      if (entry.starting) continue;
      if (entry.feed.drained()) this.restart(entry);
      else if (entry.feed.state === 'behind') stillBehind = true;
    }
    if (stillBehind) this.drainTimer = this.clock.setTimer(MemberFlowControl.DrainCheckMs, () => this.resyncDrained());
  }
}

function replay(feed: MemberFeed, events: StreamEvent[]): void {
  for (const event of events) {
    if (event.kind === 'output') feed.port.send('term:output', event.payload);
    else feed.port.send('term:resize', event.payload);
  }
}
