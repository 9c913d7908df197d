// The wire contract: socket.io event maps and payload types for both directions (docs/protocol.md).
// No Node or DOM imports, so the browser client imports this file too.

export type Role = 'viewer' | 'writer' | 'owner';

export const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 0, writer: 1, owner: 2 };

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

/**
 * The one answer, over REST and the socket alike, for an unknown room and for a token that is bad, expired,
 * revoked or not enough: neither can be told from the other (docs/protocol.md).
 */
export const NOT_FOUND_MESSAGE = 'no such room, or the link is not valid';

export type ErrorCode =
  | 'bad-request'
  | 'forbidden'
  | 'not-found'
  | 'rate-limited'
  | 'room-full'
  /** The room's program is not reading its input and the input queue is full: that input was dropped. */
  | 'input-full'
  | 'too-many-rooms'
  | 'conflict'
  /** The token this member joined with was revoked or expired and nothing else lets it stay: it is disconnected. */
  | 'revoked'
  | 'internal';

export interface JoinRequest {
  roomId: string;
  token?: string;
  name?: string;
  resumeFrom?: number;
  acks?: boolean;
}

export type JoinReply =
  | { ok: true; role: Role; memberId: string }
  | { ok: false; code: ErrorCode; message: string };

/** `member:role`: the owner hands out (writer) or takes back (viewer) a member's keyboard. */
export interface MemberRolePayload {
  memberId: string;
  role: 'viewer' | 'writer';
}

export interface AckPayload {
  offset: number;
}

export interface ResizePayload {
  cols: number;
  rows: number;
}

export interface SnapshotPayload {
  /** Stream offset the screen was serialized at: the next chunk starts here. */
  offset: number;
  cols: number;
  rows: number;
  /**
   * Serialized screen with scrollback and modes, as UTF-8 bytes (a binary attachment on the wire: no JSON
   * escaping, and encoded once however many joiners it goes to); write it into a reset terminal of cols × rows.
   */
  data: Uint8Array;
}

export interface OutputPayload {
  offset: number;
  data: string;
}

export interface ResizeEventPayload {
  offset: number;
  cols: number;
  rows: number;
}

/** The live stream to this member stopped at `offset` because it fell behind; a snapshot follows once it drains. */
export interface BehindPayload {
  offset: number;
}

/** 'idle-timeout': no writer typed for the idle limit; 'lifetime': the room reached its absolute lifetime. */
export type ExitReason = 'exited' | 'closed' | 'server-shutdown' | 'idle-timeout' | 'lifetime';

export interface ExitPayload {
  exitCode: number;
  /** Signal name (e.g. "SIGKILL") when the process was ended by a signal. */
  signal?: string;
  reason: ExitReason;
}

export interface MemberInfo {
  id: string;
  name: string;
  role: Role;
}

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

/**
 * Something members should know about the room as a whole. 'idle-warning' and 'lifetime-warning' say the
 * room closes at `closesAt` (ISO 8601); 'idle-cleared' says a writer typed, so the idle close is off.
 */
export type NoticeCode = 'idle-warning' | 'idle-cleared' | 'lifetime-warning' | 'mirror-restarted';

export interface NoticePayload {
  code: NoticeCode;
  message: string;
  closesAt?: string;
}

export interface ClientToServerEvents {
  'room:join': (request: JoinRequest, ack: (reply: JoinReply) => void) => void;
  'term:ack': (payload: AckPayload) => void;
  'term:input': (data: string) => void;
  'term:resize': (payload: ResizePayload) => void;
  'member:role': (payload: MemberRolePayload) => void;
}

export interface ServerToClientEvents {
  'term:snapshot': (payload: SnapshotPayload) => void;
  'term:output': (payload: OutputPayload) => void;
  'term:resize': (payload: ResizeEventPayload) => void;
  'term:behind': (payload: BehindPayload) => void;
  'term:exit': (payload: ExitPayload) => void;
  'room:members': (members: MemberInfo[]) => void;
  'room:role': (payload: { role: Role }) => void;
  'room:error': (payload: ErrorPayload) => void;
  'room:notice': (payload: NoticePayload) => void;
}

export type ServerEventName = keyof ServerToClientEvents;
export type ServerEventArgs<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>;

/** REST shapes (docs/protocol.md, HTTP routes). */
export interface RoomSummary {
  id: string;
  name: string;
  profile: string;
  createdAt: string;
  members: number;
  cols: number;
  rows: number;
  exited: boolean;
}

export interface CreatedRoom {
  id: string;
  name: string;
  viewUrl: string;
  writeUrl: string;
  ownerUrl: string;
  ownerToken: string;
  writeToken: string;
}

/** `POST /api/rooms/:id/tokens` answer: the only time the token itself is shown. */
export interface MintedToken {
  id: string;
  role: 'viewer' | 'writer';
  token: string;
  /** The room link with the token in its fragment. */
  url: string;
  /** ISO 8601. */
  expiresAt?: string;
}

/** One entry of `GET /api/rooms/:id/tokens`: never the token. */
export interface TokenSummary {
  id: string;
  role: Role;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601; absent for a token that lasts as long as the room. */
  expiresAt?: string;
  label?: string;
  /** The user id, or the address, of whoever minted it. */
  createdBy?: string;
}

export interface ApiError {
  error: { code: ErrorCode | 'payload-too-large' | 'unauthorized'; message: string };
}
