// Validators for every incoming payload: `unknown` in, the typed value or undefined out (docs/architecture.md, Conventions).

import type {
  AckPayload,
  AdmitPayload,
  BookmarkRequest,
  CurtainRequest,
  FloorMode,
  JoinRequest,
  MemberRef,
  MemberRolePayload,
  ResizePayload,
  RoomResizePolicy,
  RoomSettingsPatch,
} from './events.js';
import { PayloadLimits, TerminalSize, TransferLimits } from './limits.js';
import { UNSAFE_IN_LINE, UNSAFE_IN_TEXT } from './unsafeText.js';

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A whole number of cells within [min, max]; strings, fractions, NaN and Infinity are refused, not coerced. */
export function parseDimension(value: unknown, min: number, max: number): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  if (value < min || value > max) return undefined;
  return value;
}

/** The `{ cols, rows }` of a payload that may carry more (a snapshot, a resize event in the stream). */
export function parseSize(value: unknown): ResizePayload | undefined {
  if (!isRecord(value)) return undefined;
  const cols = parseDimension(value.cols, TerminalSize.MinCols, TerminalSize.MaxCols);
  const rows = parseDimension(value.rows, TerminalSize.MinRows, TerminalSize.MaxRows);
  if (cols === undefined || rows === undefined) return undefined;
  return { cols, rows };
}

/** A client's `term:resize`: exactly `{ cols, rows }`; a field that is not in the protocol is refused. */
export function parseResize(value: unknown): ResizePayload | undefined {
  if (!isRecord(value) || Object.keys(value).some((key) => key !== 'cols' && key !== 'rows')) return undefined;
  return parseSize(value);
}

export function parseOffset(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return undefined;
  return value === 0 ? 0 : value; // normalises -0
}

export function parseAck(value: unknown): AckPayload | undefined {
  if (!isRecord(value)) return undefined;
  const offset = parseOffset(value.offset);
  return offset === undefined ? undefined : { offset };
}

export function parseInput(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > PayloadLimits.MaxInputChunk) return undefined;
  return value;
}

export function parseId(value: unknown, maxLength: number = PayloadLimits.MaxIdLength): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) return undefined;
  return ID_PATTERN.test(value) ? value : undefined;
}

/**
 * Display names: control characters (C0, DEL, C1) and bidi overrides are removed so a name cannot
 * restyle a terminal or the page, then the result is cut to the name limit. Empty means "no name".
 */
export function sanitizeName(value: unknown, maxLength: number = PayloadLimits.MaxNameLength): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = value
    .replace(UNSAFE_IN_LINE, '')
    .trim();
  if (cleaned.length === 0) return undefined;
  return Array.from(cleaned).slice(0, maxLength).join('').trimEnd();
}

export function parseJoin(value: unknown): JoinRequest | undefined {
  if (!isRecord(value)) return undefined;
  const roomId = parseId(value.roomId);
  if (roomId === undefined) return undefined;
  const request: JoinRequest = { roomId };
  if (value.token !== undefined) {
    const token = parseId(value.token, PayloadLimits.MaxTokenLength);
    if (token === undefined) return undefined;
    request.token = token;
  }
  if (value.name !== undefined) {
    if (typeof value.name !== 'string') return undefined;
    const name = sanitizeName(value.name);
    if (name !== undefined) request.name = name;
  }
  if (value.resumeFrom !== undefined) {
    const resumeFrom = parseOffset(value.resumeFrom);
    if (resumeFrom === undefined) return undefined;
    request.resumeFrom = resumeFrom;
  }
  if (value.acks !== undefined) {
    if (typeof value.acks !== 'boolean') return undefined;
    request.acks = value.acks;
  }
  if (value.pass !== undefined) {
    const pass = parseId(value.pass, PayloadLimits.MaxTokenLength);
    if (pass === undefined) return undefined;
    request.pass = pass;
  }
  if (value.transfers !== undefined) {
    if (typeof value.transfers !== 'boolean') return undefined;
    request.transfers = value.transfers;
  }
  return request;
}

/** `transfer:data`: binary (socket.io hands a Node Buffer or an ArrayBuffer), 1 to TransferLimits.MaxChunkBytes bytes. */
export function parseTransferData(value: unknown): Uint8Array | undefined {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
  else return undefined;
  if (bytes.byteLength === 0 || bytes.byteLength > TransferLimits.MaxChunkBytes) return undefined;
  return bytes;
}

/** A payload with exactly these keys (some optional): a field that is not in the protocol is refused. */
function onlyKeys(value: Record<string, unknown>, allowed: readonly string[]): boolean {
  return Object.keys(value).every((key) => allowed.includes(key));
}

/**
 * `member:role { memberId, role, seconds? }`: only viewer or writer can be handed out; owners stay owners.
 * `seconds` (a timed grant) only goes with writer.
 */
export function parseMemberRole(value: unknown): MemberRolePayload | undefined {
  if (!isRecord(value) || !onlyKeys(value, ['memberId', 'role', 'seconds'])) return undefined;
  const memberId = parseId(value.memberId);
  if (memberId === undefined || (value.role !== 'viewer' && value.role !== 'writer')) return undefined;
  const payload: MemberRolePayload = { memberId, role: value.role };
  if (value.seconds !== undefined) {
    const seconds = parseDimension(value.seconds, 1, PayloadLimits.MaxGrantSeconds);
    if (seconds === undefined || value.role !== 'writer') return undefined;
    payload.seconds = seconds;
  }
  return payload;
}

/** `{ memberId }` (kick, hand-over, lowering another member's hand). */
export function parseMemberRef(value: unknown): MemberRef | undefined {
  if (!isRecord(value) || !onlyKeys(value, ['memberId'])) return undefined;
  const memberId = parseId(value.memberId);
  return memberId === undefined ? undefined : { memberId };
}

/** `hand:lower`: no payload (your own hand), or `{ memberId }` (the owner, someone else's). */
export function parseHandLower(value: unknown): MemberRef | 'own' | undefined {
  if (value === undefined || value === null) return 'own';
  return parseMemberRef(value);
}

export function parseAdmit(value: unknown): AdmitPayload | undefined {
  if (!isRecord(value) || !onlyKeys(value, ['memberId', 'allow'])) return undefined;
  const memberId = parseId(value.memberId);
  if (memberId === undefined || typeof value.allow !== 'boolean') return undefined;
  return { memberId, allow: value.allow };
}

const FLOOR_MODES: readonly FloorMode[] = ['driver', 'many'];
const RESIZE_POLICIES: readonly RoomResizePolicy[] = ['owner', 'smallest', 'fixed'];

export function parseFloorMode(value: unknown): FloorMode | undefined {
  return FLOOR_MODES.find((mode) => mode === value);
}

export function parseResizePolicy(value: unknown): RoomResizePolicy | undefined {
  return RESIZE_POLICIES.find((policy) => policy === value);
}

/** `room:settings`: at least one known field, each of its type. */
export function parseSettingsPatch(value: unknown): RoomSettingsPatch | undefined {
  if (!isRecord(value) || !onlyKeys(value, ['locked', 'approval', 'floor', 'chat', 'resize', 'record'])) return undefined;
  const patch: RoomSettingsPatch = {};
  for (const key of ['locked', 'approval', 'chat', 'record'] as const) {
    if (value[key] === undefined) continue;
    if (typeof value[key] !== 'boolean') return undefined;
    patch[key] = value[key];
  }
  if (value.floor !== undefined) {
    const floor = parseFloorMode(value.floor);
    if (floor === undefined) return undefined;
    patch.floor = floor;
  }
  if (value.resize !== undefined) {
    const resize = parseResizePolicy(value.resize);
    if (resize === undefined) return undefined;
    patch.resize = resize;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** `room:curtain { down, audience?, clear? }`: an audience only when lowering it, `clear` only when lifting it. */
export function parseCurtain(value: unknown): CurtainRequest | undefined {
  if (!isRecord(value) || !onlyKeys(value, ['down', 'audience', 'clear'])) return undefined;
  if (typeof value.down !== 'boolean') return undefined;
  const request: CurtainRequest = { down: value.down };
  if (value.audience !== undefined) {
    if (!value.down || !Array.isArray(value.audience) || value.audience.length > PayloadLimits.MaxCurtainAudience) return undefined;
    const audience: string[] = [];
    for (const item of value.audience) {
      const id = parseId(item);
      if (id === undefined) return undefined;
      if (!audience.includes(id)) audience.push(id);
    }
    request.audience = audience;
  }
  if (value.clear !== undefined) {
    if (value.down || typeof value.clear !== 'boolean') return undefined;
    request.clear = value.clear;
  }
  return request;
}

/**
 * `chat:send`: a string of at most MaxChatLength once cleaned. Controls and bidi overrides are removed (they
 * could reorder or hide what others read); line breaks stay. Empty after cleaning is no message.
 */
export function parseChat(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > PayloadLimits.MaxChatLength) return undefined;
  const text = value
    .replace(/\r\n?/g, '\n')
    .replace(UNSAFE_IN_TEXT, '')
    .trim();
  return text.length > 0 ? text : undefined;
}

/**
 * `bookmark:add { label }`: cleaned as chat text is (controls and bidi overrides removed), on one line (a line
 * break becomes a space: a label is a caption on a timeline and a marker line in the recording), 1 to
 * MaxBookmarkLength characters.
 */
export function parseBookmark(value: unknown): BookmarkRequest | undefined {
  if (!isRecord(value) || !onlyKeys(value, ['label'])) return undefined;
  if (typeof value.label !== 'string' || value.label.length > PayloadLimits.MaxBookmarkLength) return undefined;
  const label = parseChat(value.label.replace(/[\r\n]+/g, ' '));
  return label === undefined ? undefined : { label };
}

/** C0, DEL and C1 controls: never part of an id, label or argument a client sends. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
/** `method:name` as sign-in makes them (`local:alice`, `oidc:<sub>`). */
const USER_ID_PATTERN = /^[a-z]+:\S/;

export function parseUserId(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > PayloadLimits.MaxUserIdLength) return undefined;
  if (!USER_ID_PATTERN.test(value) || CONTROL_CHARACTERS.test(value)) return undefined;
  return value;
}

export interface CreateRoomBody {
  name?: string;
  profile?: string;
  cols?: number;
  rows?: number;
  /** Listed and joinable only with a token, or as the owner user or an allowed user. */
  private?: boolean;
  allowedUsers?: string[];
  /** Added to the profile's arguments; only accepted under `--permit-arguments`. */
  args?: string[];
  /** Values of an exec profile's `{placeholders}`; their content is checked against the profile's rules by the registry. */
  params?: Record<string, string>;
  /** The room's first settings (room:settings changes them later); `locked` is not one: a locked room admits only its owner. */
  floor?: FloorMode;
  approval?: boolean;
  chat?: boolean;
  resize?: RoomResizePolicy;
  /** false: this room is not recorded (the operator's --no-record turns recording off for every room). */
  record?: boolean;
  /** The SSH host key fingerprint (`SHA256:…`) the creator confirmed after a 409 host-untrusted. */
  trustHostKey?: string;
}

/** OpenSSH's SHA-256 fingerprint form: `SHA256:` and 43 characters of unpadded base64. */
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export interface CreateRoomPolicy {
  /** GoTTY's `--permit-arguments`: a create request may add `args` to its profile's command. */
  permitArguments: boolean;
}

function parseArgs(value: unknown): string[] | string {
  const { MaxArgs, MaxArgLength } = PayloadLimits;
  const wanted = `args must be an array of at most ${MaxArgs} strings of at most ${MaxArgLength} characters, without control characters`;
  if (!Array.isArray(value) || value.length > MaxArgs) return wanted;
  for (const arg of value) {
    // A NUL would end the argument early in execve; other controls have no business in a command line from a form.
    if (typeof arg !== 'string' || arg.length > MaxArgLength || CONTROL_CHARACTERS.test(arg)) return wanted;
  }
  return [...(value as string[])];
}

/** The shape and size of `params` only: which names exist and what a value may be is the profile's to say. */
function parseParams(value: unknown): Record<string, string> | string {
  const { MaxParams, MaxParamNameLength, MaxParamValueLength } = PayloadLimits;
  if (!isRecord(value)) return 'params must be an object of param name → string value';
  const entries = Object.entries(value);
  if (entries.length > MaxParams) return `params must have at most ${MaxParams} entries`;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, item] of entries) {
    if (name.length > MaxParamNameLength || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `unknown param "${name.slice(0, MaxParamNameLength)}"`;
    if (typeof item !== 'string') return `param "${name}" must be a string`;
    if (item.length > MaxParamValueLength) return `param "${name}" must be at most ${MaxParamValueLength} characters`;
    params[name] = item;
  }
  return params;
}

function parseAllowedUsers(value: unknown): string[] | string {
  const wanted = `allowedUsers must be an array of at most ${PayloadLimits.MaxAllowedUsers} user ids like "local:alice"`;
  if (!Array.isArray(value) || value.length > PayloadLimits.MaxAllowedUsers) return wanted;
  const users: string[] = [];
  for (const item of value) {
    const user = parseUserId(item);
    if (user === undefined) return `${wanted}; ${JSON.stringify(String(item).slice(0, 40))} is not one`;
    if (!users.includes(user)) users.push(user);
  }
  return users;
}

/** Body of POST /api/rooms; returns an error message instead of the value when it is not acceptable. */
export function parseCreateRoom(value: unknown, policy: CreateRoomPolicy = { permitArguments: false }): CreateRoomBody | string {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) return 'body must be a JSON object';
  // Said before anything else, so nobody reads "unknown field" and tries another spelling.
  if (value.command !== undefined) return 'a room runs one of the server\'s profiles; a client cannot choose its command';
  const body: CreateRoomBody = {};
  if (value.name !== undefined) {
    if (typeof value.name !== 'string') return 'name must be a string';
    if (value.name.length > PayloadLimits.MaxRoomNameLength) {
      return `name must be at most ${PayloadLimits.MaxRoomNameLength} characters`;
    }
    const name = sanitizeName(value.name, PayloadLimits.MaxRoomNameLength);
    if (name !== undefined) body.name = name;
  }
  if (value.profile !== undefined) {
    const profile = parseId(value.profile, PayloadLimits.MaxProfileLength);
    if (profile === undefined) return 'profile must be a profile name';
    body.profile = profile;
  }
  if (value.cols !== undefined) {
    const cols = parseDimension(value.cols, TerminalSize.MinCols, TerminalSize.MaxCols);
    if (cols === undefined) return `cols must be a whole number from ${TerminalSize.MinCols} to ${TerminalSize.MaxCols}`;
    body.cols = cols;
  }
  if (value.rows !== undefined) {
    const rows = parseDimension(value.rows, TerminalSize.MinRows, TerminalSize.MaxRows);
    if (rows === undefined) return `rows must be a whole number from ${TerminalSize.MinRows} to ${TerminalSize.MaxRows}`;
    body.rows = rows;
  }
  if (value.private !== undefined) {
    if (typeof value.private !== 'boolean') return 'private must be true or false';
    body.private = value.private;
  }
  if (value.allowedUsers !== undefined) {
    const users = parseAllowedUsers(value.allowedUsers);
    if (typeof users === 'string') return users;
    body.allowedUsers = users;
  }
  if (value.floor !== undefined) {
    const floor = parseFloorMode(value.floor);
    if (floor === undefined) return 'floor must be "driver" or "many"';
    body.floor = floor;
  }
  if (value.resize !== undefined) {
    const resize = parseResizePolicy(value.resize);
    if (resize === undefined) return 'resize must be "owner", "smallest" or "fixed"';
    body.resize = resize;
  }
  for (const key of ['approval', 'chat', 'record'] as const) {
    if (value[key] === undefined) continue;
    if (typeof value[key] !== 'boolean') return `${key} must be true or false`;
    body[key] = value[key];
  }
  if (value.args !== undefined) {
    if (!policy.permitArguments) return 'args are not accepted: the server was not started with --permit-arguments';
    const args = parseArgs(value.args);
    if (typeof args === 'string') return args;
    body.args = args;
  }
  if (value.params !== undefined) {
    const params = parseParams(value.params);
    if (typeof params === 'string') return params;
    body.params = params;
  }
  if (value.trustHostKey !== undefined) {
    if (typeof value.trustHostKey !== 'string' || !FINGERPRINT.test(value.trustHostKey)) return 'trustHostKey must be a fingerprint as the 409 answer gave it (SHA256:…)';
    body.trustHostKey = value.trustHostKey;
  }
  const known = new Set(['name', 'profile', 'params', 'cols', 'rows', 'private', 'allowedUsers', 'args', 'floor', 'approval', 'chat', 'resize', 'record', 'trustHostKey']);
  const unknownKey = Object.keys(value).find((key) => !known.has(key));
  if (unknownKey !== undefined) return `unknown field "${unknownKey}"`;
  return body;
}

export interface MintTokenBody {
  role: 'viewer' | 'writer';
  expiresInSeconds?: number;
  label?: string;
}

/** Body of POST /api/rooms/:id/tokens; an error message instead of the value when it is not acceptable. */
export function parseMintToken(value: unknown): MintTokenBody | string {
  if (!isRecord(value)) return 'body must be a JSON object { role, expiresInSeconds?, label? }';
  if (value.role !== 'viewer' && value.role !== 'writer') return 'role must be "viewer" or "writer"';
  const body: MintTokenBody = { role: value.role };
  if (value.expiresInSeconds !== undefined) {
    const max = PayloadLimits.MaxTokenLifetimeSeconds;
    const seconds = parseDimension(value.expiresInSeconds, 1, max);
    if (seconds === undefined) return `expiresInSeconds must be a whole number from 1 to ${max}`;
    body.expiresInSeconds = seconds;
  }
  if (value.label !== undefined) {
    const max = PayloadLimits.MaxTokenLabelLength;
    if (typeof value.label !== 'string' || value.label.length > max) return `label must be a string of at most ${max} characters`;
    const label = sanitizeName(value.label, max);
    if (label !== undefined) body.label = label;
  }
  const known = new Set(['role', 'expiresInSeconds', 'label']);
  const unknownKey = Object.keys(value).find((key) => !known.has(key));
  if (unknownKey !== undefined) return `unknown field "${unknownKey}"`;
  return body;
}
