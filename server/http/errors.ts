// JSON error responses: `{ error: { code, message } }` with a fitting status (CONTRACT.md §3).

import type { Response } from 'express';
import type { ApiError } from '../protocol/events.js';

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
  // Only sent over the socket; a REST caller never types into a room.
  'input-full': 503,
  // Only sent over the socket (a connected member lost its access); over REST a revoked token is not-found.
  revoked: 404,
  /** A room cap (per server or per creator) is reached: like a rate limit, it passes when rooms close. */
  'too-many-rooms': 429,
  internal: 500,
};

export function sendError(res: Response, code: Code, message: string): void {
  const body: ApiError = { error: { code, message } };
  res.status(STATUS[code]).json(body);
}
