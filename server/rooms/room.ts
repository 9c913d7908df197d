// Room: one PTY, its mirror and its members; the ordered output stream, roles and size policy.

import type { ExitPayload, ExitReason, MemberInfo, NoticePayload, Role, RoomSummary, SnapshotPayload } from '../protocol/events.js';
import { roleAtLeast } from '../protocol/events.js';
import { OutputBatcher } from '../terminal/outputBatcher.js';
import { PtySession, type PtySpawnOptions } from '../terminal/ptySession.js';
import type { ProcessIdentity } from '../terminal/processTree.js';
import type { MirrorHost, RoomMirror } from '../terminal/mirrorHost.js';
import type { ScreenDump } from '../terminal/screenDump.js';
import { Disposable, toDisposable } from '../util/disposable.js';
import { Emitter, type Event } from '../util/emitter.js';
import { RoomAccess, type AccessPolicy, type Admission, type Rederived } from './access.js';
import type { MemberPort, RoomTransport } from './ports.js';
import { MemberFeed, MemberFlowControl } from './memberFeed.js';
import { RoomTimeouts, type RoomTimeoutOptions, type TimeoutReason } from './roomTimeouts.js';
import { StreamHistory, type StreamEvent } from './streamHistory.js';

export const MirrorFlowControl = {
  /**
   * Pause reading the PTY when the mirror has this many unparsed code units (xterm.js flow-control
   * guide): the child then blocks on write, so a flood cannot outrun the one parser that matters.
   */
  HighWater: 1024 * 1024,
  /** Resume once the mirror is back under this, leaving it enough queued work to stay busy. */
  LowWater: 256 * 1024,
  /**
   * Members get output as soon as it is read, ahead of the mirror's parse (in a worker thread). A joiner's
   * snapshot is taken at the parsed offset and brought forward from the history, and a mirror whose worker
   * died is rebuilt from its last checkpoint plus the history, so the history must always hold what the
   * mirror may still owe and the newest checkpoint: this many units at least, whatever --resume-buffer says
   * (HighWater, one batch past it, the flood checkpoint interval, slack).
   */
  MinHistoryUnits: 2 * 1024 * 1024,
} as const;

export const JoinPacing = {
  /**
   * Joiners' streams start one per event-loop turn: each start sends a snapshot of up to a few MB, and a
   * burst of them sent back to back would hold up every room's echo for the whole burst. In between,
   * sockets and other rooms get the thread.
   */
  StartsPerTurn: 1,
} as const;

export const MemberListPacing = {
  /**
   * The member list goes to every member on each change, so a class of N arriving at once would cost N
   * lists of N entries to N members. The first change is sent at once; further changes within this many
   * ms are sent together, once, with the list as it then is.
   */
  CoalesceMs: 100,
} as const;

export const SnapshotReuse = {
  /**
   * A joiner may get the cached snapshot plus the output since, instead of a new serialize, while that
   * output is at most this many code units: a burst of joiners during a flood then costs one or two
   * serializes, and the replay stays well inside a member's flow-control budget.
   */
  MaxCatchUpUnits: MemberFlowControl.BudgetUnits / 2,
} as const;

export interface Profile {
  name: string;
  file: string;
  args: string[];
}

export interface RoomOptions {
  id: string;
  name: string;
  profile: Profile;
  cols: number;
  rows: number;
  scrollback: number;
  cwd: string;
  env: Record<string, string>;
  ownerToken: string;
  writeToken: string;
  /** Default: a public room with no owner user. */
  access?: AccessPolicy;
  /** The user id or address of the creator, recorded as the first tokens' minter. */
  createdBy?: string;
  transport: RoomTransport;
  killGraceMs: number;
  /** Output kept for members that reconnect with `resumeFrom`, in code units. */
  resumeBufferUnits: number;
  /** Idle limit and lifetime; the room's owner closes it when `onTimeout` fires. */
  timeouts: RoomTimeoutOptions;
  /** Where the room's mirror (its headless xterm) runs. */
  mirrors: MirrorHost;
  now?: () => Date;
}

interface Member {
  readonly id: string;
  readonly name: string;
  role: Role;
  readonly feed: MemberFeed;
  /** Its stream start (join or resync) waits for a snapshot from the mirror or for its turn. */
  starting: boolean;
}

/** A joiner waiting for its turn to start, with the snapshot that was taken for it if there is one. */
interface QueuedStart {
  member: Member;
  resumeFrom: number | undefined;
  snapshot?: SnapshotPayload;
}

export interface JoinOptions extends Admission {
  name: string | undefined;
  /** The member paces the room with `term:ack` (browsers do: their socket reads faster than xterm parses). */
  acks?: boolean;
  /** The member already has the stream up to here (a reconnect): send only what it missed, if still held. */
  resumeFrom?: number;
}

export type InputResult = 'ok' | 'forbidden' | 'gone' | 'full';

/** Who asked for a resize, for the audit record: a member id and a network address, nothing more. */
export interface ResizeRequester {
  actor?: string;
  address?: string;
}

export interface RoomResize extends ResizeRequester {
  cols: number;
  rows: number;
}

/** 'no-member': no such member (left meanwhile); 'is-owner': an owner's role is not the owner's to take. */
export type RoleChangeResult = 'ok' | 'unchanged' | 'forbidden' | 'no-member' | 'is-owner';

const REVOKED_MESSAGE = 'your access to this room was revoked or has expired';

export class Room extends Disposable {
  readonly id: string;
  readonly name: string;
  readonly profile: Profile;
  readonly createdAt: Date;

  private readonly pty: PtySession;
  private readonly mirror: RoomMirror;
  private readonly batcher: OutputBatcher;
  private readonly transport: RoomTransport;
  /** Tokens, standing, admission and member ids; re-derives members' roles when a token goes. */
  readonly access: RoomAccess;
  private readonly killGraceMs: number;
  private readonly members = new Map<string, Member>();
  private readonly history: StreamHistory;
  /** --resume-buffer: how far back a reconnecting member may resume instead of getting a snapshot. */
  private readonly resumeWindowUnits: number;
  /** The last snapshot taken, reused for joiners that come soon after (see SnapshotReuse). */
  private cachedSnapshot: SnapshotPayload | undefined;
  /** End of the stream sent to members: the offset the next chunk starts at (the mirror may not have parsed up to it yet). */
  private broadcastEnd = 0;
  /** Joined members whose stream has not started yet, in join order (see JoinPacing). */
  private readonly startQueue: QueuedStart[] = [];
  private startScheduled = false;
  /** Members whose start waits for the snapshot being taken (one request serves them all). */
  private awaitingSnapshot: Member[] = [];
  private snapshotRequested = false;
  /** Snapshots asked of the mirror (the expensive path: tests count them). */
  private snapshotRequests = 0;
  /** Open while member-list changes are being gathered (MemberListPacing); `membersChanged` says one came in. */
  private membersWindow: NodeJS.Timeout | undefined;
  private membersChanged = false;
  /** Runs while some member is cut off, to give it a fresh snapshot once it has drained. */
  private drainTimer: NodeJS.Timeout | undefined;
  private exitInfo: ExitPayload | undefined;
  private endReason: ExitReason = 'exited';

  private readonly exitEmitter = this.register(new Emitter<ExitPayload>());
  /** Fires once, after the last output is parsed and every member was told. */
  readonly onExit = this.exitEmitter.event;
  private readonly timeouts: RoomTimeouts;
  /** The idle limit or the lifetime was reached: whoever owns the room should close it with that reason. */
  readonly onTimeout: Event<TimeoutReason>;
  private readonly joinEmitter = this.register(new Emitter<{ memberId: string; role: Role }>());
  /** Fires when a member was admitted; its stream (snapshot or resume) starts on a later turn (JoinPacing). */
  readonly onJoin = this.joinEmitter.event;
  private readonly processesEndedEmitter = this.register(new Emitter<void>());
  /** Fires once, after onExit's process exit, when no process of the room's session is left. */
  readonly onProcessesEnded = this.processesEndedEmitter.event;
  private readonly resizeEmitter = this.register(new Emitter<RoomResize>());
  /** The PTY's size changed (a resize to the size it already has is not a change). */
  readonly onResize = this.resizeEmitter.event;

  constructor(options: RoomOptions) {
    super();
    this.id = options.id;
    this.name = options.name;
    this.profile = options.profile;
    this.createdAt = (options.now ?? (() => new Date()))();
    this.transport = options.transport;
    this.access = this.register(new RoomAccess({
      policy: options.access,
      clock: options.timeouts.clock,
      ownerToken: options.ownerToken,
      writeToken: options.writeToken,
      createdBy: options.createdBy,
    }));
    this.register(this.access.onRederived((verdicts) => this.applyRederived(verdicts)));
    this.killGraceMs = options.killGraceMs;
    this.resumeWindowUnits = options.resumeBufferUnits;
    const history = new StreamHistory(Math.max(options.resumeBufferUnits, MirrorFlowControl.MinHistoryUnits));
    this.history = history;
    this.register(toDisposable(() => clearInterval(this.drainTimer)));
    this.register(toDisposable(() => clearTimeout(this.membersWindow)));

    this.mirror = this.register(options.mirrors.open({
      cols: options.cols,
      rows: options.rows,
      scrollback: options.scrollback,
      history: {
        get start() {
          return history.start;
        },
        since: (offset) => history.since(offset)?.map((event) => (event.kind === 'output'
          ? { kind: 'output' as const, data: event.payload.data }
          : { kind: 'resize' as const, cols: event.payload.cols, rows: event.payload.rows })),
      },
    }));
    this.batcher = this.register(new OutputBatcher((data) => this.emitOutput(data)));
    const spawn: PtySpawnOptions = {
      file: options.profile.file,
      args: options.profile.args,
      cols: options.cols,
      rows: options.rows,
      cwd: options.cwd,
      env: options.env,
      killGraceMs: options.killGraceMs,
    };
    this.pty = this.register(new PtySession(spawn));
    this.register(this.pty.onData((data) => this.batcher.push(data)));
    this.register(this.pty.onExit((exit) => this.handlePtyExit(exit)));
    this.register(this.pty.onTreeEnded(() => this.processesEndedEmitter.fire()));
    this.register(this.mirror.onReply((reply) => this.pty.write(reply)));
    this.register(this.mirror.onParseError((error) => {
      process.stderr.write(`ttyroom: room ${this.id}: the terminal parser failed on this room's output and skipped the rest of a chunk: ${error}\n`);
    }));
    this.register(this.mirror.onProgress(() => {
      if (this.mirror.backlog < MirrorFlowControl.LowWater) this.pty.resume();
    }));
    this.register(this.mirror.onCheckpoint((snapshot) => this.offerSnapshot(snapshot)));
    this.register(this.mirror.onRebuilt(({ exact }) => {
      process.stderr.write(`ttyroom: room ${this.id}: its mirror was rebuilt after its worker stopped${exact ? '' : ' (older scrollback was lost)'}\n`);
      this.notifyMembers({ code: 'mirror-restarted', message: 'The server rebuilt this room\'s screen after an internal failure.' });
    }));
    // Started last: if spawning failed above, no timer was set that nobody would dispose.
    this.timeouts = this.register(new RoomTimeouts(options.timeouts));
    this.onTimeout = this.timeouts.onExpired;
    this.register(this.timeouts.onNotice((notice) => this.notifyMembers(notice)));
  }

  get cols(): number {
    return this.mirror.cols;
  }

  get rows(): number {
    return this.mirror.rows;
  }

  get exited(): ExitPayload | undefined {
    return this.exitInfo;
  }

  get memberCount(): number {
    return this.members.size;
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** The shell's pid and start time, so a crash record names it and not a later process with its pid. */
  get processIdentity(): ProcessIdentity | undefined {
    return this.pty.identity;
  }

  /**
   * The owner hands out (writer) or takes back (viewer) the keyboard of a member for as long as it stays
   * connected. Owners keep their role; a member whose token is later revoked loses what was handed out.
   */
  setMemberRole(actorId: string, targetId: string, role: 'viewer' | 'writer'): RoleChangeResult {
    const actor = this.members.get(actorId);
    if (!actor || actor.role !== 'owner') return 'forbidden';
    const target = this.members.get(targetId);
    if (!target) return 'no-member';
    if (target.role === 'owner') return 'is-owner';
    if (target.role === role) return 'unchanged';
    this.changeRole(target, role);
    this.broadcastMembers();
    return 'ok';
  }

  /**
   * Adds a member and starts its stream: the missed chunks when it resumes from an offset still held,
   * otherwise a snapshot; then the live stream from exactly there. (Exactness: see startStream.)
   */
  join(identity: JoinOptions, port: MemberPort): { memberId: string } {
    const id = this.access.enter(identity);
    const feed = new MemberFeed(port, identity.acks === true);
    const member: Member = { id, name: identity.name ?? `guest-${id.slice(0, 4)}`, role: identity.role, feed, starting: true };
    this.members.set(id, member);
    this.queueStart(member, identity.resumeFrom);
    for (const notice of this.timeouts.activeNotices()) port.send('room:notice', notice);
    this.broadcastMembers();
    this.joinEmitter.fire({ memberId: id, role: identity.role });
    return { memberId: id };
  }

  leave(memberId: string): void {
    const member = this.members.get(memberId);
    if (!member) return;
    this.members.delete(memberId);
    this.access.leave(memberId);
    member.feed.port.setLive(false);
    this.broadcastMembers();
  }

  /** A member's terminal has parsed everything before `offset`; may end its catching up. */
  ack(memberId: string, offset: number): void {
    const member = this.members.get(memberId);
    if (!member) return;
    member.feed.ack(offset, this.broadcastEnd);
    if (member.feed.drained() && !member.starting) this.restart(member);
  }

  roleOf(memberId: string): Role | undefined {
    return this.members.get(memberId)?.role;
  }

  /** Keystrokes from a member. The role is checked here too, so no caller can skip it. */
  input(memberId: string, data: string): InputResult {
    const member = this.members.get(memberId);
    if (!member) return 'gone';
    if (!roleAtLeast(member.role, 'writer')) return 'forbidden';
    if (this.exitInfo) return 'gone';
    this.timeouts.noteWriterInput();
    return this.pty.write(data);
  }

  /** Input bytes accepted for the program and not yet read by the terminal (bounded; see PtyInput). */
  get pendingInput(): number {
    return this.pty.pendingInput;
  }

  /**
   * Changes the PTY size now and the mirror's at the current end of the stream; members get the
   * resize as a stream event at that offset, so everyone reflows at the same point.
   */
  resize(cols: number, rows: number, requester: ResizeRequester = {}): void {
    if (this.exitInfo || this.isDisposed) return;
    if (cols === this.pty.cols && rows === this.pty.rows) return;
    this.pty.resize(cols, rows);
    this.resizeEmitter.fire({ cols, rows, actor: requester.actor, address: requester.address });
    this.batcher.flush();
    // Members reflow here, after everything sent so far; the mirror does once it has parsed up to here.
    const payload = { offset: this.broadcastEnd, cols, rows };
    this.history.pushResize(payload);
    this.transport.live.send('term:resize', payload);
    this.mirror.resize(cols, rows);
  }

  /**
   * The screen (with scrollback) as of about now, for the REST screen endpoint: the joiners' cached one if
   * nothing was broadcast since, else a fresh one from the mirror (at its parsed offset).
   */
  async snapshot(): Promise<SnapshotPayload> {
    const cached = this.cachedSnapshot;
    if (cached?.offset === this.broadcastEnd && cached.cols === this.cols && cached.rows === this.rows) return cached;
    return this.takeSnapshot();
  }

  /** End of the stream broadcast so far: the offset the next chunk starts at. */
  get streamOffset(): number {
    return this.broadcastEnd;
  }

  /** Resolves once the mirror has parsed everything broadcast so far (for tests that compare screens). */
  async mirrorCaughtUp(): Promise<void> {
    await this.mirror.flushed();
  }

  /** How many snapshots this room asked its mirror for (the expensive path; checkpoints are not counted). */
  get serializations(): number {
    return this.snapshotRequests;
  }

  /** The visible screen as text, as far as the mirror has parsed. */
  async screenText(): Promise<string> {
    return (await this.mirror.screenText()).join('\n');
  }

  /** Every cell of the mirror once it has parsed everything broadcast so far (tests compare screens with it). */
  async mirrorScreen(): Promise<ScreenDump> {
    await this.mirror.flushed();
    return this.mirror.dump();
  }

  /** The mirror's place in the host, for tests that kill its worker. */
  get mirrorHandle(): RoomMirror {
    return this.mirror;
  }

  summary(): RoomSummary {
    return {
      id: this.id,
      name: this.name,
      profile: this.profile.name,
      createdAt: this.createdAt.toISOString(),
      members: this.members.size,
      cols: this.cols,
      rows: this.rows,
      exited: this.exitInfo !== undefined,
    };
  }

  /**
   * Ends the process tree (SIGHUP, then SIGKILL after `graceMs`); members get `term:exit` with `reason`.
   * Resolves once the shell exited, members were told, and nothing of its session is left. On a room
   * whose shell already exited it ends what the shell left behind; called again, it can only shorten the grace.
   */
  async close(reason: ExitReason, graceMs: number = this.killGraceMs): Promise<void> {
    if (this.isDisposed) return;
    if (this.exitInfo) return this.pty.terminate(graceMs);
    // The first close names the reason; a later one (say, shutdown during a close) only hurries it.
    if (this.endReason === 'exited') this.endReason = reason;
    // Resolves once members were told, which is after the process exited and its last output was parsed.
    const told = new Promise<void>((resolve) => {
      const subscription = this.onExit(() => {
        subscription.dispose();
        resolve();
      });
    });
    await this.pty.terminate(graceMs);
    await told;
  }

  private queueStart(member: Member, resumeFrom: number | undefined, snapshot?: SnapshotPayload): void {
    member.starting = true;
    this.startQueue.push(snapshot ? { member, resumeFrom, snapshot } : { member, resumeFrom });
    if (this.startScheduled) return;
    this.startScheduled = true;
    setImmediate(() => this.startQueued());
  }

  private startQueued(): void {
    this.startScheduled = false;
    if (this.isDisposed) return;
    for (let started = 0; started < JoinPacing.StartsPerTurn && this.startQueue.length > 0;) {
      const { member, resumeFrom, snapshot } = this.startQueue.shift()!;
      // Left (or was removed) before its turn: nothing to send.
      if (this.members.get(member.id) !== member) continue;
      if (this.startStream(member, resumeFrom, snapshot)) started++;
    }
    if (this.startQueue.length > 0) {
      this.startScheduled = true;
      setImmediate(() => this.startQueued());
    }
  }

  /** A member that was cut off and has drained starts again from a fresh snapshot. */
  private restart(member: Member): void {
    member.starting = true;
    this.startStream(member, undefined);
  }

  /**
   * Sends a member its stream from `resumeFrom` when that is still held, else from a snapshot, then the
   * exit or the live stream. Also how a member that was cut off comes back. Without a snapshot that the
   * history can bring to the current offset, it waits for one from the mirror (and returns false: nothing
   * was sent yet).
   */
  private startStream(member: Member, resumeFrom: number | undefined, taken?: SnapshotPayload): boolean {
    const { feed } = member;
    // The history may hold more than --resume-buffer (MinHistoryUnits); resuming honours the configured window.
    const resumable = resumeFrom !== undefined && this.broadcastEnd - resumeFrom <= this.resumeWindowUnits;
    const missed = resumable ? this.history.since(resumeFrom) : undefined;
    if (missed !== undefined) {
      feed.startedAt(resumeFrom!);
      this.replay(feed, missed);
    } else {
      const point = this.joinPoint(taken);
      if (!point) {
        this.awaitSnapshot(member);
        return false;
      }
      feed.startedAt(point.snapshot.offset);
      feed.port.send('term:snapshot', point.snapshot);
      this.replay(feed, point.since);
    }
    member.starting = false;
    if (this.exitInfo) {
      feed.port.send('term:exit', this.exitInfo);
    } else {
      feed.port.setLive(true);
    }
    return true;
  }

  private replay(feed: MemberFeed, events: StreamEvent[]): void {
    for (const event of events) {
      if (event.kind === 'output') feed.port.send('term:output', event.payload);
      else feed.port.send('term:resize', event.payload);
    }
  }

  /**
   * A snapshot and the events after it that bring it to the current offset: the one taken for this member,
   * or the cached one while close enough; undefined when a new one must be taken.
   */
  private joinPoint(taken: SnapshotPayload | undefined): { snapshot: SnapshotPayload; since: StreamEvent[] } | undefined {
    if (taken) {
      const since = this.history.since(taken.offset);
      if (since !== undefined) return { snapshot: taken, since };
    }
    const cached = this.cachedSnapshot;
    if (cached && this.broadcastEnd - cached.offset <= SnapshotReuse.MaxCatchUpUnits) {
      const since = this.history.since(cached.offset);
      if (since !== undefined) return { snapshot: cached, since };
    }
    return undefined;
  }

  /** Queues a member for the snapshot being taken, asking the mirror for one if none is on its way. */
  private awaitSnapshot(member: Member): void {
    this.awaitingSnapshot.push(member);
    if (this.snapshotRequested) return;
    this.snapshotRequested = true;
    this.takeSnapshot().then((snapshot) => {
      this.snapshotRequested = false;
      // Each waiter starts on its own turn (JoinPacing), from this snapshot, whatever has been broadcast meanwhile.
      for (const waiting of this.awaitingSnapshot.splice(0)) {
        if (this.members.get(waiting.id) === waiting) this.queueStart(waiting, undefined, snapshot);
      }
    }, (error: unknown) => {
      this.snapshotRequested = false;
      if (this.isDisposed) return;
      // Only a closed mirror rejects, and it closes with the room; anything else is a bug worth a line.
      process.stderr.write(`ttyroom: room ${this.id}: a snapshot for joining members failed: ${String(error)}\n`);
    });
  }

  private async takeSnapshot(): Promise<SnapshotPayload> {
    this.snapshotRequests += 1;
    const snapshot = await this.mirror.snapshot();
    this.offerSnapshot(snapshot);
    return snapshot;
  }

  /** Keeps the newest snapshot for joiners that come soon after (see SnapshotReuse). */
  private offerSnapshot(snapshot: SnapshotPayload): void {
    if (!this.cachedSnapshot || snapshot.offset >= this.cachedSnapshot.offset) this.cachedSnapshot = snapshot;
  }

  private emitOutput(data: string): void {
    const payload = { offset: this.broadcastEnd, data };
    this.broadcastEnd += data.length;
    this.history.pushOutput(payload);
    this.transport.live.send('term:output', payload);
    this.cutOffLaggards(this.broadcastEnd);
    if (this.cachedSnapshot && this.broadcastEnd - this.cachedSnapshot.offset > SnapshotReuse.MaxCatchUpUnits) {
      // Too old to reuse; let the memory go now rather than at the next join.
      this.cachedSnapshot = undefined;
    }
    this.mirror.write(data);
    if (this.mirror.backlog > MirrorFlowControl.HighWater) this.pty.pause();
  }

  /**
   * tmux's discard-and-redraw: a member over its budget leaves the live broadcast (so nothing more
   * queues up for it) and is told it is behind; once it has drained it gets a fresh snapshot.
   */
  private cutOffLaggards(streamEnd: number): void {
    for (const { feed } of this.members.values()) {
      if (!feed.overBudget(streamEnd)) continue;
      feed.port.setLive(false);
      feed.cutOff(streamEnd);
      feed.port.send('term:behind', { offset: streamEnd });
      this.drainTimer ??= setInterval(() => this.resyncDrained(), MemberFlowControl.DrainCheckMs);
    }
  }

  private resyncDrained(): void {
    let stillBehind = false;
    for (const member of this.members.values()) {
      if (member.starting) continue;
      if (member.feed.drained()) this.restart(member);
      else if (member.feed.state === 'behind') stillBehind = true;
    }
    if (!stillBehind) {
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
    }
  }

  private handlePtyExit(exit: { exitCode: number; signal?: string }): void {
    // An exited room has nothing left to close; it only waits to expire.
    this.timeouts.dispose();
    this.batcher.flush();
    // Report the exit only once the last output is parsed, so a late snapshot is the final screen.
    const report = (): void => {
      if (this.exitInfo || this.isDisposed) return;
      const payload: ExitPayload = { exitCode: exit.exitCode, reason: this.endReason };
      if (exit.signal) payload.signal = exit.signal;
      this.exitInfo = payload;
      for (const { feed } of this.members.values()) {
        // A member that is behind gets the final screen and then the exit once it has drained; one still
        // starting gets them when its turn comes.
        if (feed.state !== 'live') continue;
        feed.port.setLive(false);
        feed.port.send('term:exit', payload);
      }
      this.exitEmitter.fire(payload);
    };
    // A closed mirror (the room is being disposed) has no final screen to wait for.
    this.mirror.flushed().then(report, report);
  }

  /** A token was revoked or expired: access decided what each member that came in with it keeps; tell them. */
  private applyRederived(verdicts: Rederived[]): void {
    for (const { memberId, role } of verdicts) {
      const member = this.members.get(memberId);
      if (!member) continue;
      if (role === 'remove') {
        this.members.delete(member.id);
        member.feed.port.setLive(false);
        member.feed.port.send('room:error', { code: 'revoked', message: REVOKED_MESSAGE });
        member.feed.port.close();
      } else {
        this.changeRole(member, role);
      }
    }
    this.broadcastMembers();
  }

  private changeRole(member: Member, role: Role): void {
    if (member.role === role) return;
    member.role = role;
    member.feed.port.send('room:role', { role });
  }

  private notifyMembers(notice: NoticePayload): void {
    this.transport.everyone.send('room:notice', notice);
  }

  private broadcastMembers(): void {
    if (this.membersWindow !== undefined) {
      this.membersChanged = true;
      return;
    }
    const list: MemberInfo[] = [...this.members.values()].map(({ id, name, role }) => ({ id, name, role }));
    this.transport.everyone.send('room:members', list);
    this.membersWindow = setTimeout(() => {
      this.membersWindow = undefined;
      if (!this.membersChanged || this.isDisposed) return;
      this.membersChanged = false;
      this.broadcastMembers();
    }, MemberListPacing.CoalesceMs);
  }
}
