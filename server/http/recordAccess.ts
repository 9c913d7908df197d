// Who may read a room's record (its recording, audit, bundle) over REST, while the room runs and after it is
// gone: one check for every record route, with the room door's single 404 for every kind of "no".

import type { Request, Response } from 'express';
import { bearerToken, hashToken } from '../auth/capabilities.js';
import { requesterOf, signedInUser } from '../auth/requester.js';
import { NOT_FOUND_MESSAGE, type Role } from '../shared/events.js';
import { parseId } from '../shared/validate.js';
import type { Admission, Credential, RoomAccess } from '../rooms/access.js';
import { admitToRoom, type DoorRoom } from '../rooms/door.js';
import type { Room } from '../rooms/room.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import type { Store } from '../store/store.js';
import { sendError } from '../net/errors.js';
import type { ApiAccess } from './roomAccess.js';

/** What the check needs: the shared token-failure limiter, the client's address, and the store's owner record. */
export type RecordAccess = Pick<ApiAccess, 'tokenFailures' | 'clientAddress'> & {
  store: Pick<Store, 'room' | 'ownerTokenMatches'>;
};

/** Whose record a request may read, and of which room. */
export interface RecordAdmission {
  roomId: string;
  /** The room while the registry holds it (running, or exited and not yet forgotten); undefined once it is gone. */
  room: Room | undefined;
  /** What the credential earned: 'owner', or 'viewer' where members may read (a running room only). */
  role: Role;
  /** The id of the token it came with, in a room the registry holds (the audit's `by`); undefined otherwise. */
  tokenId?: string;
}

/**
 * The record of the room named by `:id`, or undefined after answering the refusal (404 for every "no", 429
 * with Retry-After while the address backs off; every failure counts in the shared TokenFailureLimiter).
 *
 * - A room the registry holds: its own door, as for the room itself. `need` 'viewer' lets its members in
 *   (`--recordings-open-to-members`); 'owner' wants an owner token, or the signed-in owner user.
 * - A room that is gone but still in the store (until retention removes it): its owner only, whatever
 *   `need` says, since members' tokens are not kept: a bearer owner link whose hash the store holds, or
 *   the signed-in user who owned it.
 *
 * Sign-in counts for the owner here, unlike for owner actions (roomAccess.ts admitRequest): these are reads,
 * and a page on another site can make the browser send the request but cannot read the answer.
 */
export function admitRecordRequest(
  req: Request,
  res: Response,
  registry: RoomRegistry,
  access: RecordAccess,
  need: 'viewer' | 'owner',
): RecordAdmission | undefined {
  const token = bearerToken(req);
  const rooms = {
    get: (id: string): Room | FinishedRoom | undefined => registry.get(id) ?? finishedRoom(access.store, id),
  };
  const answer = admitToRoom(rooms, access.tokenFailures, {
    roomId: parseId(req.params.id),
    credential: token === null ? 'malformed' : { token, user: signedInUser(req)?.id },
    address: requesterOf(req, access.clientAddress).address,
    need,
  });
  if (answer.kind === 'admitted') {
    const { room, admission } = answer;
    const admitted: RecordAdmission = { roomId: room.id, room: room instanceof FinishedRoom ? undefined : room, role: admission.role };
    if (admission.tokenId !== undefined) admitted.tokenId = admission.tokenId;
    return admitted;
  }
  if (answer.kind === 'throttled') {
    res.set('Retry-After', String(answer.retryAfterSeconds));
    sendError(res, answer.code, answer.message);
  } else {
    // No member cap is asked for (reading is no joining), so 'room-full' cannot come; it would be a "no" too.
    sendError(res, 'not-found', NOT_FOUND_MESSAGE);
  }
  return undefined;
}

/** A room the store still holds but the registry no longer does, at the door: only its owner gets in. */
class FinishedRoom implements DoorRoom {
  readonly memberCount = 0;
  readonly access: Pick<RoomAccess, 'admit'>;

  constructor(
    readonly id: string,
    ownerUser: string | undefined,
    ownerTokenMatches: (tokenHash: Buffer) => boolean,
  ) {
    this.access = {
      admit: (credential: Credential): Admission | undefined => {
        // As at a live room's door: a token that is given must be right, even where the user alone would do.
        if (credential.token !== undefined) return ownerTokenMatches(hashToken(credential.token)) ? { role: 'owner' } : undefined;
        return credential.user !== undefined && credential.user === ownerUser ? { role: 'owner', user: credential.user } : undefined;
      },
    };
  }
}

function finishedRoom(store: RecordAccess['store'], id: string): FinishedRoom | undefined {
  const record = store.room(id);
  return record && new FinishedRoom(record.id, record.ownerUser, (tokenHash) => store.ownerTokenMatches(record.id, tokenHash));
}
