// Room: one PTY, its mirror and its members; the ordered output stream, roles and size policy.

import type { ExitPayload, ExitReason, MemberInfo, NoticePayload, Role, RoomSummary, SnapshotPayload } from '../shared/events.js';
import { roleAtLeast } from '../shared/events.js';
import { MemberListPacing, MirrorFlowControl } from '../shared/flowControl.js';
import { OutputBatcher } from '../terminal/outputBatcher.js';
import { PtySession, type PtySpawnOptions } from '../terminal/ptySession.js';
import type { ProcessIdentity } from '../terminal/processTree.js';
import type { MirrorHost, RoomMirror } from '../terminal/mirrorHost.js';
import type { ScreenDump } from '../terminal/screenDump.js';
import type { Clock } from '../util/clock.js';
import { Coalescer } from '../util/coalescer.js';
import { Disposable } from '../shared/disposable.js';
import { Emitter, type Event } from '../shared/emitter.js';
import { RoomAccess, type AccessPolicy, type Admission, type Rederived } from './access.js';
import type { MemberPort, RoomTransport } from './ports.js';
import { FanOut } from './fanOut.js';
import { RoomTimeouts, type RoomTimeoutOptions, type TimeoutReason } from './roomTimeouts.js';
import { StreamHistory } from './streamHistory.js';

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
  /** Direct messages to this member (its role, a revocation); the stream goes through the FanOut. */
  readonly port: MemberPort;
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
  /** Starts, pacing, the cached snapshot, cut-offs and resyncs: how the stream reaches members. */
  private readonly fanOut: FanOut;
  /** The member list is sent once per burst of changes (MemberListPacing). */
  private readonly memberList: Coalescer;
  /** End of the stream sent to members: the offset the next chunk starts at (the mirror may not have parsed up to it yet). */
  private broadcastEnd = 0;
  private exitInfo: ExitPayload | undefined;
  private endReason: ExitReason = 'exited';

  private readonly exitEmitter = this.register(new Emitter<ExitPayload>());
  /** Fires once, after the last output is parsed and every member was told. */
  readonly onExit = this.exitEmitter.event;
  private readonly timeouts: RoomTimeouts;
  /** The idle limit or the lifetime was reached: whoever owns the room should close it with that reason. */
  readonly onTimeout: Event<TimeoutReason>;
  private readonly joinEmitter = this.register(new Emitter<{ memberId: string; role: Role }>());
  /** Fires when a member was admitted; its stream (snapshot or resume) starts on a later turn (JoinPacing in fanOut.ts). */
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
    const history = new StreamHistory(Math.max(options.resumeBufferUnits, MirrorFlowControl.MinHistoryUnits));
    this.history = history;
    const clock: Clock = options.timeouts.clock;
    this.memberList = this.register(new Coalescer(clock, MemberListPacing.CoalesceMs, () => this.sendMemberList()));

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
    const room = this;
    this.fanOut = this.register(new FanOut({
      get end() {
        return room.broadcastEnd;
      },
      since: (offset) => history.since(offset),
      snapshot: () => this.mirror.snapshot(),
      get exit() {
        return room.exitInfo;
      },
    }, clock, options.resumeBufferUnits));
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
    this.register(this.mirror.onCheckpoint((snapshot) => this.fanOut.offerSnapshot(snapshot)));
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
   * otherwise a snapshot; then the live stream from exactly there (FanOut.startStream says why nothing is lost).
   */
  join(identity: JoinOptions, port: MemberPort): { memberId: string } {
    const id = this.access.enter(identity);
    const member: Member = { id, name: identity.name ?? `guest-${id.slice(0, 4)}`, role: identity.role, port };
    this.members.set(id, member);
    this.fanOut.add(id, port, identity.acks === true, identity.resumeFrom);
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
    this.fanOut.remove(memberId);
    this.broadcastMembers();
  }

  /** A member's terminal has parsed everything before `offset`; may end its catching up. */
  ack(memberId: string, offset: number): void {
    if (this.members.has(memberId)) this.fanOut.ack(memberId, offset);
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
    const cached = this.fanOut.cachedSnapshot;
    if (cached?.offset === this.broadcastEnd && cached.cols === this.cols && cached.rows === this.rows) return cached;
    return this.fanOut.takeSnapshot();
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
    return this.fanOut.snapshotRequests;
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

  private emitOutput(data: string): void {
    const payload = { offset: this.broadcastEnd, data };
    this.broadcastEnd += data.length;
    this.history.pushOutput(payload);
    this.transport.live.send('term:output', payload);
    this.fanOut.broadcast();
    this.mirror.write(data);
    if (this.mirror.backlog > MirrorFlowControl.HighWater) this.pty.pause();
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
      // A member that is behind gets the final screen and then the exit once it has drained; one still
      // starting gets them when its turn comes.
      this.fanOut.exited(payload);
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
        this.fanOut.remove(member.id);
        member.port.send('room:error', { code: 'revoked', message: REVOKED_MESSAGE });
        member.port.close();
      } else {
        this.changeRole(member, role);
      }
    }
    this.broadcastMembers();
  }

  private changeRole(member: Member, role: Role): void {
    if (member.role === role) return;
    member.role = role;
    member.port.send('room:role', { role });
  }

  private notifyMembers(notice: NoticePayload): void {
    this.transport.everyone.send('room:notice', notice);
  }

  private broadcastMembers(): void {
    this.memberList.notify();
  }

  private sendMemberList(): void {
    const list: MemberInfo[] = [...this.members.values()].map(({ id, name, role }) => ({ id, name, role }));
    this.transport.everyone.send('room:members', list);
  }
}
