// REST API (docs/protocol.md, HTTP routes): create, list, inspect, read the screen of, and close rooms; list profiles; health check.

import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { ASCIICAST_MEDIA_TYPE } from '../recording/asciicast.js';
import type { CreatedRoom } from '../shared/events.js';
import { parseCreateRoom } from '../shared/validate.js';
import { RoomError, type RoomRegistry } from '../rooms/roomRegistry.js';
import { requesterOf, signedInUser } from '../auth/requester.js';
import { sendError } from '../net/errors.js';
import { roomLinks } from './links.js';
import { admitRequest, baseUrl, type ApiAccess } from './roomAccess.js';
import { tokenRouter } from './tokenRoutes.js';
import { auditRouter } from './auditRoutes.js';
import { historyRouter } from './historyRoutes.js';
import { bundleRouter } from './bundleRoutes.js';
import { admitRecordRequest } from './recordAccess.js';

/**
 * Says whether a recording was still being written when fetched ('live': the room runs, the file ends at its
 * last flush) or is whole ('finished'): the replay page tells its viewer.
 */
export const RECORDING_STATE_HEADER = 'X-Recording-State';

export const HttpLimits = {
  /** A create-room body is a handful of short fields; anything bigger is not one. */
  MaxJsonBody: '16kb',
} as const;

export function apiRouter(registry: RoomRegistry, access: ApiAccess): Router {
  const router = express.Router();
  router.use(express.json({ limit: HttpLimits.MaxJsonBody, strict: true }));

  // Viewer+ (docs/protocol.md): public rooms need nothing; private ones a bearer token or an allowed user.
  const findRoom = (req: Request, res: Response) => admitRequest(req, res, registry, access, 'viewer')?.room;

  router.post('/rooms', async (req, res) => {
    const body = parseCreateRoom(req.body, { permitArguments: access.permitArguments });
    if (typeof body === 'string') return sendError(res, 'bad-request', body);
    try {
      // An ssh profile connects (and signs in) before the room exists; a local one is created at once.
      const { room, ownerToken, writeToken } = await registry.createRoom(body, requesterOf(req, access.clientAddress));
      const created: CreatedRoom = {
        id: room.id,
        name: room.name,
        ...roomLinks(baseUrl(req), room.id, ownerToken, writeToken),
        ownerToken,
        writeToken,
      };
      res.status(201).json(created);
    } catch (error) {
      if (error instanceof RoomError) return sendError(res, error.code, error.message, error.fingerprints);
      throw error;
    }
  });

  // Anyone allowed in, as GET /rooms: what the lobby's form needs, never a command, argv or pattern.
  router.get('/profiles', (_req, res) => {
    res.json(registry.profileSummaries());
  });

  router.get('/rooms', async (req, res) => {
    const user = signedInUser(req)?.id;
    const here = registry.list().filter((room) => room.access.visibleTo(user)).map((room) => room.summary());
    // Other nodes list only the rooms anyone may see (server/cluster/roomDirectory.ts); their private rooms stay on them.
    const elsewhere = access.remoteRooms ? await access.remoteRooms() : [];
    res.json([...here, ...elsewhere]);
  });

  router.get('/rooms/:id', (req, res) => {
    const room = findRoom(req, res);
    if (room) res.json(room.summary());
  });

  router.get('/rooms/:id/screen', async (req, res) => {
    const format = req.query.format ?? 'text';
    if (format !== 'text' && format !== 'ansi') return sendError(res, 'bad-request', 'format must be "text" or "ansi"');
    const admitted = admitRequest(req, res, registry, access, 'viewer');
    if (!admitted) return;
    const { room } = admitted;
    // Behind the curtain the screen is the owner's alone (a REST caller is no member the owner could have chosen).
    if (room.curtainDown && admitted.admission.role !== 'owner') {
      return sendError(res, 'conflict', 'the curtain is down: the screen is hidden until the owner lifts it');
    }
    // A REST caller is no member the owner admitted: with approval on it would read past the lobby, and in a
    // locked room a kicked member would keep reading through its link.
    if ((room.settings.approval || room.settings.locked) && admitted.admission.role !== 'owner') {
      return sendError(res, 'conflict', 'this room admits members one by one: its screen is shown only inside the room');
    }
    // The screen as of this request: the mirror (in a worker) first parses what was broadcast before it.
    await room.mirrorCaughtUp();
    const body = format === 'text' ? await room.screenText() : bytesOf((await room.snapshot()).data);
    res.type('text/plain; charset=utf-8').send(body);
  });

  // The owner's (bearer owner link or signed-in owner) unless the operator opened recordings to members; a running
  // room's too, up to the last flush; a finished room's until retention removes it (recordAccess.ts).
  router.get('/rooms/:id/recording', async (req, res) => {
    const { recordings } = access;
    const admitted = admitRecordRequest(req, res, registry, access, recordings?.openToMembers ? 'viewer' : 'owner');
    if (!admitted) return;
    const { roomId, room } = admitted;
    const file = recordings?.fileOf(roomId);
    if (!file) return sendError(res, 'not-found', 'this room has no recording');
    res.type(ASCIICAST_MEDIA_TYPE);
    res.set('Content-Disposition', `attachment; filename="${roomId}.cast"`);
    res.set('Cache-Control', 'no-store');
    res.set(RECORDING_STATE_HEADER, room && !room.exited ? 'live' : 'finished');
    const stream = createReadStream(file);
    stream.once('open', () => {
      const requester = requesterOf(req, access.clientAddress);
      access.auditor.record({ event: 'recording.downloaded', room: roomId, actor: requester.user, address: requester.address, detail: { role: admitted.role } });
    });
    try {
      await pipeline(stream, res);
    } catch {
      // The client went away, or retention removed the file meanwhile: nothing left to answer.
      if (!res.headersSent) sendError(res, 'not-found', 'this room has no recording');
    }
  });

  router.delete('/rooms/:id', (req, res) => {
    const room = admitRequest(req, res, registry, access, 'owner')?.room;
    if (!room) return;
    // Answer at once; the room is already unlisted, and its processes get their grace period.
    void registry.close(room.id, 'closed', { requester: requesterOf(req, access.clientAddress) }).catch(() => {
      // Only fails when the room vanished meanwhile, which is the outcome asked for.
    });
    res.status(204).end();
  });

  router.use(tokenRouter(registry, access));
  router.use(auditRouter(registry, access));
  router.use(historyRouter(registry, access));
  router.use(bundleRouter(registry, access));

  router.use((_req, res) => sendError(res, 'not-found', 'no such API route'));

  // express.json() reports bad JSON as 400 and oversized bodies as 413 through this handler.
  router.use((error: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.type === 'entity.too.large') return sendError(res, 'payload-too-large', `body larger than ${HttpLimits.MaxJsonBody}`);
    if (error.status === 400) return sendError(res, 'bad-request', 'body is not valid JSON');
    return sendError(res, 'internal', 'internal error');
  });
  return router;
}

/** A view of the snapshot's bytes for express (which sends a Buffer as it is), without copying them. */
function bytesOf(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
