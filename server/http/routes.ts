// REST API (CONTRACT.md §3): create, list, inspect, read the screen of, and close rooms; health check.

import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { CreatedRoom } from '../protocol/events.js';
import { parseCreateRoom, parseId } from '../protocol/validate.js';
import { PayloadLimits } from '../protocol/limits.js';
import type { Room } from '../rooms/room.js';
import { RoomError, type RoomRegistry } from '../rooms/roomRegistry.js';
import { requesterOf } from '../auth/requester.js';
import type { ClientAddress } from './clientAddress.js';
import { sendError } from './errors.js';
import { roomLinks } from './links.js';

export const HttpLimits = {
  /** A create-room body is a handful of short fields; anything bigger is not one. */
  MaxJsonBody: '16kb',
} as const;

const NOT_FOUND_MESSAGE = 'no such room, or the credential is not valid';

/** The bearer token of an `Authorization: Bearer <token>` header, or undefined when absent or malformed. */
function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header);
  return match && match[1]!.length <= PayloadLimits.MaxTokenLength ? match[1] : undefined;
}

function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

export function apiRouter(registry: RoomRegistry, addresses: ClientAddress): Router {
  const router = express.Router();
  router.use(express.json({ limit: HttpLimits.MaxJsonBody, strict: true }));

  const findRoom = (req: Request, res: Response): Room | undefined => {
    const id = parseId(req.params.id);
    const room = id === undefined ? undefined : registry.get(id);
    if (!room) sendError(res, 'not-found', NOT_FOUND_MESSAGE);
    return room;
  };

  router.post('/rooms', (req, res) => {
    const body = parseCreateRoom(req.body);
    if (typeof body === 'string') return sendError(res, 'bad-request', body);
    try {
      const { room, ownerToken, writeToken } = registry.create(body, requesterOf(req, addresses));
      const created: CreatedRoom = {
        id: room.id,
        name: room.name,
        ...roomLinks(baseUrl(req), room.id, ownerToken, writeToken),
        ownerToken,
        writeToken,
      };
      res.status(201).json(created);
    } catch (error) {
      if (error instanceof RoomError) return sendError(res, error.code, error.message);
      throw error;
    }
  });

  router.get('/rooms', (_req, res) => {
    res.json(registry.list().map((room) => room.summary()));
  });

  router.get('/rooms/:id', (req, res) => {
    const room = findRoom(req, res);
    if (room) res.json(room.summary());
  });

  router.get('/rooms/:id/screen', (req, res) => {
    const format = req.query.format ?? 'text';
    if (format !== 'text' && format !== 'ansi') return sendError(res, 'bad-request', 'format must be "text" or "ansi"');
    const room = findRoom(req, res);
    if (!room) return;
    res.type('text/plain; charset=utf-8').send(format === 'text' ? room.screenText() : room.snapshot().data);
  });

  router.delete('/rooms/:id', (req, res) => {
    const token = bearerToken(req);
    const id = parseId(req.params.id);
    const room = id === undefined ? undefined : registry.get(id);
    if (!room || token === undefined || !room.isOwnerToken(token)) {
      return sendError(res, 'not-found', NOT_FOUND_MESSAGE);
    }
    // Answer at once; the room is already unlisted, and its processes get their grace period.
    void registry.close(room.id, 'closed', { requester: requesterOf(req, addresses) }).catch(() => {
      // Only fails when the room vanished meanwhile, which is the outcome asked for.
    });
    res.status(204).end();
  });

  router.use((_req, res) => sendError(res, 'not-found', 'no such API route'));

  // express.json() reports bad JSON as 400 and oversized bodies as 413 through this handler.
  router.use((error: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.type === 'entity.too.large') return sendError(res, 'payload-too-large', `body larger than ${HttpLimits.MaxJsonBody}`);
    if (error.status === 400) return sendError(res, 'bad-request', 'body is not valid JSON');
    return sendError(res, 'internal', 'internal error');
  });
  return router;
}
