// Validators for server → client payloads: the client treats them as `unknown` too (docs/architecture.md, Conventions), so a
// malformed or newer-than-expected message is dropped instead of throwing inside xterm or the page.

import type {
  BookmarkPayload,
  ChatMessage,
  CurtainPayload,
  ErrorCode,
  ErrorPayload,
  ExitPayload,
  ExitReason,
  JoinReply,
  MemberInfo,
  MemberState,
  NoticeCode,
  NoticePayload,
  OutputPayload,
  ResizeEventPayload,
  RewindTicketReply,
  Role,
  RoleChangePayload,
  RoomResizePolicy,
  RoomSettings,
  SnapshotPayload,
  TelemetryPayload,
  TransferDirection,
  TransferEndPayload,
  TransferEndReason,
  TransferStartPayload,
  TransferStatePayload,
  TypingPayload,
} from './events.js';
import { PayloadLimits } from './limits.js';
import { parseId, parseOffset, parseSize, sanitizeName } from './validate.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A CSS hex colour, so a member entry cannot smuggle anything else into a style. */
const HEX_COLOUR = /^#[0-9a-fA-F]{6}$/;
/** Neutral grey for an entry whose colour was missing or malformed. */
const UNKNOWN_COLOUR = '#868e96';

function isDate(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

const ROLES: readonly Role[] = ['viewer', 'writer', 'owner'];
const EXIT_REASONS: readonly ExitReason[] = ['exited', 'closed', 'server-shutdown', 'idle-timeout', 'lifetime', 'host-gone', 'auth-failed', 'connection-closed', 'node-lost'];
const NOTICE_CODES: readonly NoticeCode[] = ['idle-warning', 'idle-cleared', 'lifetime-warning', 'mirror-restarted', 'transfer-refused'];

export function parseRole(value: unknown): Role | undefined {
  return ROLES.find((role) => role === value);
}

/** `room:role` payload, with the end of a timed grant when there is one. */
export function parseRoleChange(value: unknown): RoleChangePayload | undefined {
  if (!isRecord(value)) return undefined;
  const role = parseRole(value.role);
  if (role === undefined) return undefined;
  return isDate(value.until) ? { role, until: value.until } : { role };
}

const RESIZE_POLICIES: readonly RoomResizePolicy[] = ['owner', 'smallest', 'fixed'];

/** `room:settings`: always the whole set; a partial one is dropped rather than guessed at. */
export function parseSettings(value: unknown): RoomSettings | undefined {
  if (!isRecord(value)) return undefined;
  const floor = value.floor === 'driver' || value.floor === 'many' ? value.floor : undefined;
  const resize = RESIZE_POLICIES.find((policy) => policy === value.resize);
  const flags = [value.locked, value.approval, value.chat];
  if (floor === undefined || resize === undefined || !flags.every((flag) => typeof flag === 'boolean')) return undefined;
  // `record` is newer than the rest: a server that does not send it does not record.
  return { locked: value.locked === true, approval: value.approval === true, floor, chat: value.chat === true, resize, record: value.record === true };
}

export function parseCurtain(value: unknown): CurtainPayload | undefined {
  if (!isRecord(value) || typeof value.down !== 'boolean') return undefined;
  return value.down ? { down: true, sees: value.sees === true } : { down: false };
}

export function parseTyping(value: unknown): TypingPayload | undefined {
  return isRecord(value) && typeof value.memberId === 'string' ? { memberId: value.memberId } : undefined;
}

/** `chat:message`: text stays a string to be shown with textContent; the colour must be a plain hex colour. */
export function parseChat(value: unknown): ChatMessage | undefined {
  if (!isRecord(value)) return undefined;
  const { id, memberId, name, text, at } = value;
  if (typeof id !== 'number' || typeof memberId !== 'string' || typeof name !== 'string' || typeof text !== 'string' || !isDate(at)) {
    return undefined;
  }
  const colour = typeof value.colour === 'string' && HEX_COLOUR.test(value.colour) ? value.colour : UNKNOWN_COLOUR;
  return { id, memberId, name, colour, text, at };
}

/** `room:bookmark` (and each of `room:bookmarks`): label and name stay strings shown with textContent. */
export function parseBookmark(value: unknown): BookmarkPayload | undefined {
  if (!isRecord(value)) return undefined;
  const { id, memberId, name, label, at } = value;
  if (typeof id !== 'number' || typeof memberId !== 'string' || typeof name !== 'string' || typeof label !== 'string' || !isDate(at)) {
    return undefined;
  }
  const colour = typeof value.colour === 'string' && HEX_COLOUR.test(value.colour) ? value.colour : UNKNOWN_COLOUR;
  return { id, memberId, name, colour, label, at };
}

/** `room:bookmarks`: the list a joiner gets; malformed entries are left out. */
export function parseBookmarks(value: unknown): BookmarkPayload[] {
  if (!Array.isArray(value)) return [];
  return value.map(parseBookmark).filter((bookmark): bookmark is BookmarkPayload => bookmark !== undefined);
}

/** `room:telemetry`: non-negative finite numbers and a date, or nothing. */
export function parseTelemetry(value: unknown): TelemetryPayload | undefined {
  if (!isRecord(value)) return undefined;
  const { at, cpuPercent, memoryBytes, processes } = value;
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (!isDate(at) || !count(cpuPercent) || !count(memoryBytes) || !count(processes)) return undefined;
  return { at, cpuPercent, memoryBytes, processes };
}

/** `rewind:ticket`'s acknowledgement; anything unreadable is a refusal. */
export function parseTicketReply(value: unknown): RewindTicketReply {
  if (isRecord(value) && value.ok === true && typeof value.ticket === 'string' && isDate(value.expiresAt)) {
    return { ok: true, ticket: value.ticket, expiresAt: value.expiresAt };
  }
  if (isRecord(value) && value.ok === false && typeof value.code === 'string' && typeof value.message === 'string') {
    return { ok: false, code: value.code as ErrorCode, message: value.message };
  }
  return { ok: false, code: 'internal', message: 'the server\'s answer could not be read' };
}

/** `room:credential`: the owner token a hand-over gave us. */
/** `room:pass`: the rejoin pass, a token-shaped string. */
export function parsePass(value: unknown): string | undefined {
  return isRecord(value) ? parseId(value.pass, PayloadLimits.MaxTokenLength) : undefined;
}

export function parseCredential(value: unknown): string | undefined {
  return isRecord(value) && typeof value.token === 'string' && value.token.length > 0 ? value.token : undefined;
}

/** The snapshot's screen arrives as a binary attachment: an ArrayBuffer in browsers, a Buffer in Node. */
export function parseSnapshot(value: unknown): SnapshotPayload | undefined {
  if (!isRecord(value)) return undefined;
  const data = value.data instanceof ArrayBuffer ? new Uint8Array(value.data) : value.data instanceof Uint8Array ? value.data : undefined;
  const offset = parseOffset(value.offset);
  const size = parseSize(value);
  if (data === undefined || offset === undefined || size === undefined) return undefined;
  return { offset, cols: size.cols, rows: size.rows, data };
}

export function parseOutput(value: unknown): OutputPayload | undefined {
  if (!isRecord(value) || typeof value.data !== 'string') return undefined;
  const offset = parseOffset(value.offset);
  return offset === undefined ? undefined : { offset, data: value.data };
}

export function parseResizeEvent(value: unknown): ResizeEventPayload | undefined {
  if (!isRecord(value)) return undefined;
  const offset = parseOffset(value.offset);
  const size = parseSize(value);
  if (offset === undefined || size === undefined) return undefined;
  return { offset, cols: size.cols, rows: size.rows };
}

export function parseExit(value: unknown): ExitPayload | undefined {
  if (!isRecord(value)) return undefined;
  // A reason newer than this client is still an end: shown as the program's, never dropped.
  const reason = EXIT_REASONS.find((known) => known === value.reason) ?? (typeof value.reason === 'string' ? 'exited' : undefined);
  if (reason === undefined || typeof value.exitCode !== 'number') return undefined;
  const exit: ExitPayload = { exitCode: value.exitCode, reason };
  if (typeof value.signal === 'string' && value.signal.length > 0) exit.signal = value.signal;
  return exit;
}

const MEMBER_STATES: readonly MemberState[] = ['waiting', 'joining', 'live', 'behind', 'curtained'];

export function parseMembers(value: unknown): MemberInfo[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const members: MemberInfo[] = [];
  for (const item of value) {
    if (!isRecord(item) || typeof item.id !== 'string' || typeof item.name !== 'string') return undefined;
    const role = parseRole(item.role);
    if (role === undefined) return undefined;
    const member: MemberInfo = {
      id: item.id,
      name: item.name,
      role,
      colour: typeof item.colour === 'string' && HEX_COLOUR.test(item.colour) ? item.colour : UNKNOWN_COLOUR,
      hand: item.hand === true,
      state: MEMBER_STATES.find((state) => state === item.state) ?? 'live',
    };
    if (isDate(item.handSince)) member.handSince = item.handSince;
    if (isDate(item.grantUntil)) member.grantUntil = item.grantUntil;
    if (item.signedIn === true) member.signedIn = true;
    members.push(member);
  }
  return members;
}

export function parseError(value: unknown): ErrorPayload | undefined {
  if (!isRecord(value) || typeof value.code !== 'string' || typeof value.message !== 'string') return undefined;
  // The code is shown, never branched on for security, so an unknown code is kept as it came.
  return { code: value.code as ErrorCode, message: value.message };
}

/** `room:notice`; a code this client does not know is dropped, since it would not know how to show it. */
export function parseNotice(value: unknown): NoticePayload | undefined {
  if (!isRecord(value) || typeof value.message !== 'string') return undefined;
  const code = NOTICE_CODES.find((known) => known === value.code);
  if (code === undefined) return undefined;
  const notice: NoticePayload = { code, message: value.message };
  if (typeof value.closesAt === 'string' && !Number.isNaN(Date.parse(value.closesAt))) notice.closesAt = value.closesAt;
  return notice;
}

export function parseJoinReply(value: unknown): JoinReply | undefined {
  if (!isRecord(value)) return undefined;
  if (value.ok === true) {
    const role = parseRole(value.role);
    if (role === undefined || typeof value.memberId !== 'string') return undefined;
    const colour = typeof value.colour === 'string' && HEX_COLOUR.test(value.colour) ? value.colour : UNKNOWN_COLOUR;
    return value.waiting === true
      ? { ok: true, role, memberId: value.memberId, colour, waiting: true }
      : { ok: true, role, memberId: value.memberId, colour };
  }
  if (value.ok === false) {
    const error = parseError(value);
    return error === undefined ? undefined : { ok: false, code: error.code, message: error.message };
  }
  return undefined;
}

const TRANSFER_DIRECTIONS: readonly TransferDirection[] = ['download', 'upload'];
const TRANSFER_OUTCOMES: ReadonlyArray<TransferEndPayload['outcome']> = ['completed', 'cancelled'];
const TRANSFER_END_REASONS: readonly TransferEndReason[] = [
  'member', 'program', 'too-large', 'idle', 'keyboard', 'left', 'no-writer', 'disabled', 'overrun', 'room-ended',
];

function isCount(value: unknown): value is number {
  return parseOffset(value) !== undefined;
}

function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

/** `transfer:start`: a transfer offered to this member. */
export function parseTransferStart(value: unknown): TransferStartPayload | undefined {
  if (!isRecord(value)) return undefined;
  const { id, direction, maxBytes } = value;
  if (!isCount(id) || !isOneOf(direction, TRANSFER_DIRECTIONS) || !isCount(maxBytes)) return undefined;
  return { id, direction, maxBytes };
}

/** `transfer:end`: this member's transfer is over. */
export function parseTransferEnd(value: unknown): TransferEndPayload | undefined {
  if (!isRecord(value)) return undefined;
  const { id, outcome, reason, bytes } = value;
  if (!isCount(id) || !isOneOf(outcome, TRANSFER_OUTCOMES) || !isCount(bytes)) return undefined;
  if (reason !== undefined && !isOneOf(reason, TRANSFER_END_REASONS)) return undefined;
  return reason === undefined ? { id, outcome, bytes } : { id, outcome, reason, bytes };
}

/** `room:transfer`: a transfer runs in the room, or ended; the name is cleaned as member names are. */
export function parseTransferState(value: unknown): TransferStatePayload | undefined {
  if (!isRecord(value) || !isCount(value.id)) return undefined;
  const { id } = value;
  if (value.active === true) {
    const { memberId, name, direction } = value;
    if (typeof memberId !== 'string' || typeof name !== 'string' || !isOneOf(direction, TRANSFER_DIRECTIONS)) return undefined;
    return { active: true, id, memberId, name: sanitizeName(name) ?? 'a member', direction };
  }
  if (value.active !== false || !isOneOf(value.outcome, TRANSFER_OUTCOMES)) return undefined;
  const { outcome, reason } = value;
  if (reason !== undefined && !isOneOf(reason, TRANSFER_END_REASONS)) return undefined;
  return reason === undefined ? { active: false, id, outcome } : { active: false, id, outcome, reason };
}
