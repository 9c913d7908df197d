// RoomRegistry: creates rooms from profiles within the room caps, finds them, closes them (on request or on
// timeout), audits both, and forgets exited ones after a while.

import type { ExitReason, RoomSettings } from '../shared/events.js';
import { TerminalSize } from '../shared/limits.js';
import type { CreateRoomBody } from '../shared/validate.js';
import { mintToken, randomId, TokenSizes } from '../auth/capabilities.js';
import type { AuditLimit, Auditor } from '../audit/auditLog.js';
import { AuditCounter } from '../audit/auditCounter.js';
import type { Requester } from '../auth/requester.js';
import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import type { RoomTransport } from './ports.js';
import type { MirrorHost } from '../terminal/mirrorHost.js';
import { Room, type RoomResize } from './room.js';
import { PtySession } from '../terminal/ptySession.js';
import type { SessionFactory } from '../terminal/terminalSession.js';
import { launchOf, profileSummary, type ProfileDefinition, type ProfileSummary, type SshProfile } from './profiles.js';
import type { KnownHosts } from '../remote/knownHosts.js';
import type { CredentialStore } from '../remote/credentials.js';
import { openSsh, SshConnectError, type OpenedSsh, type SshTimingSettings } from '../remote/sshConnect.js';
import { log } from '../util/logger.js';

export type { Requester } from '../auth/requester.js';

export interface RegistryOptions {
  /** By name; the first is listed first. */
  profiles: ReadonlyMap<string, ProfileDefinition>;
  defaultProfile: string;
  scrollback: number;
  /** Recent output kept per room for reconnecting members, in code units. */
  resumeBufferUnits: number;
  killGraceMs: number;
  /** How long an exited room stays listed and viewable with its final screen. */
  exitedRoomTtlMs: number;
  cwd: string;
  env: Record<string, string>;
  /** `--once`: the first room created is the only one this server ever accepts. */
  oneRoomOnly?: boolean;
  createTransport(roomId: string): RoomTransport;
  clock: Clock;
  auditor: Auditor;
  /** Rooms held at once (running, or exited and still listed); 0 means no limit. */
  maxRooms: number;
  /** Rooms one creator holds at once; 0 means no limit. */
  maxRoomsPerUser: number;
  /** Passed to every room: close after this long without writer input; 0 turns it off. */
  idleTimeoutMs: number;
  /** Passed to every room: close this long after creation; 0 turns it off. */
  lifetimeMs: number;
  /** Where rooms' mirrors run; owned by whoever created the registry. */
  mirrors: MirrorHost;
  /** Rooms may be recorded (the operator did not pass --no-record); default: no. */
  recordable?: boolean;
  /** `--transfer-max-bytes`, passed to every room; undefined = TransferLimits.DefaultMaxBytes. */
  transferMaxBytes?: number;
  /** How SSH profiles reach their hosts: the trusted host keys and the sealed passwords. Without it, ssh profiles are refused. */
  ssh?: SshSettings;
}

export interface SshSettings {
  knownHosts: KnownHosts;
  /** Undefined when no profile has a password. */
  credentials?: CredentialStore;
  /** Keepalive and connect timing (default: SshTiming); tests shorten it. */
  timing?: SshTimingSettings;
}


/** The key rooms are counted by for the per-user cap. */
function creatorKey(requester: Requester): string {
  return requester.user !== undefined ? `user:${requester.user}` : `address:${requester.address}`;
}

/** A create request's params as flat audit facts (`param.pod: "web-1"`). */
function paramsDetail(params: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(params ?? {}).map(([name, value]) => [`param.${name}`, value]));
}

/** The settings a create request chose; the rest are DEFAULT_SETTINGS. */
function roomSettingsOf(request: CreateRoomRequest): Partial<RoomSettings> {
  const settings: Partial<RoomSettings> = {};
  if (request.floor !== undefined) settings.floor = request.floor;
  if (request.approval !== undefined) settings.approval = request.approval;
  if (request.chat !== undefined) settings.chat = request.chat;
  if (request.resize !== undefined) settings.resize = request.resize;
  if (request.record !== undefined) settings.record = request.record;
  return settings;
}

/** What a room is created from: the validated request body (`args` only under --permit-arguments). */
export type CreateRoomRequest = CreateRoomBody;

export type RoomErrorCode = 'bad-request' | 'not-found' | 'conflict' | 'too-many-rooms'
  | 'host-untrusted' | 'host-key-changed' | 'ssh-auth-failed' | 'ssh-unreachable';

/** A refusal the HTTP and socket layers turn into their own error shapes; `fingerprints` for the host-key refusals. */
export class RoomError extends Error {
  constructor(readonly code: RoomErrorCode, message: string, readonly fingerprints?: { fingerprint: string; expected?: string; hostKeyPolicy?: 'ask' | 'known-only' }) {
    super(message);
  }
}

/** What a create request gets back: the room and the two secrets only its creator sees. */
export interface CreatedRoomResult {
  room: Room;
  ownerToken: string;
  writeToken: string;
}

export class RoomRegistry extends Disposable {
  private readonly rooms = new Map<string, Room>();
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  /** Rooms being closed (already unlisted) with the promise of their close, so shutdown can hurry them. */
  private readonly closing = new Map<Room, Promise<void>>();
  /** Creator key of each room; weak, so a forgotten room needs no bookkeeping here. */
  private readonly creators = new WeakMap<Room, string>();
  /** Who asked for a room to be closed, for the audit record written when it has exited. */
  private readonly closers = new WeakMap<Room, Requester>();
  /** Each running room's resize counter; flushed when the room exits or the registry goes. */
  private readonly resizeAudits = new WeakMap<Room, AuditCounter>();
  private createdCount = 0;
  private shuttingDown = false;
  private readonly roomCreatedEmitter = this.register(new Emitter<Room>());
  /** Fires right after a room was created and its process spawned. */
  readonly onRoomCreated = this.roomCreatedEmitter.event;
  private readonly roomRemovedEmitter = this.register(new Emitter<string>());
  /** Fires with a room's id when it leaves the registry (closed, or kept past its exit for the exited-room time). */
  readonly onRoomRemoved = this.roomRemovedEmitter.event;

  constructor(private readonly options: RegistryOptions) {
    super();
    this.register(toDisposable(() => {
      for (const timer of this.expiryTimers.values()) clearTimeout(timer);
      this.expiryTimers.clear();
      for (const room of this.rooms.values()) {
        this.resizeAudits.get(room)?.dispose();
        room.dispose();
      }
      this.rooms.clear();
      // Rooms still closing are no longer listed, but theirs are processes too: disposal ends them now.
      for (const room of this.closing.keys()) room.dispose();
    }));
  }

  get size(): number {
    return this.rooms.size;
  }

  /**
   * Creates a room of a local profile (command, exec) at once. Checks the caps before anything is spawned; a refusal
   * is audited and throws 'too-many-rooms'. An ssh profile needs createRoom, which connects first.
   */
  create(request: CreateRoomRequest, requester: Requester): CreatedRoomResult {
    this.checkAccepting();
    const profile = this.profileOf(request);
    if (profile.type === 'ssh') throw new RoomError('bad-request', `profile "${profile.name}" opens an SSH connection: create it with createRoom`);
    // The params are checked and the argv built before the caps are counted, so a refused request spawns nothing.
    const launch = launchOf(profile, request.params, request.args);
    if (typeof launch === 'string') throw new RoomError('bad-request', launch);
    const creator = creatorKey(requester);
    this.checkCaps(creator, requester);
    return this.build(request, requester, creator, profile, ({ cols, rows }) => new PtySession({
      file: launch.file, args: launch.args, cols, rows, cwd: this.options.cwd, env: this.options.env, killGraceMs: this.options.killGraceMs,
    }), {});
  }

  /**
   * Creates a room of any profile: a local one as create does; an ssh one once its host's key is trusted (or
   * confirmed by `trustHostKey` under policy 'ask'), the sign-in succeeded and the shell started. Refusals are
   * RoomErrors ('host-untrusted', 'host-key-changed', 'ssh-auth-failed', 'ssh-unreachable'), audited.
   */
  async createRoom(request: CreateRoomRequest & { trustHostKey?: string }, requester: Requester): Promise<CreatedRoomResult> {
    this.checkAccepting();
    const profile = this.profileOf(request);
    if (profile.type !== 'ssh') return this.create(request, requester);
    const firstParam = Object.keys(request.params ?? {})[0];
    if (firstParam !== undefined) throw new RoomError('bad-request', `profile "${profile.name}" takes no params (got "${firstParam}")`);
    if (request.args !== undefined && request.args.length > 0) throw new RoomError('bad-request', `profile "${profile.name}" opens a shell on its host; args are not accepted`);
    const creator = creatorKey(requester);
    // Counted before connecting, so a refused request opens no connection, and again after: others may have been made meanwhile.
    this.checkCaps(creator, requester);
    const cols = request.cols ?? TerminalSize.DefaultCols;
    const rows = request.rows ?? TerminalSize.DefaultRows;
    const opened = await this.openSsh(profile, request.trustHostKey, { cols, rows }, requester);
    try {
      this.checkAccepting();
      this.checkCaps(creator, requester);
    } catch (error) {
      opened.session.dispose();
      throw error;
    }
    let created: CreatedRoomResult;
    try {
      created = this.build(request, requester, creator, profile, () => opened.session, { host: profile.host, port: profile.port, user: profile.user });
    } catch (error) {
      // The room never took the session over: the connection is closed here, not left open for nobody.
      opened.session.dispose();
      throw error;
    }
    const { room } = created;
    const target = { profile: profile.name, host: profile.host, port: profile.port, user: profile.user };
    this.options.auditor.record({
      event: 'ssh.login.succeeded', room: room.id, actor: requester.user, address: requester.address,
      detail: { ...target, method: opened.method, fingerprint: opened.fingerprint },
    });
    const startedAt = this.options.clock.now();
    room.onExit((exit) => {
      this.options.auditor.record({
        event: 'ssh.session.ended', room: room.id,
        detail: {
          ...target,
          reason: exit.reason,
          exitCode: exit.exitCode,
          ...(exit.signal ? { signal: exit.signal } : {}),
          commands: opened.session.commandCount,
          seconds: Math.round((this.options.clock.now() - startedAt) / 1000),
        },
      });
    });
    return created;
  }

  /** Connects for `profile`; a refusal is audited (reason and fingerprints, never a credential) and thrown as a RoomError. */
  private async openSsh(profile: SshProfile, trustHostKey: string | undefined, size: { cols: number; rows: number }, requester: Requester): Promise<OpenedSsh> {
    const ssh = this.options.ssh;
    if (!ssh) throw new RoomError('bad-request', `profile "${profile.name}" is an ssh profile, which this server cannot open`);
    const credentials = ssh.credentials;
    const target = { profile: profile.name, host: profile.host, port: profile.port, user: profile.user };
    const who = { actor: requester.user, address: requester.address };
    try {
      return await openSsh({
        host: profile.host,
        port: profile.port,
        user: profile.user,
        hostKeyPolicy: profile.hostKeyPolicy,
        ...(profile.identityFile !== undefined ? { identityFile: profile.identityFile } : {}),
        ...(profile.password !== undefined ? { password: () => {
          if (!credentials) throw new Error('no password store');
          return credentials.open(profile.name);
        } } : {}),
      }, {
        knownHosts: ssh.knownHosts,
        cols: size.cols,
        rows: size.rows,
        ...(trustHostKey !== undefined ? { trustHostKey } : {}),
        ...(ssh.timing ? { timing: ssh.timing } : {}),
        trusted: (fingerprint) => this.options.auditor.record({ event: 'ssh.hostkey.trusted', ...who, detail: { ...target, fingerprint } }),
      });
    } catch (error) {
      if (!(error instanceof SshConnectError)) throw error;
      const refusal = error.refusal;
      switch (refusal.code) {
        case 'host-untrusted':
          this.options.auditor.record({ event: 'ssh.hostkey.untrusted', ...who, detail: { ...target, fingerprint: refusal.fingerprint, policy: refusal.policy } });
          throw new RoomError('host-untrusted', error.message, { fingerprint: refusal.fingerprint, hostKeyPolicy: refusal.policy });
        case 'host-key-changed':
          this.options.auditor.record({ event: 'ssh.hostkey.changed', ...who, detail: { ...target, fingerprint: refusal.fingerprint, expected: refusal.expected } });
          // Loud on purpose: a changed key is what a man in the middle looks like, and the operator must look.
          log.warn({ profile: profile.name, host: profile.host, port: profile.port, expected: refusal.expected, fingerprint: refusal.fingerprint }, `WARNING: the host key of ${profile.host}:${profile.port} (profile "${profile.name}") changed: expected ${refusal.expected}, got ${refusal.fingerprint}; connection refused`);
          throw new RoomError('host-key-changed', error.message, { fingerprint: refusal.fingerprint, expected: refusal.expected });
        case 'auth-failed':
          this.options.auditor.record({ event: 'ssh.login.failed', ...who, detail: { ...target, reason: refusal.reason } });
          throw new RoomError('ssh-auth-failed', error.message);
        case 'unreachable':
          this.options.auditor.record({ event: 'ssh.login.failed', ...who, detail: { ...target, reason: refusal.reason } });
          throw new RoomError('ssh-unreachable', error.message);
      }
    }
  }

  private checkAccepting(): void {
    if (this.isDisposed || this.shuttingDown) throw new RoomError('conflict', 'the server is shutting down');
    if (this.options.oneRoomOnly && this.createdCount > 0) {
      throw new RoomError('conflict', 'this server was started with --once and already has its one room');
    }
  }

  private profileOf(request: CreateRoomRequest): ProfileDefinition {
    const profileName = request.profile ?? this.options.defaultProfile;
    const profile = this.options.profiles.get(profileName);
    if (!profile) throw new RoomError('bad-request', `unknown profile "${profileName}"`);
    return profile;
  }

  /** The room itself, once everything was checked and (for SSH) connected; `where` adds facts to room.created. */
  private build(
    request: CreateRoomRequest,
    requester: Requester,
    creator: string,
    profile: ProfileDefinition,
    openSession: SessionFactory,
    where: Record<string, string | number>,
  ): CreatedRoomResult {
    const id = this.unusedId();
    const ownerToken = mintToken();
    const writeToken = mintToken();
    const room = new Room({
      id,
      name: request.name ?? `room ${id.slice(0, 6)}`,
      profile: { name: profile.name },
      openSession,
      access: {
        private: request.private === true,
        ...(requester.user !== undefined ? { ownerUser: requester.user } : {}),
        allowedUsers: request.allowedUsers ?? [],
      },
      createdBy: requester.user ?? requester.address,
      cols: request.cols ?? TerminalSize.DefaultCols,
      rows: request.rows ?? TerminalSize.DefaultRows,
      scrollback: this.options.scrollback,
      ownerToken,
      writeToken,
      transport: this.options.createTransport(id),
      killGraceMs: this.options.killGraceMs,
      resumeBufferUnits: this.options.resumeBufferUnits,
      timeouts: { clock: this.options.clock, idleMs: this.options.idleTimeoutMs, lifetimeMs: this.options.lifetimeMs },
      mirrors: this.options.mirrors,
      settings: roomSettingsOf(request),
      recordable: this.options.recordable === true,
      transferMaxBytes: this.options.transferMaxBytes,
      now: () => new Date(this.options.clock.now()),
    });
    this.rooms.set(id, room);
    this.createdCount++;
    this.creators.set(room, creator);
    this.auditResizes(room);
    room.onExit((exit) => {
      // The last size changes are written before the close.
      this.resizeAudits.get(room)?.dispose();
      const detail = { reason: exit.reason, exitCode: exit.exitCode, ...(exit.signal ? { signal: exit.signal } : {}) };
      const closer = this.closers.get(room);
      this.options.auditor.record({ event: 'room.closed', room: room.id, actor: closer?.user, address: closer?.address, detail });
      this.scheduleExpiry(room);
    });
    // Revocations are audited where the owner asked for them; an expiry has no one asking, so it is audited here.
    room.access.capabilities.onRemoved(({ info, reason }) => {
      if (reason !== 'expired') return;
      this.options.auditor.record({ event: 'token.revoked', room: room.id, detail: { tokenId: info.id, role: info.role, reason } });
    });
    room.onGrantEnded(({ memberId }) => {
      this.options.auditor.record({ event: 'grant.ended', room: room.id, actor: memberId });
    });
    // Who moved a file which way, how many bytes and how it ended; never a name or a byte of the file.
    room.onTransfer((record) => {
      const detail = record.kind === 'started'
        ? { id: record.id, direction: record.direction }
        : { id: record.id, direction: record.direction, bytes: record.bytes, outcome: record.outcome, ...(record.reason ? { reason: record.reason } : {}) };
      this.options.auditor.record({ event: record.kind === 'started' ? 'transfer.started' : 'transfer.ended', room: room.id, actor: record.memberId, detail });
    });
    room.onTimeout((reason) => {
      void this.close(room.id, reason).catch(() => {
        // Only fails when the room was closed meanwhile, which is the outcome asked for.
      });
    });
    this.options.auditor.record({
      event: 'room.created',
      room: id,
      actor: requester.user,
      address: requester.address,
      // Param values are recorded: they name what the room opened (which pod), they passed the operator's rules, and
      // they are in the process's argv for anyone on the host to see anyway; they are never credentials.
      detail: { profile: profile.name, ...paramsDetail(request.params), ...where, ...(room.pid !== undefined ? { pid: room.pid } : {}), private: room.access.accessPolicy.private },
    });
    this.roomCreatedEmitter.fire(room);
    return { room, ownerToken, writeToken };
  }

  /** The profiles a client may pick, as GET /api/profiles shows them. */
  profileSummaries(): ProfileSummary[] {
    return [...this.options.profiles.values()].map(profileSummary);
  }

  get(id: string): Room | undefined {
    return this.rooms.get(id);
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  /**
   * Removes the room at once (no longer listed or joinable) and ends its process tree. `graceMs`
   * (default: the configured kill grace) is the time between SIGHUP and SIGKILL; `requester` is who
   * asked, for the audit record.
   */
  async close(id: string, reason: ExitReason, options: { requester?: Requester; graceMs?: number } = {}): Promise<void> {
    const { requester, graceMs } = options;
    const room = this.rooms.get(id);
    if (!room) throw new RoomError('not-found', 'no such room');
    if (requester) this.closers.set(room, requester);
    this.rooms.delete(id);
    this.roomRemovedEmitter.fire(id);
    clearTimeout(this.expiryTimers.get(id));
    this.expiryTimers.delete(id);
    const closing = room.close(reason, graceMs).finally(() => {
      room.dispose();
      this.closing.delete(room);
    });
    this.closing.set(room, closing);
    await closing;
  }

  /**
   * Refuses new rooms from now on, closes every room and waits for their processes; used on server
   * shutdown. Rooms already being closed get the (possibly shorter) `graceMs` too.
   */
  async closeAll(reason: ExitReason, graceMs?: number): Promise<void> {
    this.shuttingDown = true;
    const hurried = [...this.closing].map(([room, closing]) => room.close(reason, graceMs).then(() => closing));
    await Promise.all([...[...this.rooms.keys()].map((id) => this.close(id, reason, { graceMs })), ...hurried]);
  }

  /** One `room.resized` record per room per interval, with the size and requester of the last change. */
  private auditResizes(room: Room): void {
    let last: RoomResize | undefined;
    const counter = new AuditCounter(this.options.auditor, this.options.clock, () => ({
      event: 'room.resized',
      room: room.id,
      actor: last?.actor,
      address: last?.address,
      detail: { cols: last?.cols ?? room.cols, rows: last?.rows ?? room.rows },
    }));
    this.resizeAudits.set(room, counter);
    room.onResize((resize) => {
      last = resize;
      counter.note();
    });
  }

  private checkCaps(creator: string, requester: Requester): void {
    const { maxRooms, maxRoomsPerUser } = this.options;
    let refusal: { limit: AuditLimit; max: number; message: string } | undefined;
    if (maxRooms > 0 && this.rooms.size >= maxRooms) {
      refusal = { limit: 'rooms-per-server', max: maxRooms, message: `the server already holds its maximum of ${maxRooms} rooms` };
    } else if (maxRoomsPerUser > 0 && this.countCreatedBy(creator) >= maxRoomsPerUser) {
      refusal = {
        limit: 'rooms-per-user',
        max: maxRoomsPerUser,
        message: `you already hold the maximum of ${maxRoomsPerUser} rooms; close one (or wait for exited ones to expire)`,
      };
    }
    if (!refusal) return;
    this.options.auditor.record({
      event: 'limit.refused',
      actor: requester.user,
      address: requester.address,
      detail: { limit: refusal.limit, max: refusal.max },
    });
    throw new RoomError('too-many-rooms', refusal.message);
  }

  private countCreatedBy(creator: string): number {
    let count = 0;
    for (const room of this.rooms.values()) if (this.creators.get(room) === creator) count++;
    return count;
  }

  private scheduleExpiry(room: Room): void {
    if (!this.rooms.has(room.id)) return;
    const timer = setTimeout(() => {
      this.expiryTimers.delete(room.id);
      if (this.rooms.get(room.id) !== room) return;
      this.rooms.delete(room.id);
      this.roomRemovedEmitter.fire(room.id);
      room.dispose();
    }, this.options.exitedRoomTtlMs);
    this.expiryTimers.set(room.id, timer);
  }

  private unusedId(): string {
    for (;;) {
      const id = randomId(TokenSizes.RoomIdBytes);
      if (!this.rooms.has(id)) return id;
    }
  }
}
