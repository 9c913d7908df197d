// Named limits of the wire protocol, shared by server validators and the browser client.

/** Terminal geometry bounds, in character cells. */
export const TerminalSize = {
  /** Smaller than this and full-screen programs cannot draw anything useful. */
  MinCols: 2,
  MinRows: 1,
  /** Far beyond any real screen; caps the mirror's memory (cols × rows × scrollback cells). */
  MaxCols: 1000,
  MaxRows: 500,
  /** What a room starts at when the creator gives no size, like a fresh xterm. */
  DefaultCols: 80,
  DefaultRows: 24,
} as const;

/** Bounds on client-sent payloads, in UTF-16 code units unless said otherwise. */
export const PayloadLimits = {
  /** One `term:input` event: a large paste is split by the client into chunks of at most this. */
  MaxInputChunk: 64 * 1024,
  /** Display names are shown in member lists; longer ones are cut. */
  MaxNameLength: 40,
  /** Room names are shown in the lobby; longer ones are refused. */
  MaxRoomNameLength: 80,
  /** Room ids and tokens are short base64url strings; anything longer is not one of ours. */
  MaxIdLength: 64,
  MaxTokenLength: 128,
  /** Profile names configured by the operator. */
  MaxProfileLength: 64,
  /** User ids are `method:name`; an OpenID subject may be up to 255 characters (OIDC Core §2). */
  MaxUserIdLength: 262,
  /** Allowed users listed on one private room: a large class; past that, share a view token. */
  MaxAllowedUsers: 200,
  /** A token's label is a reminder for the owner ("alice's laptop"). */
  MaxTokenLabelLength: 80,
  /** A token lives at most 30 days; a room's lifetime is usually far shorter anyway. */
  MaxTokenLifetimeSeconds: 30 * 24 * 3600,
  /** `--permit-arguments`: extra arguments a create request may add to its profile's command. */
  MaxArgs: 32,
  MaxArgLength: 1024,
  /** Params of one create request (an exec profile's `{placeholders}`): a form, not a document. */
  MaxParams: 16,
  /** A param's name, as the profiles file allows it. */
  MaxParamNameLength: 64,
  /** One param value: a Kubernetes pod name may be 253 characters; twice that is still no script. */
  MaxParamValueLength: 512,
  /** A timed grant of the keyboard: at most a day; for longer, grant without a time. */
  MaxGrantSeconds: 24 * 3600,
  /** Writers named in one `room:curtain` audience: more than a room has writers in practice. */
  MaxCurtainAudience: 64,
  /** One chat message: a few sentences; a log belongs in the terminal, not the side chat. */
  MaxChatLength: 500,
  /** One bookmark's label ("deploy started"): a caption on a timeline, not a note. */
  MaxBookmarkLength: 80,
} as const;

/** The side chat's pace and memory. */
export const ChatLimits = {
  /** Messages a member may send in a burst, then ChatLimits.PerSecond: a conversation, not a flood. */
  Burst: 5,
  /** Sustained messages a second per member (one every two seconds). */
  PerSecond: 0.5,
  /** Recent messages a joiner is sent, so a latecomer can read the conversation it walked into. */
  HistoryMessages: 100,
} as const;

/** Bookmarks: how often a member may drop one, and how many a room keeps. */
export const BookmarkLimits = {
  /** Bookmarks a member may drop in a burst, then BookmarkLimits.PerSecond: marking moments, not spamming the timeline. */
  Burst: 5,
  /** Sustained bookmarks a second per member (one every five seconds). */
  PerSecond: 0.2,
  /** Bookmarks a room keeps (and sends each joiner); past it new ones are refused: far more than a day's session marks. */
  MaxPerRoom: 500,
} as const;

/** Rewind: the one-time ticket a member trades for the room's history (docs/protocol.md, Rewind). */
export const RewindLimits = {
  /** A ticket is good this long after it was issued, in ms: the page fetches the history at once. */
  TicketTtlMs: 30_000,
  /** Unredeemed tickets held per server; the oldest go first: a member asking in a loop cannot grow memory. */
  MaxTickets: 1_000,
  /** Ticket requests a member may make in a burst, then RewindLimits.PerSecond. */
  Burst: 3,
  /** Sustained ticket requests a second per member: each one streams a whole recording. */
  PerSecond: 0.2,
} as const;

/** How often "who is typing" is told. */
export const TypingPacing = {
  /**
   * A member's typing is announced at most this often: enough for a live indicator (the client shows it
   * for a moment longer), without a broadcast per keystroke to a hundred members.
   */
  MinIntervalMs: 500,
} as const;

/**
 * Output is numbered in UTF-16 code units of the decoded stream (JavaScript string length), because
 * the PTY is read as UTF-8-decoded strings and sent as strings; a chunk never splits a code point.
 */
export const OFFSET_UNIT = 'utf16-code-units' as const;

/** ZMODEM file transfers (sz and rz in a room): the wire sizes the browser client keeps to, and the operator's default cap. */
export const TransferLimits = {
  /** One `transfer:data` from a client, in bytes: the client cuts its ZMODEM output to this. */
  MaxChunkBytes: 64 * 1024,
  /**
   * Bytes a client sends before the server acknowledges them: four chunks keep rz busy at full speed while the
   * pty's bounded input queue (InputLimits.MaxPendingBytes) never fills.
   */
  ClientInFlightBytes: 256 * 1024,
  /**
   * `--transfer-max-bytes` default: one transfer's bytes, both ways. A download is held in the browser's memory
   * until it is saved, so this is about what a tab holds comfortably; 0 turns file transfer off.
   */
  DefaultMaxBytes: 100 * 1024 * 1024,
} as const;
