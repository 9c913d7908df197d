// FanOut: how the room's stream reaches its members. Starts (snapshot or resume) paced one per turn, joiners that
// wait for a snapshot from the mirror, the cached snapshot, cutting off laggards and resyncing them once drained,
// and the privacy curtain that holds back everyone not behind it. It sees ports and offsets, never sockets, and
// keeps time on the injected clock.

import type { ExitPayload, MemberState, ServerEventArgs, ServerEventName, SnapshotPayload } from '../shared/events.js';
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
  /** A fresh snapshot from the mirror, at whatever it has parsed (at most `end`) but at least `minOffset`. */
  snapshot(minOffset: number): Promise<SnapshotPayload>;
  /** Set once the program exited and its last output was parsed. */
  readonly exit: ExitPayload | undefined;
}

interface Feed {
  readonly memberId: string;
  readonly feed: MemberFeed;
  /** Its start (join or resync) waits for a snapshot or for its turn. */
  starting: boolean;
  /** The curtain is down and this member is not behind it: it gets nothing until the curtain lifts. */
  held: boolean;
  /**
   * An in-process feed (the recorder), not a socket: the room hands it the live stream itself (deliverLive)
   * while `localLive`; it is never behind the curtain and never in the member list.
   */
  readonly local: boolean;
  /** A local feed is in the live stream (what socket.io's live channel membership is for a socket). */
  localLive: boolean;
}

/** A member waiting for its turn to start, with the snapshot that was taken for it if there is one. */
interface QueuedStart {
  entry: Feed;
  resumeFrom: number | undefined;
  snapshot?: SnapshotPayload;
}

export class FanOut extends Disposable {
  private readonly feeds = new Map<string, Feed>();
  /** The local feeds among them: deliverLive runs for every chunk, and need not walk the members. */
  private readonly locals = new Set<Feed>();
  private readonly startQueue: QueuedStart[] = [];
  private startTurn: IDisposable | undefined;
  /** Members whose start waits for the snapshot being taken (one request serves them all). */
  private awaitingSnapshot: Feed[] = [];
  private snapshotRequested = false;
  /** The last snapshot taken, reused for joiners that come soon after (see SnapshotReuse). */
  private cached: SnapshotPayload | undefined;
  /** Runs while some member is cut off, to give it a fresh snapshot once it has drained. */
  private drainTimer: IDisposable | undefined;
  /** While the curtain is down, who still receives the stream; undefined while it is up. */
  private curtainAudience: ((memberId: string) => boolean) | undefined;
  /**
   * Where the last curtain was lifted. Output before it may have been hidden, so a member starts from a
   * snapshot or a resume point at or after it, never by replaying the history across it.
   */
  private veiledUntil = 0;

  constructor(
    private readonly source: StreamSource,
    private readonly clock: Clock,
    /** --resume-buffer: how far back a reconnecting member may resume instead of getting a snapshot. */
    private readonly resumeWindowUnits: number,
    /** A member's state (MemberState) changed: the room tells everyone in its member list. */
    private readonly stateChanged: () => void = () => {},
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
    this.addEntry(memberId, port, acks, resumeFrom, false);
  }

  /**
   * Adds a local feed: an in-process port that sees exactly what a member in front of the curtain sees (its
   * start, then the live events the room hands to deliverLive), with no acks and no queue. `id` must not be a
   * member's.
   */
  addLocal(id: string, port: MemberPort, resumeFrom: number | undefined): void {
    this.addEntry(id, port, false, resumeFrom, true);
  }

  /** A live event the room broadcast to its sockets: local feeds in the live stream get it too, in the same order. */
  deliverLive<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void {
    for (const entry of this.locals) {
      if (entry.localLive && !entry.held) entry.feed.port.send(event, ...args);
    }
  }

  private addEntry(memberId: string, port: MemberPort, acks: boolean, resumeFrom: number | undefined, local: boolean): void {
    let entry: Feed | undefined;
    // A local feed's liveness is kept here (there is no socket.io channel to join) and it has no queue: it
    // takes each event as it is sent, so it is never cut off.
    const connection: MemberPort = !local ? port : {
      send: <E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>) => port.send(event, ...args),
      setLive: (live) => {
        entry!.localLive = live;
        port.setLive(live);
      },
      setPresent: (present) => port.setPresent(present),
      backlog: () => 0,
      close: () => port.close(),
    };
    entry = { memberId, feed: new MemberFeed(connection, acks), starting: true, held: false, local, localLive: false };
    this.feeds.set(memberId, entry);
    if (local) this.locals.add(entry);
    if (this.curtainAudience && !this.sees(entry, this.curtainAudience)) {
      entry.held = true;
      // As exited() tells those held already: that the program ended, and no final screen.
      if (this.source.exit) port.send('term:exit', this.source.exit);
    } else {
      this.queueStart(entry, resumeFrom);
    }
  }

  /** Whether a feed sees the stream while the curtain is down: never a local one (a recording holds nothing of it). */
  private sees(entry: Feed, audience: (memberId: string) => boolean): boolean {
    return !entry.local && audience(entry.memberId);
  }

  /** How a member's stream is doing, for the member list; undefined for one not in the fan-out. */
  stateOf(memberId: string): MemberState | undefined {
    const entry = this.feeds.get(memberId);
    if (!entry) return undefined;
    if (entry.held) return 'curtained';
    if (entry.starting) return 'joining';
    return entry.feed.state === 'behind' ? 'behind' : 'live';
  }

  get curtainDown(): boolean {
    return this.curtainAudience !== undefined;
  }

  /**
   * Lowers the curtain (or changes who is behind it): every member for whom `audience` says false leaves the
   * live stream at once and gets nothing more, not even a start, until the curtain lifts. Everything sent so
   * far was sent before the curtain; nothing after it reaches them.
   */
  lowerCurtain(audience: (memberId: string) => boolean): void {
    this.curtainAudience = audience;
    this.reviewCurtain();
  }

  /**
   * Applies the curtain to members whose standing changed while it is down: one that left the audience is
   * held at once; one that joined it starts again from a fresh snapshot.
   */
  reviewCurtain(): void {
    const audience = this.curtainAudience;
    if (!audience) return;
    let changed = false;
    for (const entry of this.feeds.values()) {
      const sees = this.sees(entry, audience);
      if (!sees && !entry.held) {
        entry.feed.port.setLive(false);
        entry.held = true;
        changed = true;
      } else if (sees && entry.held) {
        entry.held = false;
        this.queueStart(entry, undefined);
        changed = true;
      }
    }
    if (changed) this.stateChanged();
  }

  /**
   * Lifts the curtain at the current end of the stream: held members start again from a snapshot taken at or
   * after this point (whatever the screen shows then), never from the history across the curtain.
   */
  liftCurtain(): void {
    if (!this.curtainAudience) return;
    this.curtainAudience = undefined;
    this.veiledUntil = this.source.end;
    for (const entry of this.feeds.values()) {
      if (!entry.held) continue;
      entry.held = false;
      this.queueStart(entry, undefined);
    }
    this.stateChanged();
  }

  remove(memberId: string): void {
    const entry = this.feeds.get(memberId);
    if (!entry) return;
    this.feeds.delete(memberId);
    this.locals.delete(entry);
    entry.feed.port.setLive(false);
  }

  /** A member's terminal has parsed everything before `offset`; may end its catching up. */
  ack(memberId: string, offset: number): void {
    const entry = this.feeds.get(memberId);
    if (!entry) return;
    entry.feed.ack(offset, this.source.end);
    if (entry.feed.drained() && !entry.starting && !entry.held) this.restart(entry);
  }

  /** A chunk was broadcast (the stream now ends at `source.end`): cut off whoever fell too far behind. */
  broadcast(): void {
    const end = this.source.end;
    for (const { feed, held } of this.feeds.values()) {
      if (held || !feed.overBudget(end)) continue;
      // tmux's discard-and-redraw: out of the live broadcast (nothing more queues up), told it is behind,
      // and given a fresh snapshot once it has drained.
      feed.port.setLive(false);
      feed.cutOff(end);
      feed.port.send('term:behind', { offset: end });
      this.drainTimer ??= this.clock.setTimer(MemberFlowControl.DrainCheckMs, () => this.resyncDrained());
      this.stateChanged();
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
    for (const entry of this.feeds.values()) {
      const { feed } = entry;
      // A held member hears that the program ended, and no final screen: it may show what is behind the curtain.
      if (entry.held) {
        feed.port.send('term:exit', payload);
        continue;
      }
      if (feed.state !== 'live') continue;
      feed.port.setLive(false);
      feed.port.send('term:exit', payload);
    }
  }

  /** Snapshots the mirror was asked for (the expensive path; tests count them). */
  snapshotRequests = 0;

  /** A fresh snapshot from the mirror (after the last curtain, if there was one), kept for the joiners after it. */
  async takeSnapshot(): Promise<SnapshotPayload> {
    this.snapshotRequests += 1;
    const snapshot = await this.source.snapshot(this.veiledUntil);
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
      // Left (or was removed) before its turn: nothing to send. Held by the curtain: it starts when it lifts.
      // Already started (queued twice, say held and let go again before its turn): once is enough.
      if (this.feeds.get(entry.memberId) !== entry || entry.held || !entry.starting) continue;
      if (this.startStream(entry, resumeFrom, snapshot)) started++;
    }
    if (this.startQueue.length > 0) this.startTurn = this.clock.defer(() => this.startQueued());
  }

  /** A member that was cut off and has drained starts again from a fresh snapshot. */
  private restart(entry: Feed): void {
    entry.starting = true;
    this.startStream(entry, undefined);
    this.stateChanged();
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
    // The history may hold more than --resume-buffer; resuming honours the configured window. Nobody resumes
    // across a curtain: what it hid is in the history.
    const resumable = resumeFrom !== undefined && resumeFrom >= this.veiledUntil
      && this.source.end - resumeFrom <= this.resumeWindowUnits;
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
    this.stateChanged();
    return true;
  }

  /**
   * A snapshot and the events after it that bring it to the current end: the one taken for this member, or
   * the cached one while close enough; undefined when a new one must be taken.
   */
  private joinPoint(taken: SnapshotPayload | undefined): { snapshot: SnapshotPayload; since: StreamEvent[] } | undefined {
    for (const snapshot of [taken, this.cached]) {
      // A snapshot from before the last curtain lifted may show, or be caught up through, what it hid.
      if (!snapshot || snapshot.offset < this.veiledUntil) continue;
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
      // One held by the curtain meanwhile starts when it lifts, from a snapshot taken then.
      for (const waiting of this.awaitingSnapshot.splice(0)) {
        if (this.feeds.get(waiting.memberId) === waiting && !waiting.held) this.queueStart(waiting, undefined, snapshot);
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
      if (entry.starting || entry.held) continue;
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
