// The REST side of the room door: reads the bearer token (never a query string) and the signed-in user, asks
// the room door, and turns its answer into an HTTP reply.

import type { RoomSummary } from '../shared/events.js';
import type { Request, Response } from 'express';
import type { Auditor } from '../audit/auditLog.js';
import type { Store } from '../store/store.js';
import { bearerToken } from '../auth/capabilities.js';
import { requesterOf, signedInUser } from '../auth/requester.js';
import type { TokenFailureLimiter } from '../auth/tokenFailures.js';
import { parseId } from '../shared/validate.js';
import type { Admission } from '../rooms/access.js';
import { admitToRoom } from '../rooms/door.js';
import type { Room } from '../rooms/room.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import type { RecordingFiles } from '../recording/recordings.js';
import type { HistoryTickets } from '../auth/historyTickets.js';
import type { BundleStore } from '../recording/bundle.js';
import type { Clock } from '../util/clock.js';
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
  /** Where the audit API reads a room's events, the bundle its record, and the record routes a finished room's owners (recordAccess.ts). */
  store: Pick<Store, 'auditEvents' | 'room' | 'ownerTokenMatches'> & BundleStore;
  /** Rooms' recordings, for GET /api/rooms/:id/recording; without it the route answers 404. */
  recordings?: RecordingFiles;
  /** The tickets members get over their socket for GET /api/rooms/:id/history; without them the route answers 404. */
  historyTickets?: HistoryTickets;
  /** Time for what the routes stamp (the bundle's README); default: the system clock. */
  clock?: Clock;
  /** Scale-out (--redis): the listed rooms of the other nodes, for GET /api/rooms; none on a single node. */
  remoteRooms?: () => Promise<RoomSummary[]>;
}

export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * The room named by `:id` with what the request's credential earns there (the room door decides), or
 * undefined after answering the refusal: 404 not-found for every kind of "no" (unknown room, bad,
 * expired or revoked token, private room, not owner), 429 with Retry-After while the address backs off.
 * `owner` wants the owner token as bearer: cookies and sign-in do not count for owner actions over REST,
 * so a page on another site cannot forge one.
 */
export function admitRequest(
  req: Request,
  res: Response,
  registry: RoomRegistry,
  access: Pick<ApiAccess, 'tokenFailures' | 'clientAddress'>,
  need: 'viewer' | 'owner',
): { room: Room; admission: Admission } | undefined {
  const token = bearerToken(req);
  const user = need === 'owner' ? undefined : signedInUser(req)?.id;
  const answer = admitToRoom(registry, access.tokenFailures, {
    roomId: parseId(req.params.id),
    credential: token === null ? 'malformed' : { token, user },
    address: requesterOf(req, access.clientAddress).address,
    need,
  });
  if (answer.kind === 'admitted') return answer;
  if (answer.kind === 'throttled') res.set('Retry-After', String(answer.retryAfterSeconds));
  sendError(res, answer.code, answer.message);
  return undefined;
}
