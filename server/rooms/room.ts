// Room: one PTY, its mirror and its members; the ordered output stream, roles, the floor (hands, grants, driver),
// moderation (approval, kick, lock), the curtain, chat and the size policy.

import type {
  BookmarkPayload,
  CurtainRequest,
  ExitPayload,
  ExitReason,
  MemberInfo,
  NoticePayload,
  Role,
  RoomSettings,
  RoomSettingsPatch,
  RoomSummary,
  SnapshotPayload,
} from '../shared/events.js';
import { roleAtLeast } from '../shared/events.js';
import { TypingPacing } from '../shared/limits.js';
import { pickColour } from '../shared/palette.js';
import type { IDisposable } from '../shared/disposable.js';
import { MemberListPacing, MirrorFlowControl } from '../shared/flowControl.js';
import { OutputBatcher } from '../terminal/outputBatcher.js';
import type { SessionExit, SessionFactory, TerminalSession } from '../terminal/terminalSession.js';
import type { ProcessIdentity } from '../terminal/processTree.js';
import type { MirrorHost, RoomMirror } from '../terminal/mirrorHost.js';
import type { ScreenDump } from '../terminal/screenDump.js';
import type { Clock } from '../util/clock.js';
import { Coalescer } from '../util/coalescer.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter, type Event } from '../shared/emitter.js';
import { CapabilityStoreFullError } from '../auth/capabilityStore.js';
import { RoomAccess, type AccessPolicy, type Admission, type Rederived } from './access.js';
import type { MemberPort, RoomTransport } from './ports.js';
import { FanOut } from './fanOut.js';
import { RoomChat, type ChatResult } from './chat.js';
import { RoomBookmarks, type BookmarkResult } from './bookmarks.js';
import { RejoinPasses } from './rejoinPasses.js';
import { RoomTimeouts, type RoomTimeoutOptions, type TimeoutReason } from './roomTimeouts.js';
import { StreamHistory } from './streamHistory.js';
import { RoomTelemetry } from './roomTelemetry.js';
import { SessionSampler } from '../terminal/processTelemetry.js';
import { log } from '../util/logger.js';
import { FileTransfers, type TransferMember, type TransferRecord } from './fileTransfer.js';
import { TransferLimits } from '../shared/limits.js';

/** What a room says about the profile it was opened from (the launch itself is its session factory's). */
export interface RoomProfile {
  readonly name: string;
}

export interface RoomOptions {
  id: string;
  name: string;
  profile: RoomProfile;
  /** Starts the program the room shares; called once, in the constructor. */
  openSession: SessionFactory;
  cols: number;
  rows: number;
  scrollback: number;
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
  /** The room's first settings; the owner changes them with room:settings. Default: DEFAULT_SETTINGS. */
  settings?: Partial<RoomSettings>;
  /** The operator allows recording (not --no-record): without it `record` stays false whatever the owner asks. */
  recordable?: boolean;
  /** `--transfer-max-bytes`: bytes one ZMODEM transfer may carry; 0 turns transfers off. Default TransferLimits.DefaultMaxBytes. */
  transferMaxBytes?: number;
  now?: () => Date;
}

/** A room open to anyone with a link, any number of writers, chat on, sized by its owner. */
export const DEFAULT_SETTINGS: Readonly<RoomSettings> = {
  locked: false,
  approval: false,
  floor: 'many',
  chat: true,
  resize: 'owner',
  record: false,
};

/** What screen clearing the curtain's lift sends: home, erase the screen, erase the scrollback (xterm's ED 3). */
const CLEAR_SCREEN_AND_SCROLLBACK = '\x1b[H\x1b[2J\x1b[3J';

interface Member {
  readonly id: string;
  /** The credential it came in with (credentialKey): a rejoin pass works only with the same one. */
  readonly credential: string;
  readonly name: string;
  readonly colour: string;
  readonly signedIn: boolean;
  role: Role;
  /** Direct messages to this member (its role, a revocation); the stream goes through the FanOut. */
  readonly port: MemberPort;
  readonly acks: boolean;
  readonly resumeFrom: number | undefined;
  /** Waits in the lobby for the owner's approval: receives nothing of the room. */
  waiting: boolean;
  /** When its hand went up (clock ms), while it is up. */
  handSince: number | undefined;
  /** A timed grant of the keyboard: when it ends, and the timer that ends it. */
  grant: { until: number; timer: IDisposable } | undefined;
  /** When it was last given the keyboard (driver mode keeps the latest driver). */
  grantedAt: number;
  /** When its typing was last announced (TypingPacing). */
  typingToldAt: number;
  /** The window size it last reported, for the 'smallest' resize policy. */
  window: { cols: number; rows: number } | undefined;
  /** Its client can take part in a ZMODEM transfer (it said so when joining). */
  readonly transfers: boolean;
}

export interface JoinOptions extends Admission {
  name: string | undefined;
  /** The name came from sign-in, not from the member. */
  signedIn?: boolean;
  /** The member paces the room with `term:ack` (browsers do: their socket reads faster than xterm parses). */
  acks?: boolean;
  /** The member already has the stream up to here (a reconnect): send only what it missed, if still held. */
  resumeFrom?: number;
  /** A rejoin pass from an earlier connection (`room:pass`): back past approval and a lock. */
  pass?: string;
  /** The member's client can take part in a file transfer (the browser page can; `attach` cannot). */
  transfers?: boolean;
}

/** Which credential a member came in with, as a rejoin pass remembers it: the token's id and the signed-in user. */
function credentialKey(admission: Admission): string {
  return JSON.stringify([admission.tokenId ?? null, admission.user ?? null]);
}

export type JoinResult =
  | { ok: true; memberId: string; role: Role; colour: string; waiting: boolean; name: string }
  | { ok: false; code: 'locked'; message: string };

/**
 * What a floor or moderation request came to. 'no-member': no such member present (left meanwhile, or waiting);
 * 'is-owner': owners cannot be changed or removed that way; 'full': the room's token store has no room for the
 * new owner link (a hand-over).
 */
export type ActionResult = 'ok' | 'unchanged' | 'forbidden' | 'no-member' | 'is-owner' | 'full';

/** 'busy': a file transfer runs, and keystrokes would corrupt it. */
export type InputResult = 'ok' | 'forbidden' | 'gone' | 'full' | 'busy';

/**
 * What happened in the room besides its stream, for the recording's markers: members coming and going, the
 * keyboard changing hands, the curtain, chat lines, and the owner switching the recording.
 */
export type RoomActivity =
  | { kind: 'joined'; memberId: string; name: string; role: Role }
  | { kind: 'left'; memberId: string; name: string }
  | { kind: 'role'; memberId: string; name: string; role: Role }
  | { kind: 'curtain'; down: boolean }
  | { kind: 'chat'; memberId: string; name: string; text: string }
  | { kind: 'bookmark'; bookmark: BookmarkPayload }
  | { kind: 'record'; on: boolean };

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
export type RoleChangeResult = ActionResult;

/** A role change the room made by itself (a timed grant ran out), for the audit trail. */
export interface GrantEnded {
  memberId: string;
}

const REVOKED_MESSAGE = 'your access to this room was revoked or has expired';

export class Room extends Disposable {
  readonly id: string;
  readonly name: string;
  readonly profile: RoomProfile;
  readonly createdAt: Date;

  private readonly session: TerminalSession;
  /** Turns the session's bytes into text for the mirror and members, never splitting a UTF-8 sequence. */
  private readonly decoder = new TextDecoder('utf-8');
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
  private readonly activityEmitter = this.register(new Emitter<RoomActivity>());
  /** Joins, leaves, role changes, the curtain, chat lines, bookmarks and the recording switch (see RoomActivity). */
  readonly onActivity = this.activityEmitter.event;
  private readonly recordable: boolean;
  /** Local feeds (recorders) attached so far, for their fan-out ids. */
  private localFeeds = 0;
  private readonly grantEndedEmitter = this.register(new Emitter<GrantEnded>());
  /** A timed grant ended by itself on the room's clock: the member is a viewer again. */
  readonly onGrantEnded = this.grantEndedEmitter.event;
  private readonly inputEmitter = this.register(new Emitter<{ memberId: string; data: string }>());
  /** Input the program accepted, with the member who typed it; never fires while the curtain is down. */
  readonly onInput = this.inputEmitter.event;
  private readonly settingsValue: RoomSettings;
  private readonly chat: RoomChat;
  private readonly bookmarks: RoomBookmarks;
  private readonly passes: RejoinPasses;
  private readonly clock: Clock;
  /** Samples the process session while an admitted member is there (the numbers show nothing of the screen). */
  private readonly telemetry: RoomTelemetry;
  /** The size the room was created with: the 'fixed' policy's. */
  private readonly createdSize: { cols: number; rows: number };
  /** While the curtain is down: the writers the owner chose to keep behind it (owners always are). */
  private curtainWriters: Set<string> | undefined;
  /** ZMODEM transfers: the gate every output byte passes before it is decoded as terminal output. */
  private readonly transfers: FileTransfers;
  /** Why reading the program is stopped: the mirror is behind, or a transfer's member is. */
  private readonly holds = new Set<'mirror' | 'transfer'>();
  /** The member whose input the room accepted last: the current writer a transfer goes to (README, File transfer). */
  private lastTyper: string | undefined;
  /** File transfers starting and ending, for the audit (never their bytes). */
  readonly onTransfer: Event<TransferRecord>;

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
    this.clock = clock;
    this.recordable = options.recordable === true;
    // Recorded unless the creator asked otherwise; never where the operator turned recording off.
    this.settingsValue = { ...DEFAULT_SETTINGS, record: this.recordable, ...options.settings };
    if (!this.recordable) this.settingsValue.record = false;
    this.chat = new RoomChat(clock, this.settingsValue.chat);
    this.bookmarks = new RoomBookmarks(clock);
    this.passes = new RejoinPasses(clock);
    this.createdSize = { cols: options.cols, rows: options.rows };
    this.memberList = this.register(new Coalescer(clock, MemberListPacing.CoalesceMs, () => this.sendMemberList()));
    this.register(toDisposable(() => {
      for (const member of this.members.values()) member.grant?.timer.dispose();
    }));

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
      snapshot: async (minOffset) => {
        // After a curtain, the snapshot must be taken past its lift: first let the mirror parse that far.
        if (minOffset > this.mirror.parsedOffset) await this.mirror.flushed();
        return this.mirror.snapshot();
      },
      get exit() {
        return room.exitInfo;
      },
    }, clock, options.resumeBufferUnits, () => this.broadcastMembers()));
    this.batcher = this.register(new OutputBatcher((data) => this.emitOutput(data)));
    this.transfers = this.register(new FileTransfers({
      clock,
      maxBytes: options.transferMaxBytes ?? TransferLimits.DefaultMaxBytes,
      currentWriter: () => this.currentWriter(),
      stillEligible: (memberId) => this.mayTransfer(this.present(memberId)),
      toTerminal: (bytes) => this.decodeOutput(bytes),
      writeToProgram: (bytes) => this.session.write(bytes),
      pendingInput: () => this.session.pendingInput,
      holdProgram: (hold) => this.hold('transfer', hold),
      announce: (payload) => this.transport.everyone.send('room:transfer', payload),
      refused: (message) => this.notifyMembers({ code: 'transfer-refused', message }),
    }));
    this.onTransfer = this.transfers.onRecord;
    this.session = this.register(options.openSession({ cols: options.cols, rows: options.rows }));
    this.register(this.session.onData((bytes) => this.takeOutput(bytes)));
    this.register(this.session.onExit((exit) => this.handleSessionExit(exit)));
    this.register(this.session.onTreeEnded(() => this.processesEndedEmitter.fire()));
    const identity = this.session.identity;
    const telemetrySource = this.session.telemetry ? this.session.telemetry(clock) : identity ? new SessionSampler(identity, clock) : undefined;
    this.telemetry = this.register(new RoomTelemetry(clock, telemetrySource,
      (payload) => this.transport.everyone.send('room:telemetry', payload)));
    this.register(this.onExit(() => this.telemetry.stop()));
    this.register(this.mirror.onReply((reply) => {
      // A reply written into a running transfer would corrupt it; the query was answered long before it anyway.
      if (!this.transfers.busy) this.session.write(reply);
    }));
    this.register(this.mirror.onParseError((error) => {
      log.error({ room: this.id }, `room ${this.id}: the terminal parser failed on this room's output and skipped the rest of a chunk: ${error}`);
    }));
    this.register(this.mirror.onProgress(() => {
      if (this.mirror.backlog < MirrorFlowControl.LowWater) this.hold('mirror', false);
    }));
    this.register(this.mirror.onCheckpoint((snapshot) => this.fanOut.offerSnapshot(snapshot)));
    this.register(this.mirror.onRebuilt(({ exact }) => {
      log.warn({ room: this.id, exact }, `room ${this.id}: its mirror was rebuilt after its worker stopped${exact ? '' : ' (older scrollback was lost)'}`);
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

  /** The local program's pid; undefined when it runs on another host. */
  get pid(): number | undefined {
    return this.session.pid;
  }

  /** The shell's pid and start time, so a crash record names it and not a later process with its pid. */
  get processIdentity(): ProcessIdentity | undefined {
    return this.session.identity;
  }

  get settings(): Readonly<RoomSettings> {
    return this.settingsValue;
  }

  get curtainDown(): boolean {
    return this.fanOut.curtainDown;
  }

  /**
   * Records a member let in on `identity`; nothing is sent yet (the caller answers the join first, then calls
   * welcome). A locked room refuses everyone but owners and members coming back with a rejoin pass, who
   * also skip approval. In driver mode a writer link lets a member in as the driver only while nobody else
   * drives; otherwise it watches until given the keyboard.
   */
  join(identity: JoinOptions, port: MemberPort): JoinResult {
    const credential = credentialKey(identity);
    const returningFrom = identity.pass === undefined ? undefined : this.passes.redeem(identity.pass, credential);
    const returning = returningFrom !== undefined;
    // Its old connection may linger until keepalive notices it dropped: the member coming back replaces it, so a
    // pass handed to someone else costs its member its place.
    const stale = returningFrom === undefined ? undefined : this.members.get(returningFrom);
    if (stale) {
      this.remove(stale);
      stale.port.close();
    }
    if (this.settingsValue.locked && identity.role !== 'owner' && !returning) {
      return { ok: false, code: 'locked', message: 'the room is locked: nobody new may join' };
    }
    let role = identity.role;
    if (role === 'writer' && this.settingsValue.floor === 'driver' && this.drivers().length > 0) role = 'viewer';
    const id = this.access.enter(identity);
    const colour = pickColour([...this.members.values()].map((member) => member.colour));
    const member: Member = {
      id,
      credential,
      name: identity.name ?? `guest-${id.slice(0, 4)}`,
      colour,
      signedIn: identity.signedIn === true,
      role,
      port,
      acks: identity.acks === true,
      resumeFrom: identity.resumeFrom,
      waiting: this.settingsValue.approval && role !== 'owner' && !returning,
      handSince: undefined,
      grant: undefined,
      grantedAt: role === 'writer' ? this.clock.now() : 0,
      typingToldAt: -Infinity,
      window: undefined,
      transfers: identity.transfers === true,
    };
    this.members.set(id, member);
    return { ok: true, memberId: id, role, colour, waiting: member.waiting, name: member.name };
  }

  /**
   * Starts what a joined member receives: the room (settings, curtain, chat, notices, then its stream on a
   * later turn) or, while it waits for approval, only `room:waiting`. The owners see a waiting member in the
   * member list.
   */
  welcome(memberId: string): void {
    const member = this.members.get(memberId);
    if (!member) return;
    if (member.waiting) member.port.send('room:waiting', {});
    else this.enterRoom(member);
    this.broadcastMembers();
  }

  leave(memberId: string): void {
    const member = this.members.get(memberId);
    if (member) this.remove(member);
  }

  /** The owner lets a waiting joiner in (it gets its role, then the room) or turns it away (`room:error denied`). */
  admit(actorId: string, targetId: string, allow: boolean): ActionResult {
    if (!this.isOwner(actorId)) return 'forbidden';
    const target = this.members.get(targetId);
    if (!target || !target.waiting) return 'no-member';
    if (allow) {
      target.waiting = false;
      this.takeSeat(target);
      this.tellRole(target);
      this.enterRoom(target);
      this.broadcastMembers();
    } else {
      target.port.send('room:error', { code: 'denied', message: 'the owner did not let you into this room' });
      this.remove(target);
      target.port.close();
    }
    return 'ok';
  }

  /** The owner removes a member (owners cannot be removed): it is told `kicked` and disconnected. */
  kick(actorId: string, targetId: string): ActionResult {
    if (!this.isOwner(actorId)) return 'forbidden';
    const target = this.members.get(targetId);
    if (!target) return 'no-member';
    if (target.role === 'owner') return 'is-owner';
    target.port.send('room:error', { code: 'kicked', message: 'the owner removed you from this room' });
    this.passes.void(target.id);
    this.remove(target);
    target.port.close();
    return 'ok';
  }

  /** A member raises its hand: it asks for the keyboard. Owners and writers have it already. */
  raiseHand(memberId: string): ActionResult {
    const member = this.present(memberId);
    if (!member) return 'no-member';
    if (member.role !== 'viewer' || member.handSince !== undefined) return 'unchanged';
    member.handSince = this.clock.now();
    this.broadcastMembers();
    return 'ok';
  }

  /** A member lowers its own hand, or the owner lowers someone else's ("not now"): it stays a viewer. */
  lowerHand(actorId: string, targetId: string = actorId): ActionResult {
    if (targetId !== actorId && !this.isOwner(actorId)) return 'forbidden';
    const target = this.present(targetId);
    if (!target) return 'no-member';
    if (target.handSince === undefined) return 'unchanged';
    target.handSince = undefined;
    this.broadcastMembers();
    return 'ok';
  }

  /**
   * The owner hands out (writer) or takes back (viewer) the keyboard of a member, for as long as it stays
   * connected or, with `seconds`, until that much time has passed on the room's clock. Granting lowers the
   * member's hand; in driver mode it takes the keyboard from whoever drove before (returned as `displaced`).
   * Owners keep their role; a member whose token is later revoked loses what was handed out.
   */
  setMemberRole(actorId: string, targetId: string, role: 'viewer' | 'writer', seconds?: number): { result: ActionResult; displaced: string[] } {
    const displaced: string[] = [];
    if (!this.isOwner(actorId)) return { result: 'forbidden', displaced };
    const target = this.present(targetId);
    if (!target) return { result: 'no-member', displaced };
    if (target.role === 'owner') return { result: 'is-owner', displaced };
    if (role === 'viewer') {
      if (target.role === 'viewer') return { result: 'unchanged', displaced };
      this.demote(target);
    } else {
      if (target.role === 'writer' && target.grant === undefined && seconds === undefined) return { result: 'unchanged', displaced };
      this.endGrant(target);
      target.role = 'writer';
      target.handSince = undefined;
      target.grantedAt = this.clock.now();
      if (seconds !== undefined) {
        const until = this.clock.now() + seconds * 1000;
        target.grant = { until, timer: this.clock.setTimer(seconds * 1000, () => this.grantRanOut(target)) };
      }
      this.roleChanged(target);
      if (this.settingsValue.floor === 'driver') {
        for (const other of this.drivers()) {
          if (other === target) continue;
          this.demote(other);
          displaced.push(other.id);
        }
      }
    }
    this.rolesChanged();
    return { result: 'ok', displaced };
  }

  /**
   * The owner makes another member the owner and becomes a writer (in driver mode, a viewer while someone else
   * drives). The owner links it came in with stop
   * working, and the new owner is sent a fresh one of its own (`room:credential`).
   */
  handOver(actorId: string, targetId: string): ActionResult {
    const actor = this.present(actorId);
    if (!actor || actor.role !== 'owner') return 'forbidden';
    const target = this.present(targetId);
    if (!target) return 'no-member';
    if (target.role === 'owner') return 'is-owner';
    let token: string;
    try {
      token = this.access.handOver(actorId, targetId);
    } catch (error) {
      if (error instanceof CapabilityStoreFullError) return 'full';
      throw error;
    }
    this.endGrant(target);
    target.handSince = undefined;
    target.role = 'owner';
    this.roleChanged(target);
    target.port.send('room:credential', { token });
    actor.role = 'writer';
    actor.grantedAt = this.clock.now();
    this.takeSeat(actor);
    this.roleChanged(actor);
    this.rolesChanged();
    return 'ok';
  }

  /** The owner changes settings; returns the ones that changed (each takes effect at once). */
  updateSettings(actorId: string, patch: RoomSettingsPatch): { result: ActionResult; changed: Array<keyof RoomSettings> } {
    if (!this.isOwner(actorId)) return { result: 'forbidden', changed: [] };
    if (patch.record === true && !this.recordable) return { result: 'forbidden', changed: [] };
    const changed = (Object.keys(patch) as Array<keyof RoomSettings>).filter((key) => patch[key] !== this.settingsValue[key]);
    if (changed.length === 0) return { result: 'unchanged', changed };
    Object.assign(this.settingsValue, patch);
    this.chat.enabled = this.settingsValue.chat;
    if (changed.includes('approval') && !this.settingsValue.approval) {
      // Nobody is left waiting for an approval that is no longer asked.
      for (const member of this.members.values()) {
        if (!member.waiting) continue;
        member.waiting = false;
        this.takeSeat(member);
        this.tellRole(member);
        this.enterRoom(member);
      }
    }
    if (changed.includes('floor') && this.settingsValue.floor === 'driver') {
      // One driver: the one given the keyboard last keeps it.
      const drivers = this.drivers().sort((a, b) => b.grantedAt - a.grantedAt);
      for (const other of drivers.slice(1)) this.demote(other);
    }
    if (changed.includes('resize') && this.settingsValue.resize === 'fixed') {
      this.resize(this.createdSize.cols, this.createdSize.rows, { actor: actorId });
    }
    this.transport.everyone.send('room:settings', { ...this.settingsValue });
    if (changed.includes('record')) this.activityEmitter.fire({ kind: 'record', on: this.settingsValue.record });
    this.rolesChanged();
    return { result: 'ok', changed };
  }

  /**
   * The owner lowers the curtain (or changes who is behind it) or lifts it. While it is down, output reaches
   * only owners and the writers named in `audience`; everyone else keeps the screen from before and gets
   * nothing until it lifts, then a fresh snapshot. `clear` on lifting clears the screen and scrollback first
   * (for the owners and chosen writers as for the mirror), so that snapshot shows nothing of it.
   */
  setCurtain(actorId: string, request: CurtainRequest): ActionResult {
    if (!this.isOwner(actorId)) return 'forbidden';
    if (request.down) {
      const wasDown = this.fanOut.curtainDown;
      this.curtainWriters = new Set(request.audience ?? []);
      this.fanOut.lowerCurtain((memberId) => this.behindCurtain(memberId));
      if (!wasDown) this.activityEmitter.fire({ kind: 'curtain', down: true });
    } else {
      if (!this.fanOut.curtainDown) return 'unchanged';
      // Also after the program exited: the mirror still holds its last screen, which the lift would show.
      if (request.clear === true) {
        this.batcher.flush();
        this.emitOutput(CLEAR_SCREEN_AND_SCROLLBACK);
      }
      this.curtainWriters = undefined;
      this.fanOut.liftCurtain();
      this.activityEmitter.fire({ kind: 'curtain', down: false });
    }
    for (const member of this.members.values()) {
      if (!member.waiting) this.tellCurtain(member);
    }
    return 'ok';
  }

  /** A chat message from a member, to every admitted member; never part of the terminal stream. */
  postChat(memberId: string, text: string): ChatResult | 'no-member' {
    const member = this.present(memberId);
    if (!member) return 'no-member';
    const result = this.chat.post({ memberId, name: member.name, colour: member.colour }, text);
    if (result.ok) {
      this.transport.everyone.send('chat:message', result.message);
      this.activityEmitter.fire({ kind: 'chat', memberId, name: member.name, text: result.message.text });
    }
    return result;
  }

  /**
   * A member marks this moment ("deploy started"): everyone admitted is told, and the recording and the record
   * keep it. Allowed behind the curtain too: a bookmark holds a label, never what is on the screen.
   */
  addBookmark(memberId: string, label: string): BookmarkResult | 'no-member' {
    const member = this.present(memberId);
    if (!member) return 'no-member';
    const result = this.bookmarks.add({ memberId, name: member.name, colour: member.colour }, label);
    if (result.ok) {
      this.transport.everyone.send('room:bookmark', result.bookmark);
      this.activityEmitter.fire({ kind: 'bookmark', bookmark: result.bookmark });
    }
    return result;
  }

  /** A member's terminal has parsed everything before `offset`; may end its catching up. */
  ack(memberId: string, offset: number): void {
    if (this.members.has(memberId)) this.fanOut.ack(memberId, offset);
  }

  /**
   * ZMODEM bytes from a member, for its running transfer (dropped otherwise); `written` runs when the program
   * has room for more. Transfer bytes count as writer activity for the room's idle limit.
   */
  transferData(memberId: string, bytes: Uint8Array, written?: () => void): 'ok' | 'not-yours' {
    const result = this.transfers.input(memberId, bytes, written);
    if (result === 'ok') this.timeouts.noteWriterInput();
    return result;
  }

  /** The transfer's member cancels it; false when it has none running. */
  cancelTransfer(memberId: string): boolean {
    return this.transfers.cancelBy(memberId);
  }

  /** The member's role; undefined for one unknown or still waiting for approval (it may send nothing). */
  roleOf(memberId: string): Role | undefined {
    return this.present(memberId)?.role;
  }

  /**
   * Keystrokes from a member. The role is checked here too, so no caller can skip it. Accepted input is
   * attributed: everyone is told who typed (`room:typing`, at most every TypingPacing.MinIntervalMs per member).
   */
  input(memberId: string, data: string): InputResult {
    const member = this.present(memberId);
    if (!member) return 'gone';
    if (!roleAtLeast(member.role, 'writer')) return 'forbidden';
    if (this.exitInfo) return 'gone';
    // Refused rather than held: typed into the shell after the transfer, held keys would run as a surprise.
    if (this.transfers.busy) return 'busy';
    this.timeouts.noteWriterInput();
    const result = this.session.write(data);
    if (result !== 'ok') return result;
    this.lastTyper = memberId;
    if (!this.fanOut.curtainDown) this.inputEmitter.fire({ memberId, data });
    const now = this.clock.now();
    if (now - member.typingToldAt >= TypingPacing.MinIntervalMs) {
      member.typingToldAt = now;
      this.transport.everyone.send('room:typing', { memberId });
    }
    return result;
  }

  /**
   * A member's window size, under the room's resize policy: 'owner' takes an owner's, 'smallest' the smallest
   * among writers and owners, 'fixed' none. 'forbidden' when this member's size does not count.
   */
  requestResize(memberId: string, cols: number, rows: number, requester: ResizeRequester = {}): 'ok' | 'forbidden' {
    const member = this.present(memberId);
    if (!member || !roleAtLeast(member.role, 'writer')) return 'forbidden';
    // Kept whatever the policy: a client reports its window once, and the owner may switch to 'smallest' later.
    member.window = { cols, rows };
    switch (this.settingsValue.resize) {
      case 'fixed':
        return 'forbidden';
      case 'owner':
        if (member.role !== 'owner') return 'forbidden';
        this.resize(cols, rows, requester);
        return 'ok';
      case 'smallest':
        this.fitSmallest(requester);
        return 'ok';
    }
  }

  /** Input bytes accepted for the program and not yet read by the terminal (bounded; see PtyInput). */
  get pendingInput(): number {
    return this.session.pendingInput;
  }

  /**
   * Changes the PTY size now and the mirror's at the current end of the stream; members get the
   * resize as a stream event at that offset, so everyone reflows at the same point.
   */
  resize(cols: number, rows: number, requester: ResizeRequester = {}): void {
    if (this.exitInfo || this.isDisposed) return;
    if (cols === this.session.cols && rows === this.session.rows) return;
    this.session.resize(cols, rows);
    this.resizeEmitter.fire({ cols, rows, actor: requester.actor, address: requester.address });
    this.batcher.flush();
    // Members reflow here, after everything sent so far; the mirror does once it has parsed up to here.
    const payload = { offset: this.broadcastEnd, cols, rows };
    this.history.pushResize(payload);
    this.transport.live.send('term:resize', payload);
    this.fanOut.deliverLive('term:resize', payload);
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

  /**
   * Attaches an in-process port (the recorder) to the stream as a member in front of the curtain would see it:
   * from `fromOffset` while the history holds it (0: the whole stream), else from a snapshot; a fresh snapshot
   * after the curtain lifts; then the live events and the exit. It is no member (not listed, never behind the
   * curtain) and paces nothing. Disposing detaches it.
   */
  attachRecorder(port: MemberPort, fromOffset?: number): IDisposable {
    const id = `local:recorder:${++this.localFeeds}`;
    this.fanOut.addLocal(id, port, fromOffset);
    return toDisposable(() => this.fanOut.remove(id));
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
      locked: this.settingsValue.locked,
      approval: this.settingsValue.approval,
    };
  }

  /**
   * Ends the process tree (SIGHUP, then SIGKILL after `graceMs`); members get `term:exit` with `reason`.
   * Resolves once the shell exited, members were told, and nothing of its session is left. On a room
   * whose shell already exited it ends what the shell left behind; called again, it can only shorten the grace.
   */
  async close(reason: ExitReason, graceMs: number = this.killGraceMs): Promise<void> {
    if (this.isDisposed) return;
    if (this.exitInfo) return this.session.terminate(graceMs);
    // The first close names the reason; a later one (say, shutdown during a close) only hurries it.
    if (this.endReason === 'exited') this.endReason = reason;
    // Resolves once members were told, which is after the process exited and its last output was parsed.
    const told = new Promise<void>((resolve) => {
      const subscription = this.onExit(() => {
        subscription.dispose();
        resolve();
      });
      // Disposal ends the room without an exit to tell anyone about: a close under way must not wait forever.
      this.register(toDisposable(resolve));
    });
    await this.session.terminate(graceMs);
    await told;
  }

  private emitOutput(data: string): void {
    const payload = { offset: this.broadcastEnd, data };
    this.broadcastEnd += data.length;
    this.history.pushOutput(payload);
    this.transport.live.send('term:output', payload);
    this.fanOut.deliverLive('term:output', payload);
    this.fanOut.broadcast();
    this.mirror.write(data);
    if (this.mirror.backlog > MirrorFlowControl.HighWater) this.hold('mirror', true);
  }

  /** Every read of the program's output passes the transfer gate first: only what it says is terminal output is decoded. */
  private takeOutput(bytes: Uint8Array): void {
    this.transfers.output(bytes);
  }

  private decodeOutput(bytes: Uint8Array): void {
    const text = this.decoder.decode(bytes, { stream: true });
    if (text) this.batcher.push(text);
  }

  /** The program is read while nothing holds it: the mirror and a transfer's member each may. */
  private hold(reason: 'mirror' | 'transfer', on: boolean): void {
    const wasHeld = this.holds.size > 0;
    if (on) this.holds.add(reason);
    else this.holds.delete(reason);
    const held = this.holds.size > 0;
    if (held && !wasHeld) this.session.pause();
    else if (!held && wasHeld) this.session.resume();
  }

  /**
   * The current writer, who a transfer that starts now is offered to: the member whose input was accepted last
   * (who typed `sz` or `rz`; in driver mode the driver, unless an owner typed after it), if it still holds the
   * keyboard and its client can transfer. Nobody else: a viewer never gets a transfer.
   */
  private currentWriter(): TransferMember | undefined {
    const member = this.lastTyper === undefined ? undefined : this.present(this.lastTyper);
    if (!member || !this.mayTransfer(member)) return undefined;
    return { id: member.id, name: member.name, port: member.port };
  }

  private mayTransfer(member: Member | undefined): boolean {
    return member !== undefined && member.transfers && roleAtLeast(member.role, 'writer') && !this.exitInfo;
  }
  private handleSessionExit(exit: SessionExit): void {
    // An exited room has nothing left to close; it only waits to expire.
    this.timeouts.dispose();
    this.transfers.programEnded();
    // A remote session that ended without its program's exit (the host went away) says so, unless a close named the end.
    if (exit.cause !== undefined && this.endReason === 'exited') this.endReason = exit.cause;
    // A sequence cut off by the end is shown as U+FFFD, as a terminal would.
    const tail = this.decoder.decode();
    if (tail) this.batcher.push(tail);
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
        member.port.send('room:error', { code: 'revoked', message: REVOKED_MESSAGE });
        this.passes.void(member.id);
        this.remove(member);
        member.port.close();
      } else if (member.role !== role) {
        // What the owner had handed out goes with the token, a timed grant too.
        this.endGrant(member);
        member.role = role;
        if (!member.waiting) this.roleChanged(member);
      }
    }
    this.rolesChanged();
  }

  /** A present (admitted) member, or undefined for one unknown or still waiting for approval. */
  private present(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    return member && !member.waiting ? member : undefined;
  }

  private isOwner(memberId: string): boolean {
    return this.present(memberId)?.role === 'owner';
  }

  /**
   * A writer coming in (from the lobby, or an owner handing the room over) in driver mode drives only while
   * nobody else does; otherwise it watches until given the keyboard, as a writer link does at the door.
   */
  private takeSeat(member: Member): void {
    if (member.role !== 'writer' || this.settingsValue.floor !== 'driver') return;
    if (this.drivers().some((other) => other !== member)) member.role = 'viewer';
  }

  /** Writers that are not owners: in driver mode, at most one of them. */
  private drivers(): Member[] {
    return [...this.members.values()].filter((member) => member.role === 'writer' && !member.waiting);
  }

  /** Sends a member into the room: what it needs to know of it, then (on a later turn) its stream. */
  private enterRoom(member: Member): void {
    const { port } = member;
    port.setPresent(true);
    port.send('room:pass', { pass: this.passes.issue(member.id, member.credential) });
    port.send('room:settings', { ...this.settingsValue });
    if (this.fanOut.curtainDown) this.tellCurtain(member);
    if (this.settingsValue.chat) for (const message of this.chat.history()) port.send('chat:message', message);
    const bookmarks = this.bookmarks.all();
    if (bookmarks.length > 0) port.send('room:bookmarks', [...bookmarks]);
    for (const notice of this.timeouts.activeNotices()) port.send('room:notice', notice);
    const transfer = this.transfers.state;
    if (transfer) port.send('room:transfer', transfer);
    this.fanOut.add(member.id, port, member.acks, member.resumeFrom);
    this.telemetry.watch(true);
    this.joinEmitter.fire({ memberId: member.id, role: member.role });
    this.activityEmitter.fire({ kind: 'joined', memberId: member.id, name: member.name, role: member.role });
  }

  private remove(member: Member): void {
    if (this.members.get(member.id) !== member) return;
    this.members.delete(member.id);
    this.transfers.memberLeft(member.id);
    if (this.lastTyper === member.id) this.lastTyper = undefined;
    this.endGrant(member);
    this.passes.left(member.id);
    this.access.leave(member.id);
    this.fanOut.remove(member.id);
    this.chat.forget(member.id);
    this.bookmarks.forget(member.id);
    member.port.setPresent(false);
    this.telemetry.watch([...this.members.values()].some((other) => !other.waiting));
    if (!member.waiting) this.activityEmitter.fire({ kind: 'left', memberId: member.id, name: member.name });
    this.rolesChanged();
  }

  /** Takes the keyboard back from a member (and its timed grant with it). */
  private demote(member: Member): void {
    this.endGrant(member);
    if (member.role === 'viewer') return;
    member.role = 'viewer';
    this.roleChanged(member);
  }

  private endGrant(member: Member): void {
    member.grant?.timer.dispose();
    member.grant = undefined;
  }

  /** A timed grant's time is up: the member is a viewer again, whether or not anyone is watching the clock. */
  private grantRanOut(member: Member): void {
    if (this.members.get(member.id) !== member || !member.grant) return;
    member.grant = undefined;
    if (member.role === 'writer') {
      member.role = 'viewer';
      this.roleChanged(member);
    }
    this.rolesChanged();
    this.grantEndedEmitter.fire({ memberId: member.id });
  }

  /** A present member's role changed: it is told, and the change is on record. */
  private roleChanged(member: Member): void {
    this.tellRole(member);
    this.activityEmitter.fire({ kind: 'role', memberId: member.id, name: member.name, role: member.role });
  }

  private tellRole(member: Member): void {
    const payload: { role: Role; until?: string } = { role: member.role };
    if (member.grant) payload.until = new Date(member.grant.until).toISOString();
    member.port.send('room:role', payload);
  }

  /** Whether a member sees the terminal while the curtain is down: owners, and the writers the owner chose. */
  private behindCurtain(memberId: string): boolean {
    const member = this.present(memberId);
    if (!member) return false;
    return member.role === 'owner' || (member.role === 'writer' && this.curtainWriters?.has(memberId) === true);
  }

  private tellCurtain(member: Member): void {
    const down = this.fanOut.curtainDown;
    member.port.send('room:curtain', down ? { down, sees: this.behindCurtain(member.id) } : { down });
  }

  /** After roles changed: the curtain's audience, the size under the 'smallest' policy, and the member list. */
  private rolesChanged(): void {
    this.transfers.review();
    if (this.fanOut.curtainDown) {
      const before = new Map([...this.members.values()].map((member) => [member.id, this.fanOut.stateOf(member.id)]));
      this.fanOut.reviewCurtain();
      for (const member of this.members.values()) {
        const was = before.get(member.id);
        const now = this.fanOut.stateOf(member.id);
        if (was !== undefined && (was === 'curtained') !== (now === 'curtained')) this.tellCurtain(member);
      }
    }
    this.fitSmallest();
    this.broadcastMembers();
  }

  /** Under the 'smallest' policy, the terminal takes the smallest window among writers and owners that reported one. */
  private fitSmallest(requester: ResizeRequester = {}): void {
    if (this.settingsValue.resize !== 'smallest') return;
    let cols = Infinity;
    let rows = Infinity;
    for (const member of this.members.values()) {
      if (member.waiting || member.role === 'viewer' || !member.window) continue;
      cols = Math.min(cols, member.window.cols);
      rows = Math.min(rows, member.window.rows);
    }
    if (Number.isFinite(cols) && Number.isFinite(rows)) this.resize(cols, rows, requester);
  }

  private notifyMembers(notice: NoticePayload): void {
    this.transport.everyone.send('room:notice', notice);
  }

  private broadcastMembers(): void {
    this.memberList.notify();
  }

  private sendMemberList(): void {
    const list: MemberInfo[] = [...this.members.values()].map((member) => {
      const info: MemberInfo = {
        id: member.id,
        name: member.name,
        role: member.role,
        colour: member.colour,
        hand: member.handSince !== undefined,
        state: member.waiting ? 'waiting' : this.fanOut.stateOf(member.id) ?? 'joining',
      };
      if (member.handSince !== undefined) info.handSince = new Date(member.handSince).toISOString();
      if (member.grant) info.grantUntil = new Date(member.grant.until).toISOString();
      if (member.signedIn) info.signedIn = true;
      return info;
    });
    this.transport.everyone.send('room:members', list);
  }
}
