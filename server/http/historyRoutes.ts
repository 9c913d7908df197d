// Rewind over HTTP: GET /api/rooms/:id/history streams the room's recording without typed input to a member that
// presents a one-time ticket from its socket (docs/protocol.md, Rewind).

import { pipeline } from 'node:stream/promises';
import express, { type Router } from 'express';
import { ASCIICAST_MEDIA_TYPE } from '../recording/asciicast.js';
import { historyStream } from '../recording/history.js';
import { NOT_FOUND_MESSAGE } from '../shared/events.js';
import { parseId } from '../shared/validate.js';
import { bearerToken } from '../auth/capabilities.js';
import { requesterOf } from '../auth/requester.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import { sendError } from '../net/errors.js';
import type { ApiAccess } from './roomAccess.js';

export function historyRouter(registry: RoomRegistry, access: ApiAccess): Router {
  const router = express.Router();

  router.get('/rooms/:id/history', async (req, res) => {
    const roomId = parseId(req.params.id);
    const ticket = bearerToken(req);
    const address = requesterOf(req, access.clientAddress).address;
    // A ticket is a credential: a wrong one counts against the address like a wrong token.
    const attempt = access.tokenFailures.attempt(address, roomId ?? '', () => {
      if (roomId === undefined || typeof ticket !== 'string' || !access.historyTickets) return undefined;
      const memberId = access.historyTickets.redeem(roomId, ticket);
      const room = registry.get(roomId);
      // Still admitted now: a member kicked, or gone, since it got the ticket reads nothing.
      if (memberId === undefined || !room || room.roleOf(memberId) === undefined) return undefined;
      return { room, memberId };
    });
    if (attempt.kind === 'throttled') {
      res.set('Retry-After', String(Math.ceil(attempt.retryAfterMs / 1000)));
      return sendError(res, 'rate-limited', 'too many failed attempts from your address; try again later');
    }
    if (attempt.kind === 'not-found') return sendError(res, 'not-found', NOT_FOUND_MESSAGE);
    const { room, memberId } = attempt.value;
    // Flushed first: the history reaches the last second.
    const file = access.recordings?.fileOf(room.id);
    if (!file) return sendError(res, 'not-recorded', 'rewind needs the room\'s recording, and this room is not recorded');
    access.auditor.record({ event: 'history.read', room: room.id, actor: memberId, address });
    res.type(ASCIICAST_MEDIA_TYPE);
    res.set('Cache-Control', 'no-store');
    try {
      await pipeline(historyStream(file), res);
    } catch {
      // The client went away, or retention removed the file meanwhile: nothing left to answer.
      if (!res.headersSent) sendError(res, 'not-found', 'this room has no recording');
    }
  });

  return router;
}
