// The room door: the one admission decision for REST and sockets (room lookup, credential, token-failure backoff,
// member cap); each transport only translates the answer into its own reply.

import type { Role } from '../shared/events.js';
import { NOT_FOUND_MESSAGE, roleAtLeast } from '../shared/events.js';
import type { TokenFailureLimiter } from '../auth/tokenFailures.js';
import type { Admission, Credential, RoomAccess } from './access.js';

/** What the door needs of a room (a Room is one). */
export interface DoorRoom {
  readonly id: string;
  readonly access: Pick<RoomAccess, 'admit'>;
  readonly memberCount: number;
}

export interface DoorRequest {
  /** Undefined when the id given was not readable: no room, but still a failed attempt (keyed to no room). */
  roomId: string | undefined;
  /** 'malformed': something was presented that is not a credential (a bearer value that is no token); it counts as a wrong one. */
  credential: Credential | 'malformed';
  /** The client's address: the token-failure limiter's key. */
  address: string;
  /** The least role the caller needs; a credential that earns less is answered like a wrong one. Default: any. */
  need?: Role;
  /** Members the room admits besides its owners (who are always let in); absent or 0: no limit. */
  maxMembers?: number;
}

/** A refusal names the wire code and the message both transports send. */
export type DoorAnswer<R extends DoorRoom> =
  | { kind: 'admitted'; room: R; admission: Admission }
  /** Unknown room, bad, expired or revoked token, private room, too low a role: one answer, so none is told apart. */
  | { kind: 'not-found'; code: 'not-found'; message: string }
  /** The address backs off; its credential was not looked at. */
  | { kind: 'throttled'; code: 'rate-limited'; message: string; retryAfterSeconds: number }
  /** The credential was good (so it cost no failure), but the room holds its maximum. */
  | { kind: 'room-full'; code: 'room-full'; message: string; room: R; max: number };

/**
 * Decides whether `request` gets into a room, and as what. The credential is checked through the
 * token-failure limiter, so every wrong guess counts, and while an address backs off even a right one
 * is refused. The member cap is checked after, on an admitted credential, and spares the owner:
 * otherwise viewers could lock the presenter out of their own room.
 */
export function admitToRoom<R extends DoorRoom>(
  rooms: { get(id: string): R | undefined },
  tokenFailures: TokenFailureLimiter,
  request: DoorRequest,
): DoorAnswer<R> {
  const { roomId, credential, need, maxMembers = 0 } = request;
  const attempt = tokenFailures.attempt(request.address, roomId ?? '', () => {
    const room = roomId === undefined ? undefined : rooms.get(roomId);
    if (!room || credential === 'malformed') return undefined;
    const admission = room.access.admit(credential);
    if (!admission || (need !== undefined && !roleAtLeast(admission.role, need))) return undefined;
    return { room, admission };
  });
  if (attempt.kind === 'throttled') {
    const seconds = Math.ceil(attempt.retryAfterMs / 1000);
    return {
      kind: 'throttled',
      code: 'rate-limited',
      message: `too many failed attempts from your address; try again in ${seconds} s`,
      retryAfterSeconds: seconds,
    };
  }
  if (attempt.kind === 'not-found') return { kind: 'not-found', code: 'not-found', message: NOT_FOUND_MESSAGE };
  const { room, admission } = attempt.value;
  if (maxMembers > 0 && admission.role !== 'owner' && room.memberCount >= maxMembers) {
    return { kind: 'room-full', code: 'room-full', message: `the room is full (${maxMembers} members); try again later`, room, max: maxMembers };
  }
  return { kind: 'admitted', room, admission };
}
