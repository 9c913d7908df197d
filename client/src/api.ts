// The REST calls the pages make, with the server's JSON error shape turned into readable Errors.

import type { CreatedRoom, FloorMode, RoomResizePolicy, RoomSummary } from '../../server/shared/events.js';

/** An HTTP failure with the server's error code when it sent one. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    /** Host-key refusals' fingerprints (`SHA256:…`) and the profile's policy, when the server sent them. */
    readonly hostKey: { fingerprint?: string; expected?: string; policy?: string } = {},
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function requestJson(path: string, init?: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { Accept: 'application/json', ...init?.headers } });
  } catch {
    throw new ApiRequestError(0, undefined, 'Cannot reach the server.');
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    const message = typeof error?.message === 'string' ? error.message : `Request failed (HTTP ${response.status}).`;
    const code = typeof error?.code === 'string' ? error.code : undefined;
    const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
    throw new ApiRequestError(response.status, code, message, {
      fingerprint: text(error?.fingerprint), expected: text(error?.expected), policy: text(error?.hostKeyPolicy),
    });
  }
  return body;
}

function isRoomSummary(value: unknown): value is RoomSummary {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.name === 'string' &&
    typeof value.members === 'number' &&
    typeof value.cols === 'number' &&
    typeof value.rows === 'number' &&
    typeof value.exited === 'boolean'
  );
}

function unreadable(): ApiRequestError {
  return new ApiRequestError(0, undefined, 'The server sent an unreadable answer.');
}

export async function listRooms(): Promise<RoomSummary[]> {
  const body = await requestJson('/api/rooms');
  if (!Array.isArray(body)) throw unreadable();
  return body.filter(isRoomSummary);
}

/** `token` (from the link's fragment) lets a private room's page show its name; it goes in a header, never the URL. */
export async function getRoom(id: string, token?: string): Promise<RoomSummary> {
  const init = token === undefined ? undefined : { headers: { Authorization: `Bearer ${token}` } };
  const body = await requestJson(`/api/rooms/${encodeURIComponent(id)}`, init);
  if (!isRoomSummary(body)) throw unreadable();
  return body;
}

/**
 * Whether the server still keeps a room's record (it ended, and retention has not removed it yet) and the
 * owner `token` (or the signed-in owner) opens it: asks for one audit event, the lightest record route.
 */
export async function roomRecordKept(id: string, token?: string): Promise<boolean> {
  const init = token === undefined ? undefined : { headers: { Authorization: `Bearer ${token}` } };
  try {
    await requestJson(`/api/rooms/${encodeURIComponent(id)}/audit?limit=1`, init);
    return true;
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 404) return false;
    throw error;
  }
}

/** One profile as GET /api/profiles describes it: what the create form needs (docs/protocol.md, ProfileSummary). */
export interface ProfileChoice {
  name: string;
  type: string;
  description?: string;
  params: { name: string; description?: string; values?: string[] }[];
}

function isProfileChoice(value: unknown): value is ProfileChoice {
  if (!isRecord(value) || typeof value.name !== 'string' || typeof value.type !== 'string' || !Array.isArray(value.params)) return false;
  if (value.description !== undefined && typeof value.description !== 'string') return false;
  return value.params.every((param: unknown) => isRecord(param) && typeof param.name === 'string'
    && (param.description === undefined || typeof param.description === 'string')
    && (param.values === undefined || (Array.isArray(param.values) && param.values.every((item: unknown) => typeof item === 'string'))));
}

export async function listProfiles(): Promise<ProfileChoice[]> {
  const body = await requestJson('/api/profiles');
  if (!Array.isArray(body)) throw unreadable();
  return body.filter(isProfileChoice);
}

/** What the lobby's create form sends; every field is optional and the server has a default for each. */
export interface CreateRoomRequest {
  name?: string;
  profile?: string;
  /** The chosen exec profile's param values. */
  params?: Record<string, string>;
  floor?: FloorMode;
  approval?: boolean;
  chat?: boolean;
  resize?: RoomResizePolicy;
  private?: boolean;
  record?: boolean;
  /** The SSH host key fingerprint the creator confirmed after a host-untrusted answer. */
  trustHostKey?: string;
}

export async function createRoom(request: CreateRoomRequest): Promise<CreatedRoom> {
  const body = await requestJson('/api/rooms', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.ownerUrl !== 'string') throw unreadable();
  return body as unknown as CreatedRoom;
}

/** A viewer link for a private room: a viewer token minted with the owner's token (sent as a bearer header). */
export async function mintViewerLink(id: string, ownerToken: string): Promise<string> {
  const body = await requestJson(`/api/rooms/${encodeURIComponent(id)}/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ownerToken}` },
    body: JSON.stringify({ role: 'viewer' }),
  });
  if (!isRecord(body) || typeof body.url !== 'string') throw unreadable();
  return body.url;
}
