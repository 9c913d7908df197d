// JSON error responses: `{ error: { code, message } }` with a fitting status (docs/protocol.md, Errors over HTTP).

import type { NextFunction, Request, Response } from 'express';
import type { ApiError } from '../shared/events.js';

type Code = ApiError['error']['code'];

const STATUS: Readonly<Record<Code, number>> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'payload-too-large': 413,
  'rate-limited': 429,
  'room-full': 409,
  /** Scale-out: the node holding the room cannot be reached now; like a gateway timeout, it may pass. */
  unavailable: 503,
  /** Sign-in sessions are in Redis (--redis) and it cannot be reached now: sign-in waits for it, nothing else does. */
  'sessions-unavailable': 503,
  // Only sent over the socket; a REST caller never types into a room.
  'input-full': 503,
  // Only sent over the socket (a connected member lost its access); over REST a revoked token is not-found.
  revoked: 404,
  // Socket-only too: a member the owner removed, a join refused by a locked room or by the owner.
  kicked: 403,
  locked: 403,
  denied: 403,
  /** A room cap (per server or per creator) is reached: like a rate limit, it passes when rooms close. */
  'too-many-rooms': 429,
  /** Rewind asked of a room without a recording: nothing is wrong with the request, the room has no history. */
  'not-recorded': 409,
  // Socket-only: keystrokes refused while a file transfer runs.
  'transfer-busy': 409,
  /** The request is fine; the host's key needs a decision first (retry with trustHostKey) or the operator's check. */
  'host-untrusted': 409,
  'host-key-changed': 409,
  /** A gateway's answer: the far host, not this server or the request, refused or failed. */
  'ssh-auth-failed': 502,
  'ssh-unreachable': 502,
  internal: 500,
};

export function sendError(res: Response, code: Code, message: string, extra: { fingerprint?: string; expected?: string; hostKeyPolicy?: 'ask' | 'known-only' } = {}): void {
  const body: ApiError = { error: { code, message, ...extra } };
  res.status(STATUS[code]).json(body);
}

/** What every request that needs a sign-in session gets while the session store (Redis) cannot be reached. */
export const SESSIONS_UNAVAILABLE_MESSAGE = 'sign-in is unavailable: this node cannot reach its session store (Redis) right now; try again shortly';

/** A session store that cannot be reached: answered 503 `sessions-unavailable`, never 500, wherever it surfaces. */
export class SessionsUnavailableError extends Error {
  readonly code = 'sessions-unavailable';

  constructor(cause?: unknown) {
    super(SESSIONS_UNAVAILABLE_MESSAGE, cause === undefined ? undefined : { cause });
    this.name = 'SessionsUnavailableError';
  }
}

export function sendSessionsUnavailable(res: Response): void {
  sendError(res, 'sessions-unavailable', SESSIONS_UNAVAILABLE_MESSAGE);
}

/** Last route: JSON like the API's, instead of express's HTML page. */
export function notFoundHandler(_req: Request, res: Response): void {
  sendError(res, 'not-found', 'no such page');
}

/**
 * Last error handler: a short JSON answer that names no internals, instead of express's page with the
 * stack trace outside production (its headers would also replace the security headers).
 */
export function errorHandler(error: { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  if (error instanceof SessionsUnavailableError) return sendSessionsUnavailable(res);
  // Static files report a missing file as 404 and a malformed path as 400 through here.
  if (error.status === 404) return sendError(res, 'not-found', 'no such page');
  if (error.status === 400) return sendError(res, 'bad-request', 'bad request');
  sendError(res, 'internal', 'internal error');
}
