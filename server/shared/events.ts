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
  /** Scale-out: the node that holds the room cannot be reached right now (Redis is down, or it did not answer); try again. */
  | 'unavailable'
  | 'rate-limited'
  | 'room-full'
  /** The room's program is not reading its input and the input queue is full: that input was dropped. */
  | 'input-full'
  | 'too-many-rooms'
  | 'conflict'
  /** The token this member joined with was revoked or expired and nothing else lets it stay: it is disconnected. */
  | 'revoked'
  /** The owner removed this member from the room; it is disconnected. */
  | 'kicked'
  /** The room is locked against new joiners. */
  | 'locked'
  /** The owner did not admit this joiner; it is disconnected. */
  | 'denied'
  /** Rewind needs the room's recording, and this room has none (recording is off). */
  | 'not-recorded'
  /** A file transfer runs in the room: keystrokes are refused until it ends (they would corrupt it). */
  | 'transfer-busy'
  /** An SSH profile's host key is not trusted yet: `fingerprint` says which; retry with `trustHostKey` (policy 'ask'). */
  | 'host-untrusted'
  /** An SSH profile's host presented a key other than the stored one (`expected`): refused, never trusted through the API. */
  | 'host-key-changed'
  /** The SSH host refused every credential of the profile. */
  | 'ssh-auth-failed'
  /** No connection to the SSH host (refused, timed out, closed before the shell started). */
  | 'ssh-unreachable'
  | 'internal';

export interface JoinRequest {
  roomId: string;
  token?: string;
  name?: string;
  resumeFrom?: number;
  acks?: boolean;
  /** The rejoin pass this client was given (`room:pass`) on its last connection to this room. */
  pass?: string;
  /** This client can take part in a ZMODEM file transfer (`transfer:*` events); without it none is offered to it. */
  transfers?: boolean;
}

export type JoinReply =
  /** `waiting`: the room wants the owner's approval; nothing of the room arrives until `room:role` or `room:error denied`. */
  | { ok: true; role: Role; memberId: string; colour: string; waiting?: true }
  | { ok: false; code: ErrorCode; message: string };

/**
 * `member:role`: the owner hands out (writer) or takes back (viewer) a member's keyboard. With `seconds`, a
 * grant of writer reverts to viewer by itself that long after (on the server's clock).
 */
export interface MemberRolePayload {
  memberId: string;
  role: 'viewer' | 'writer';
  seconds?: number;
}

/** `member:kick`, `room:handover`, `hand:lower` by the owner for someone else: which member. */
export interface MemberRef {
  memberId: string;
}

/** `member:admit`: the owner's answer to a joiner waiting for approval. */
export interface AdmitPayload {
  memberId: string;
  allow: boolean;
}

/** 'driver': one member besides the owners holds the keyboard, and granting it moves it; 'many': any number of writers. */
export type FloorMode = 'driver' | 'many';

/**
 * Whose window sets the terminal's size: 'owner' (the owner's, the default), 'smallest' (the smallest window
 * among writers and owners, so nobody's is cut), 'fixed' (the size the room was created with, always).
 */
export type RoomResizePolicy = 'owner' | 'smallest' | 'fixed';

/** A room's settings, sent in full as `room:settings` on admission and on every change. */
export interface RoomSettings {
  /** No new joiner gets in (owners still do). */
  locked: boolean;
  /** Each joiner but an owner waits until the owner admits it. */
  approval: boolean;
  floor: FloorMode;
  /** The side chat is open. */
  chat: boolean;
  resize: RoomResizePolicy;
  /** The room is being recorded (every member shows a badge); the owner may turn it off, never on past the operator. */
  record: boolean;
}

/** `room:settings` from the owner: only the fields to change. */
export type RoomSettingsPatch = Partial<RoomSettings>;

/**
 * `room:curtain` from the owner. Lowering it: `audience` names the writers who still see the terminal (owners
 * always do). Lifting it: `clear` clears the screen and its scrollback first, so the next snapshot shows nothing
 * of what was behind the curtain.
 */
export interface CurtainRequest {
  down: boolean;
  audience?: string[];
  clear?: boolean;
}

/** `room:curtain` to members: whether it is down, and whether this member is behind it (sees the terminal). */
export interface CurtainPayload {
  down: boolean;
  /** This member still sees the terminal while the curtain is down (an owner, or a writer the owner chose). */
  sees?: boolean;
}

/** `room:typing`: this member's input was just accepted (sent at most every TypingPacing.MinIntervalMs per member). */
export interface TypingPayload {
  memberId: string;
}

/** `chat:message`: one line of the side chat, plain text. */
export interface ChatMessage {
  /** Increases by one per message in the room. */
  id: number;
  memberId: string;
  name: string;
  colour: string;
  text: string;
  /** ISO 8601. */
  at: string;
}

/** `bookmark:add` from a member: marks this moment on the room's timeline. */
export interface BookmarkRequest {
  /** Plain text, 1 to PayloadLimits.MaxBookmarkLength characters once cleaned. */
  label: string;
}

/** `room:bookmark` (and each entry of `room:bookmarks`): a moment a member marked; the server stamps all but the label. */
export interface BookmarkPayload {
  /** Increases by one per bookmark in the room. */
  id: number;
  memberId: string;
  name: string;
  colour: string;
  label: string;
  /** ISO 8601, on the server's clock. */
  at: string;
}

/** `room:telemetry`: the room's process session (local rooms), sampled while someone watches. */
export interface TelemetryPayload {
  /** ISO 8601, on the server's clock: when the sample was taken. */
  at: string;
  /** CPU since the previous sample, per core as `top` shows it: 100 is one core busy all the time. */
  cpuPercent: number;
  /** Resident memory of the session's processes, summed. */
  memoryBytes: number;
  /** Live processes in the session. */
  processes: number;
}

/**
 * `rewind:ticket`'s answer: a one-time secret for `GET /api/rooms/:id/history` (as `Authorization: Bearer`),
 * good until `expiresAt`; `not-recorded` when the room has no recording to rewind through.
 */
export type RewindTicketReply =
  | { ok: true; ticket: string; expiresAt: string }
  | { ok: false; code: ErrorCode; message: string };

/** `room:role`: your role changed; `until` (ISO 8601) when a timed grant ends by itself. */
export interface RoleChangePayload {
  role: Role;
  until?: string;
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

/**
 * 'idle-timeout': no writer typed for the idle limit; 'lifetime': the room reached its absolute lifetime. A remote
 * (SSH) room can also end because 'host-gone' (it stopped answering keepalives, or its network went), 'auth-failed'
 * or 'connection-closed' (the connection ended without the shell's exit status). Under scale-out, 'node-lost': the
 * node that held the room stopped renewing its heartbeat (exitCode -1: nobody knows how the program ended). Clients show an unknown reason as
 * the program's end.
 */
export type ExitReason = 'exited' | 'closed' | 'server-shutdown' | 'idle-timeout' | 'lifetime' | 'host-gone' | 'auth-failed' | 'connection-closed' | 'node-lost';

export interface ExitPayload {
  exitCode: number;
  /** Signal name (e.g. "SIGKILL") when the process was ended by a signal. */
  signal?: string;
  reason: ExitReason;
}

/**
 * How a member's stream is doing: 'waiting' for the owner's approval, 'joining' (its first screen is on its way),
 * 'live', 'behind' (cut off for being slow; a fresh screen follows), 'curtained' (the curtain is down and it is
 * not behind it).
 */
export type MemberState = 'waiting' | 'joining' | 'live' | 'behind' | 'curtained';

export interface MemberInfo {
  id: string;
  name: string;
  role: Role;
  /** The member's colour in the member list, typing indicator and chat (CSS hex). */
  colour: string;
  hand: boolean;
  /** ISO 8601: when the hand went up (the queue's order). */
  handSince?: string;
  /** ISO 8601: when this member's timed grant of the keyboard ends. */
  grantUntil?: string;
  state: MemberState;
  /** Signed in (the name came from sign-in) rather than chosen. */
  signedIn?: boolean;
}

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

/**
 * Something members should know about the room as a whole. 'idle-warning' and 'lifetime-warning' say the
 * room closes at `closesAt` (ISO 8601); 'idle-cleared' says a writer typed, so the idle close is off.
 */
export type NoticeCode = 'idle-warning' | 'idle-cleared' | 'lifetime-warning' | 'mirror-restarted' | 'transfer-refused';

export interface NoticePayload {
  code: NoticeCode;
  message: string;
  closesAt?: string;
}

/** 'download': the program sends (`sz`) and the member saves; 'upload': the program receives (`rz`) what the member picks. */
export type TransferDirection = 'download' | 'upload';

/** `transfer:start`, to the member a transfer was offered to: ZMODEM bytes (`transfer:data`) follow. */
export interface TransferStartPayload {
  /** Increases by one per transfer in the room. */
  id: number;
  direction: TransferDirection;
  /** The most bytes the transfer may carry (both ways together) before the server cancels it. */
  maxBytes: number;
}

/**
 * Why a transfer was cancelled: 'member' (its member cancelled), 'program' (sz or rz did), 'too-large' (past the
 * operator's cap), 'idle' (no byte either way for TransferTiming.IdleMs), 'keyboard' (its member lost the keyboard),
 * 'left' (its member left), 'no-writer' (nobody could take it), 'disabled' (the operator turned transfers off),
 * 'overrun' (its member sent faster than the program read), 'room-ended' (the program exited).
 */
export type TransferEndReason =
  | 'member' | 'program' | 'too-large' | 'idle' | 'keyboard' | 'left' | 'no-writer' | 'disabled' | 'overrun' | 'room-ended';

/** `transfer:end`, to the transfer's member: no more `transfer:data` for it. */
export interface TransferEndPayload {
  id: number;
  outcome: 'completed' | 'cancelled';
  reason?: TransferEndReason;
  /** ZMODEM bytes carried, both ways. */
  bytes: number;
}

/** `room:transfer`, to every admitted member: a file transfer runs (the terminal is paused) or ended. */
export type TransferStatePayload =
  | { active: true; id: number; memberId: string; name: string; direction: TransferDirection }
  | { active: false; id: number; outcome: 'completed' | 'cancelled'; reason?: TransferEndReason };

export interface ClientToServerEvents {
  'room:join': (request: JoinRequest, ack: (reply: JoinReply) => void) => void;
  'term:ack': (payload: AckPayload) => void;
  'term:input': (data: string) => void;
  'term:resize': (payload: ResizePayload) => void;
  'member:role': (payload: MemberRolePayload) => void;
  'member:kick': (payload: MemberRef) => void;
  'member:admit': (payload: AdmitPayload) => void;
  'hand:raise': () => void;
  /** No payload: your own hand. `{ memberId }` (owner): someone else's, "not now". */
  'hand:lower': (payload?: MemberRef) => void;
  'room:settings': (payload: RoomSettingsPatch) => void;
  'room:curtain': (payload: CurtainRequest) => void;
  /** The owner makes another member the owner and becomes a writer. */
  'room:handover': (payload: MemberRef) => void;
  'chat:send': (text: string) => void;
  'bookmark:add': (payload: BookmarkRequest) => void;
  /** Asks for a ticket to fetch the room's history (docs/protocol.md, Rewind). */
  'rewind:ticket': (ack: (reply: RewindTicketReply) => void) => void;
  /**
   * ZMODEM bytes from the member a transfer was offered to, written raw to the program; the server acknowledges
   * each once the program has room for more (the client keeps TransferLimits.ClientInFlightBytes unacknowledged).
   */
  'transfer:data': (data: Uint8Array, ack?: () => void) => void;
  /** The transfer's member cancels it: the server writes the standard cancel sequence to the program. */
  'transfer:cancel': () => void;
}

export interface ServerToClientEvents {
  'term:snapshot': (payload: SnapshotPayload) => void;
  'term:output': (payload: OutputPayload) => void;
  'term:resize': (payload: ResizeEventPayload) => void;
  'term:behind': (payload: BehindPayload) => void;
  'term:exit': (payload: ExitPayload) => void;
  'room:members': (members: MemberInfo[]) => void;
  'room:role': (payload: RoleChangePayload) => void;
  'room:error': (payload: ErrorPayload) => void;
  'room:notice': (payload: NoticePayload) => void;
  'room:waiting': (payload: Record<string, never>) => void;
  'room:settings': (payload: RoomSettings) => void;
  'room:curtain': (payload: CurtainPayload) => void;
  'room:typing': (payload: TypingPayload) => void;
  'chat:message': (payload: ChatMessage) => void;
  /** A member dropped a bookmark. */
  'room:bookmark': (payload: BookmarkPayload) => void;
  /** On entering the room, when it has bookmarks: all of them, oldest first. */
  'room:bookmarks': (payload: BookmarkPayload[]) => void;
  /** Every few seconds while the member is admitted: CPU, memory and process count of the room's processes. */
  'room:telemetry': (payload: TelemetryPayload) => void;
  /**
   * On entering the room: a secret that lets this client back in past approval and a lock after its connection
   * drops (for RejoinPassLimits.ValidAfterLeaveMs); present it as `room:join { pass }`. Works once.
   */
  'room:pass': (payload: { pass: string }) => void;
  /** To a member just made owner (room:handover): its own owner link's token, sent once. */
  'room:credential': (payload: { token: string }) => void;
  /** To the current writer when the program starts a ZMODEM session (`sz` or `rz`): it is offered the transfer. */
  'transfer:start': (payload: TransferStartPayload) => void;
  /** To the transfer's member only: the program's ZMODEM bytes, raw (a binary attachment); never part of the stream. */
  'transfer:data': (data: Uint8Array) => void;
  'transfer:end': (payload: TransferEndPayload) => void;
  /** To every admitted member (and on entering while one runs): a file transfer runs, or ended. */
  'room:transfer': (payload: TransferStatePayload) => void;
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
  locked: boolean;
  approval: boolean;
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
  /**
   * `fingerprint` (and `expected`) with 'host-untrusted' and 'host-key-changed': `SHA256:…`, as OpenSSH prints them;
   * `hostKeyPolicy` with 'host-untrusted': 'ask' (retry with trustHostKey) or 'known-only' (only the operator can trust it).
   * 'sessions-unavailable': sign-in sessions live in Redis (--redis) and this node cannot reach it now; it may pass.
   */
  error: { code: ErrorCode | 'payload-too-large' | 'unauthorized' | 'sessions-unavailable'; message: string; fingerprint?: string; expected?: string; hostKeyPolicy?: 'ask' | 'known-only' };
}
