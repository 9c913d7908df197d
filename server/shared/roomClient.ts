// RoomClient: the socket.io side of a room client (the browser's room page, the terminal's `ttyroom attach`). Joins on every connect (resuming the stream where it broke
// off), keeps the output stream in order (snapshot, then contiguous chunks and ordered resizes), paces the
// server with term:ack, and reports connection, catching up, role, members, settings, curtain, typing, chat,
// bookmarks and exit; sends the floor, moderation, chat and bookmark requests and asks for rewind tickets. Knows nothing about xterm or the DOM; a TerminalSink draws.

import type { Socket } from 'socket.io-client';
import type {
  BookmarkPayload,
  ChatMessage,
  ClientToServerEvents,
  CurtainPayload,
  ErrorPayload,
  ExitPayload,
  JoinRequest,
  MemberInfo,
  NoticePayload,
  ResizePayload,
  RewindTicketReply,
  Role,
  RoomSettings,
  RoomSettingsPatch,
  ServerToClientEvents,
  TelemetryPayload,
} from './events.js';
import { roleAtLeast } from './events.js';
import { AckPolicy } from './flowControl.js';
import { PayloadLimits, TerminalSize } from './limits.js';
import { Disposable, toDisposable } from './disposable.js';
import { Emitter } from './emitter.js';
import {
  parseBookmark,
  parseBookmarks,
  parseChat,
  parseCredential,
  parsePass,
  parseCurtain,
  parseError,
  parseExit,
  parseJoinReply,
  parseMembers,
  parseNotice,
  parseOutput,
  parseResizeEvent,
  parseRoleChange,
  parseSettings,
  parseSnapshot,
  parseTelemetry,
  parseTicketReply,
  parseTyping,
} from './serverPayloads.js';

export type RoomSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Where the stream is drawn. Every call is queued behind the data written before it. */
export interface TerminalSink {
  /** After everything written so far: reset, resize to cols × rows, then parse `data`; `parsed` runs after it. */
  replace(cols: number, rows: number, data: Uint8Array, parsed: () => void): void;
  /** Parse `data` after everything written so far; `parsed` runs right after it. */
  write(data: string, parsed: () => void): void;
  /** Resize once everything written so far has been parsed (a resize is a point in the stream). */
  resize(cols: number, rows: number): void;
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface JoinFailure {
  code: string;
  message: string;
}

export interface RoomClientOptions {
  roomId: string;
  token?: string;
  name?: string;
  /** This client takes part in file transfers (client/src/zmodemTransfer.ts listens on the same socket). */
  transfers?: boolean;
}

/** Join handshake timing, in milliseconds. */
export const JoinPolicy = {
  /** A server that has not answered a join in this long is treated as failed; the join is retried. */
  TimeoutMs: 10_000,
  /** Wait before retrying a join that failed for a passing reason (rate limit, full room, timeout). */
  RetryDelayMs: 3_000,
} as const;

/** Rewind timing, in milliseconds. */
export const RewindTiming = {
  /** A ticket request the server has not answered in this long failed (the page says so; the member may try again). */
  TicketTimeoutMs: 10_000,
} as const;

/** Join failures that a later attempt may not get: retrying would only repeat the refusal. */
const FINAL_JOIN_FAILURES: ReadonlySet<string> = new Set(['not-found', 'forbidden', 'bad-request', 'conflict']);

export function canWrite(role: Role | undefined): boolean {
  return role !== undefined && roleAtLeast(role, 'writer');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Splits input into `term:input` chunks of at most `maxUnits` code units without splitting a surrogate pair. */
export function splitInput(data: string, maxUnits: number = PayloadLimits.MaxInputChunk): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < data.length) {
    let end = Math.min(start + maxUnits, data.length);
    if (end < data.length && end - 1 > start && isHighSurrogate(data.charCodeAt(end - 1))) end -= 1;
    chunks.push(data.slice(start, end));
    start = end;
  }
  return chunks;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}

export function clampSize(size: ResizePayload): ResizePayload {
  return {
    cols: clamp(size.cols, TerminalSize.MinCols, TerminalSize.MaxCols),
    rows: clamp(size.rows, TerminalSize.MinRows, TerminalSize.MaxRows),
  };
}

export class RoomClient extends Disposable {
  private readonly stateEmitter = this.register(new Emitter<ConnectionState>());
  /** Connection state: `connected` means joined, not merely that the socket is open. */
  readonly onState = this.stateEmitter.event;
  private readonly roleEmitter = this.register(new Emitter<Role | undefined>());
  readonly onRole = this.roleEmitter.event;
  private readonly joinedEmitter = this.register(new Emitter<void>());
  /** A join (first or after a reconnect) was accepted. */
  readonly onJoined = this.joinedEmitter.event;
  private readonly joinFailedEmitter = this.register(new Emitter<JoinFailure>());
  readonly onJoinFailed = this.joinFailedEmitter.event;
  private readonly membersEmitter = this.register(new Emitter<MemberInfo[]>());
  readonly onMembers = this.membersEmitter.event;
  private readonly exitEmitter = this.register(new Emitter<ExitPayload>());
  readonly onExit = this.exitEmitter.event;
  private readonly catchingUpEmitter = this.register(new Emitter<boolean>());
  /** True while the server holds back our stream because we fell behind; false once its snapshot arrived. */
  readonly onCatchingUp = this.catchingUpEmitter.event;
  private readonly errorEmitter = this.register(new Emitter<ErrorPayload>());
  /** The server refused something we sent (`room:error`). */
  readonly onError = this.errorEmitter.event;
  private readonly noticeEmitter = this.register(new Emitter<NoticePayload>());
  /** Something about the whole room, such as a coming idle close (`room:notice`). */
  readonly onNotice = this.noticeEmitter.event;
  private readonly waitingEmitter = this.register(new Emitter<boolean>());
  /** True while we wait for the owner's approval (nothing of the room arrives); false once admitted. */
  readonly onWaiting = this.waitingEmitter.event;
  private readonly settingsEmitter = this.register(new Emitter<RoomSettings>());
  readonly onSettings = this.settingsEmitter.event;
  private readonly curtainEmitter = this.register(new Emitter<CurtainPayload>());
  readonly onCurtain = this.curtainEmitter.event;
  private readonly typingEmitter = this.register(new Emitter<string>());
  /** A member's input was just accepted: its id. */
  readonly onTyping = this.typingEmitter.event;
  private readonly chatEmitter = this.register(new Emitter<ChatMessage>());
  readonly onChat = this.chatEmitter.event;
  private readonly bookmarkEmitter = this.register(new Emitter<{ bookmark: BookmarkPayload; live: boolean }>());
  /** A bookmark: `live` when just dropped (`room:bookmark`), not when it came in the list a join brings. */
  readonly onBookmark = this.bookmarkEmitter.event;
  private readonly telemetryEmitter = this.register(new Emitter<TelemetryPayload>());
  /** A sample of the room's processes (`room:telemetry`), every few seconds while we are admitted. */
  readonly onTelemetry = this.telemetryEmitter.event;
  private readonly credentialEmitter = this.register(new Emitter<string>());
  /** A hand-over made us the owner: our new owner token, sent once. */
  readonly onCredential = this.credentialEmitter.event;

  private stateValue: ConnectionState = 'connecting';
  private roleValue: Role | undefined;
  private memberIdValue: string | undefined;
  private joined = false;
  private everJoined = false;
  private exitedValue = false;
  private catchingUpValue = false;
  /** Set when we close the socket ourselves to resynchronise; the disconnect is then not the user's doing. */
  private resyncing = false;
  private name: string | undefined;
  private token: string | undefined;

  /**
   * Bumped on every snapshot. Parse callbacks carry the epoch they were queued in, so a stream that was
   * replaced can no longer move the offset or send acks. A reconnect that resumes keeps the stream.
   */
  private epoch = 0;
  /**
   * Offset the next chunk must start at; undefined until a snapshot has arrived. Kept across a dropped
   * connection: the next join asks to resume from it.
   */
  private expectedOffset: number | undefined;
  private parsedOffsetValue = 0;
  private ackedOffset = 0;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private joinAttempt = 0;
  private ptySizeValue: ResizePayload | undefined;
  private waitingValue = false;
  /** The window size we last reported on this connection (a new join reports again). */
  private reportedSize: ResizePayload | undefined;
  private grantUntilValue: string | undefined;
  private settingsValue: RoomSettings | undefined;
  /** The curtain as the server last told this page (a new connection is told only of one that is down). */
  private curtainDown = false;
  /** Chat message ids already shown: a rejoin sends the recent history again. */
  private lastChatId = -1;
  /** Bookmark ids already told: a rejoin sends the list again. */
  private lastBookmarkId = 0;

  constructor(
    private readonly socket: RoomSocket,
    private readonly sink: TerminalSink,
    private readonly options: RoomClientOptions,
  ) {
    super();
    this.name = options.name;
    this.token = options.token;
    this.register(toDisposable(() => this.clearTimers()));

    socket.on('connect', this.handleConnect);
    socket.on('disconnect', this.handleDisconnect);
    socket.on('connect_error', this.handleConnectError);
    socket.on('term:snapshot', this.handleSnapshot);
    socket.on('term:output', this.handleOutput);
    socket.on('term:resize', this.handleResize);
    socket.on('term:behind', this.handleBehind);
    socket.on('term:exit', this.handleExit);
    socket.on('room:members', this.handleMembers);
    socket.on('room:role', this.handleRole);
    socket.on('room:error', this.handleError);
    socket.on('room:notice', this.handleNotice);
    socket.on('room:waiting', this.handleWaiting);
    socket.on('room:settings', this.handleSettings);
    socket.on('room:curtain', this.handleCurtain);
    socket.on('room:typing', this.handleTyping);
    socket.on('chat:message', this.handleChat);
    socket.on('room:bookmark', this.handleBookmark);
    socket.on('room:bookmarks', this.handleBookmarks);
    socket.on('room:telemetry', this.handleTelemetry);
    socket.on('room:credential', this.handleCredential);
    socket.on('room:pass', this.handlePass);
    this.register(
      toDisposable(() => {
        socket.off('connect', this.handleConnect);
        socket.off('disconnect', this.handleDisconnect);
        socket.off('connect_error', this.handleConnectError);
        socket.off('term:snapshot', this.handleSnapshot);
        socket.off('term:output', this.handleOutput);
        socket.off('term:resize', this.handleResize);
        socket.off('term:behind', this.handleBehind);
        socket.off('term:exit', this.handleExit);
        socket.off('room:members', this.handleMembers);
        socket.off('room:role', this.handleRole);
        socket.off('room:error', this.handleError);
        socket.off('room:notice', this.handleNotice);
        socket.off('room:waiting', this.handleWaiting);
        socket.off('room:settings', this.handleSettings);
        socket.off('room:curtain', this.handleCurtain);
        socket.off('room:typing', this.handleTyping);
        socket.off('chat:message', this.handleChat);
        socket.off('room:bookmark', this.handleBookmark);
        socket.off('room:bookmarks', this.handleBookmarks);
        socket.off('room:telemetry', this.handleTelemetry);
        socket.off('room:credential', this.handleCredential);
        socket.off('room:pass', this.handlePass);
        socket.disconnect();
      }),
    );
    if (socket.connected) this.handleConnect();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get role(): Role | undefined {
    return this.roleValue;
  }

  get memberId(): string | undefined {
    return this.memberIdValue;
  }

  get exited(): boolean {
    return this.exitedValue;
  }

  get catchingUp(): boolean {
    return this.catchingUpValue;
  }

  /** Waiting for the owner to let us in. */
  get waiting(): boolean {
    return this.waitingValue;
  }

  /** ISO 8601 end of our timed grant of the keyboard, while we hold one. */
  get grantUntil(): string | undefined {
    return this.grantUntilValue;
  }

  /** The room's settings, once the server has sent them. */
  get settings(): RoomSettings | undefined {
    return this.settingsValue;
  }

  /** Everything before this offset has been parsed by our terminal (what we ack). */
  get parsedOffset(): number {
    return this.parsedOffsetValue;
  }

  /** The PTY size as last announced by the server (snapshot or resize), once known. */
  get ptySize(): ResizePayload | undefined {
    return this.ptySizeValue;
  }

  /** Sends keystrokes or a paste; dropped unless we are joined with a role that may type. */
  sendInput(data: string): void {
    if (!this.joined || !canWrite(this.roleValue) || this.exitedValue) return;
    for (const chunk of splitInput(data)) this.socket.emit('term:input', chunk);
  }

  /**
   * Whether the room's resize policy counts our window: the owner's under 'owner', every writer's and owner's
   * under 'smallest', nobody's under 'fixed'. Anything else would only be refused.
   */
  get mayResize(): boolean {
    if (!this.joined || this.waitingValue || this.exitedValue || this.roleValue === undefined) return false;
    switch (this.settingsValue?.resize ?? 'owner') {
      case 'owner':
        return this.roleValue === 'owner';
      case 'smallest':
        return canWrite(this.roleValue);
      case 'fixed':
        return false;
    }
  }

  /** Reports our fitted window size when the resize policy counts it; our terminal follows when the server says so. */
  requestResize(size: ResizePayload): void {
    if (!this.mayResize) return;
    const clamped = clampSize(size);
    // Under 'smallest' the server weighs every writer's window, so ours counts even when it matches the PTY's
    // size now; under 'owner' a size the PTY already has would change nothing.
    const smallest = this.settingsValue?.resize === 'smallest';
    const current = smallest ? this.reportedSize : this.ptySizeValue;
    if (current !== undefined && current.cols === clamped.cols && current.rows === clamped.rows) return;
    this.reportedSize = clamped;
    this.socket.emit('term:resize', clamped);
  }

  /**
   * The owner hands a member the keyboard (writer; for `seconds` if given, then it reverts by itself) or takes
   * it back (viewer); the server says when it happened.
   */
  setMemberRole(memberId: string, role: 'viewer' | 'writer', seconds?: number): void {
    if (!this.isOwnerNow()) return;
    this.socket.emit('member:role', seconds === undefined ? { memberId, role } : { memberId, role, seconds });
  }

  raiseHand(): void {
    if (this.joined && !this.waitingValue) this.socket.emit('hand:raise');
  }

  /** Lowers our own hand, or (owner) someone else's: "not now". */
  lowerHand(memberId?: string): void {
    if (!this.joined || this.waitingValue) return;
    if (memberId === undefined || memberId === this.memberIdValue) this.socket.emit('hand:lower');
    else if (this.isOwnerNow()) this.socket.emit('hand:lower', { memberId });
  }

  kick(memberId: string): void {
    if (this.isOwnerNow()) this.socket.emit('member:kick', { memberId });
  }

  admit(memberId: string, allow: boolean): void {
    if (this.isOwnerNow()) this.socket.emit('member:admit', { memberId, allow });
  }

  handOver(memberId: string): void {
    if (this.isOwnerNow()) this.socket.emit('room:handover', { memberId });
  }

  updateSettings(patch: RoomSettingsPatch): void {
    if (this.isOwnerNow()) this.socket.emit('room:settings', patch);
  }

  /** Lowers the curtain (`audience`: writers who still see) or lifts it (`clear`: clear the screen first). */
  setCurtain(request: { down: true; audience?: string[] } | { down: false; clear: boolean }): void {
    if (this.isOwnerNow()) this.socket.emit('room:curtain', request);
  }

  sendChat(text: string): boolean {
    if (!this.joined || this.waitingValue || text.length === 0 || text.length > PayloadLimits.MaxChatLength) return false;
    this.socket.emit('chat:send', text);
    return true;
  }

  /** Drops a bookmark at now; false when it cannot be sent (not in the room, or no label). */
  addBookmark(label: string): boolean {
    const trimmed = label.trim();
    if (!this.joined || this.waitingValue || trimmed.length === 0 || trimmed.length > PayloadLimits.MaxBookmarkLength) return false;
    this.socket.emit('bookmark:add', { label: trimmed });
    return true;
  }

  /** Asks for a one-time ticket to fetch the room's history (docs/protocol.md, Rewind). */
  async rewindTicket(): Promise<RewindTicketReply> {
    if (!this.joined || this.waitingValue) return { ok: false, code: 'bad-request', message: 'not in the room' };
    try {
      return parseTicketReply(await this.socket.timeout(RewindTiming.TicketTimeoutMs).emitWithAck('rewind:ticket'));
    } catch {
      return { ok: false, code: 'internal', message: 'the server did not answer; try again' };
    }
  }

  private isOwnerNow(): boolean {
    return this.joined && !this.waitingValue && this.roleValue === 'owner' && !this.exitedValue;
  }

  /** The credential later joins use (a hand-over's owner token); the handshake's is the caller's to update. */
  useToken(token: string): void {
    this.token = token;
  }

  /** Changes our display name; it reaches the others with the next join, so we rejoin now. */
  rename(name: string | undefined): void {
    this.name = name;
    this.resync();
  }

  private setState(state: ConnectionState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }

  private setRole(role: Role | undefined): void {
    if (role === this.roleValue) return;
    this.roleValue = role;
    this.roleEmitter.fire(role);
  }

  /** Drops the current stream and joins again over a fresh connection, which brings a fresh snapshot. */
  private resync(): void {
    if (this.isDisposed) return;
    this.resyncing = true;
    this.expectedOffset = undefined;
    this.socket.disconnect();
    this.socket.connect();
  }

  private clearTimers(): void {
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.ackTimer = undefined;
    this.retryTimer = undefined;
  }

  private readonly handleConnect = (): void => {
    this.resyncing = false;
    this.reportedSize = undefined;
    this.joined = false;
    const attempt = ++this.joinAttempt;
    const request: JoinRequest = { roomId: this.options.roomId, acks: true };
    // The server sends only what we missed when it still holds it, else a snapshot (handled either way).
    if (this.expectedOffset !== undefined) request.resumeFrom = this.expectedOffset;
    if (this.token !== undefined) request.token = this.token;
    if (this.name !== undefined) request.name = this.name;
    // Back past approval and a lock after a dropped connection; the server issues a new pass once we are in.
    if (this.rejoinPass !== undefined) request.pass = this.rejoinPass;
    if (this.options.transfers === true) request.transfers = true;
    this.socket.timeout(JoinPolicy.TimeoutMs).emit('room:join', request, (error, reply: unknown) => {
      // A reply to an older connection's join says nothing about this one.
      if (attempt !== this.joinAttempt || this.isDisposed) return;
      if (error) {
        this.handleJoinFailure({ code: 'timeout', message: 'The server did not answer in time; retrying.' });
        return;
      }
      const parsed = parseJoinReply(reply);
      if (parsed === undefined) {
        this.handleJoinFailure({ code: 'internal', message: 'The server sent an unreadable join reply.' });
      } else if (!parsed.ok) {
        this.handleJoinFailure({ code: parsed.code, message: parsed.message });
      } else {
        this.joined = true;
        this.everJoined = true;
        this.memberIdValue = parsed.memberId;
        // A new connection is a new member: a timed grant ended with the old one.
        this.grantUntilValue = undefined;
        this.setWaiting(parsed.waiting === true);
        this.setRole(parsed.role);
        this.setState('connected');
        // The server tells a joiner of the curtain only while it is down, right after this reply: one lifted
        // while we were away would otherwise go on covering the terminal.
        if (this.curtainDown) {
          this.curtainDown = false;
          this.curtainEmitter.fire({ down: false });
        }
        this.joinedEmitter.fire();
      }
    });
  };

  private handleJoinFailure(failure: JoinFailure): void {
    this.joinFailedEmitter.fire(failure);
    if (FINAL_JOIN_FAILURES.has(failure.code)) {
      this.setRole(undefined);
      this.socket.disconnect();
      this.setState('disconnected');
      return;
    }
    this.setState('reconnecting');
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.resync();
    }, JoinPolicy.RetryDelayMs);
  }

  private readonly handleDisconnect = (reason: Socket.DisconnectReason): void => {
    this.joined = false;
    this.setCatchingUp(false);
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    // socket.io reconnects by itself except after a deliberate disconnect by either side.
    const gaveUp = reason === 'io server disconnect' || (reason === 'io client disconnect' && !this.resyncing);
    if (gaveUp) {
      // A join failure already said why; keep that state instead of overwriting it.
      if (this.stateValue !== 'disconnected') this.setState('disconnected');
    } else {
      this.setState(this.everJoined ? 'reconnecting' : 'connecting');
    }
  };

  private readonly handleConnectError = (): void => {
    // `active` false means the server refused the connection itself (middleware); socket.io will not retry.
    if (!this.socket.active) this.setState('disconnected');
    else this.setState(this.everJoined ? 'reconnecting' : 'connecting');
  };

  private readonly handleSnapshot = (payload: unknown): void => {
    const snapshot = parseSnapshot(payload);
    if (snapshot === undefined) return;
    this.epoch += 1;
    const epoch = this.epoch;
    this.setCatchingUp(false);
    this.expectedOffset = snapshot.offset;
    this.ptySizeValue = { cols: snapshot.cols, rows: snapshot.rows };
    this.sink.replace(snapshot.cols, snapshot.rows, snapshot.data, () => {
      if (epoch !== this.epoch) return;
      this.parsedOffsetValue = snapshot.offset;
      this.sendAck(true);
    });
  };

  private readonly handleOutput = (payload: unknown): void => {
    const output = parseOutput(payload);
    const expected = this.expectedOffset;
    // The server sends the snapshot first; a chunk before it has no place on our screen.
    if (output === undefined || expected === undefined) return;
    if (output.offset > expected) {
      // A gap would leave the screen silently wrong; a fresh snapshot is the only way back to exact.
      this.resync();
      return;
    }
    const end = output.offset + output.data.length;
    if (end <= expected) return;
    // Overlaps with what we already have (e.g. a repeat after a resume) are cut, never written twice.
    const data = output.data.slice(expected - output.offset);
    this.expectedOffset = end;
    const epoch = this.epoch;
    this.sink.write(data, () => this.noteParsed(end, epoch));
  };

  private readonly handleResize = (payload: unknown): void => {
    const resize = parseResizeEvent(payload);
    const expected = this.expectedOffset;
    if (resize === undefined || expected === undefined) return;
    if (resize.offset > expected) {
      this.resync();
      return;
    }
    this.ptySizeValue = { cols: resize.cols, rows: resize.rows };
    this.sink.resize(resize.cols, resize.rows);
  };

  private readonly handleBehind = (): void => {
    // Output stops until a snapshot replaces what we would have missed; nothing to do but say so.
    if (this.expectedOffset !== undefined) this.setCatchingUp(true);
  };

  private readonly handleExit = (payload: unknown): void => {
    const exit = parseExit(payload);
    if (exit === undefined) return;
    this.exitedValue = true;
    this.exitEmitter.fire(exit);
  };

  private readonly handleMembers = (payload: unknown): void => {
    const members = parseMembers(payload);
    if (members !== undefined) this.membersEmitter.fire(members);
  };

  private readonly handleRole = (payload: unknown): void => {
    const change = parseRoleChange(payload);
    if (change === undefined) return;
    this.grantUntilValue = change.until;
    // Being told a role while waiting means the owner let us in.
    this.setWaiting(false);
    if (change.role === this.roleValue) this.roleEmitter.fire(change.role);
    else this.setRole(change.role);
  };

  private readonly handleWaiting = (): void => {
    this.setWaiting(true);
  };

  private readonly handleSettings = (payload: unknown): void => {
    const settings = parseSettings(payload);
    if (settings === undefined) return;
    this.settingsValue = settings;
    this.settingsEmitter.fire(settings);
  };

  private readonly handleCurtain = (payload: unknown): void => {
    const curtain = parseCurtain(payload);
    if (curtain === undefined) return;
    this.curtainDown = curtain.down;
    this.curtainEmitter.fire(curtain);
  };

  private readonly handleTyping = (payload: unknown): void => {
    const typing = parseTyping(payload);
    if (typing !== undefined) this.typingEmitter.fire(typing.memberId);
  };

  private readonly handleChat = (payload: unknown): void => {
    const message = parseChat(payload);
    if (message === undefined || message.id <= this.lastChatId) return;
    this.lastChatId = message.id;
    this.chatEmitter.fire(message);
  };

  private readonly handleBookmark = (payload: unknown): void => {
    const bookmark = parseBookmark(payload);
    if (bookmark === undefined || bookmark.id <= this.lastBookmarkId) return;
    this.lastBookmarkId = bookmark.id;
    this.bookmarkEmitter.fire({ bookmark, live: true });
  };

  private readonly handleBookmarks = (payload: unknown): void => {
    for (const bookmark of parseBookmarks(payload)) {
      if (bookmark.id <= this.lastBookmarkId) continue;
      this.lastBookmarkId = bookmark.id;
      this.bookmarkEmitter.fire({ bookmark, live: false });
    }
  };

  private readonly handleTelemetry = (payload: unknown): void => {
    const telemetry = parseTelemetry(payload);
    if (telemetry) this.telemetryEmitter.fire(telemetry);
  };

  /** The room's rejoin pass for this page (kept in memory only: a reload is a new visitor as far as approval goes). */
  private rejoinPass: string | undefined;

  private readonly handlePass = (payload: unknown): void => {
    const pass = parsePass(payload);
    if (pass !== undefined) this.rejoinPass = pass;
  };

  private readonly handleCredential = (payload: unknown): void => {
    const token = parseCredential(payload);
    if (token !== undefined) this.credentialEmitter.fire(token);
  };

  private setWaiting(value: boolean): void {
    if (value === this.waitingValue) return;
    this.waitingValue = value;
    this.waitingEmitter.fire(value);
  }

  private readonly handleError = (payload: unknown): void => {
    const error = parseError(payload);
    if (error !== undefined) this.errorEmitter.fire(error);
  };

  private readonly handleNotice = (payload: unknown): void => {
    const notice = parseNotice(payload);
    if (notice !== undefined) this.noticeEmitter.fire(notice);
  };

  private setCatchingUp(value: boolean): void {
    if (value === this.catchingUpValue) return;
    this.catchingUpValue = value;
    this.catchingUpEmitter.fire(value);
  }

  private noteParsed(offset: number, epoch: number): void {
    if (epoch !== this.epoch) return;
    this.parsedOffsetValue = offset;
    if (offset - this.ackedOffset >= AckPolicy.MaxUnackedUnits) {
      this.sendAck(false);
    } else if (this.ackTimer === undefined) {
      this.ackTimer = setTimeout(() => this.sendAck(false), AckPolicy.MaxDelayMs);
    }
  }

  /** `force` acks even without progress: the ack right after a snapshot tells the server where we start. */
  private sendAck(force: boolean): void {
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    // Only the current join may ack: acks sent before it would be refused ("join a room first").
    if (!this.socket.connected || !this.joined) return;
    if (!force && this.parsedOffsetValue <= this.ackedOffset) return;
    this.ackedOffset = this.parsedOffsetValue;
    this.socket.emit('term:ack', { offset: this.parsedOffsetValue });
  }
}
