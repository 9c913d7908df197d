// The REST side of the room door: reads the bearer token (never a query string), admits it through the
// token-failure limiter, and answers every refusal the same way.

import type { Request, Response } from 'express';
import type { Auditor } from '../audit/auditLog.js';
import { bearerToken } from '../auth/capabilities.js';
import { requesterOf, signedInUser } from '../auth/requester.js';
import type { TokenFailureLimiter } from '../auth/tokenFailures.js';
import { NOT_FOUND_MESSAGE } from '../shared/events.js';
import { parseId } from '../shared/validate.js';
import type { Admission, Room } from '../rooms/room.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import type { ClientAddress } from '../net/clientAddress.js';
import { sendError } from '../net/errors.js';

/** What the REST routes need besides the registry; one limiter is shared with the socket joins. */
export interface ApiAccess {
  auditor: Auditor;
  tokenFailures: TokenFailureLimiter;
  /** `--permit-arguments`: create requests may add `args` to the profile's command. */
  permitArguments: boolean;
  /** The client's address (--trust-proxy), the limiter's key. */
  clientAddress: ClientAddress;
}

export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * The room named by `:id` with what the request's credential earns there, or undefined after answering
 * the refusal: 404 not-found for every kind of "no" (unknown room, bad, expired or revoked token, private
 * room, not owner), 429 while the address backs off. `owner` wants the owner token as bearer: cookies
 * and sign-in do not count for owner actions over REST, so a page on another site cannot forge one.
 */
export function admitRequest(
  req: Request,
  res: Response,
  registry: RoomRegistry,
  access: Pick<ApiAccess, 'tokenFailures' | 'clientAddress'>,
  need: 'viewer' | 'owner',
): { room: Room; admission: Admission } | undefined {
  const id = parseId(req.params.id);
  const token = bearerToken(req);
  const user = need === 'owner' ? undefined : signedInUser(req)?.id;
  const attempt = access.tokenFailures.attempt(requesterOf(req, access.clientAddress).address, id ?? '', () => {
    const room = id === undefined ? undefined : registry.get(id);
    if (!room || token === null || (need === 'owner' && token === undefined)) return undefined;
    const admission = room.admit({ ...(token !== undefined ? { token } : {}), ...(user !== undefined ? { user } : {}) });
    if (!admission || (need === 'owner' && admission.role !== 'owner')) return undefined;
    return { room, admission };
  });
  if (attempt.kind === 'throttled') {
    const seconds = Math.ceil(attempt.retryAfterMs / 1000);
    res.set('Retry-After', String(seconds));
    sendError(res, 'rate-limited', `too many failed attempts from your address; try again in ${seconds} s`);
    return undefined;
  }
  if (attempt.kind === 'not-found') {
    sendError(res, 'not-found', NOT_FOUND_MESSAGE);
    return undefined;
  }
  return attempt.value;
}
