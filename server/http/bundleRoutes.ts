// Incident bundle API (owner only, bearer owner token): one zip of the room's record (server/recording/bundle.ts), audited.

import { pipeline } from 'node:stream/promises';
import express, { type Router } from 'express';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import { BUNDLE_MEDIA_TYPE, bundleFileName, createBundle } from '../recording/bundle.js';
import { systemClock } from '../util/clock.js';
import { requesterOf } from '../auth/requester.js';
import { sendError } from '../net/errors.js';
import { admitRequest, type ApiAccess } from './roomAccess.js';

export function bundleRouter(registry: RoomRegistry, access: ApiAccess): Router {
  const router = express.Router();
  const clock = access.clock ?? systemClock;

  router.get('/rooms/:id/bundle', async (req, res) => {
    const admitted = admitRequest(req, res, registry, access, 'owner');
    if (!admitted) return;
    const { room, admission } = admitted;
    const requester = requesterOf(req, access.clientAddress);
    let bundle;
    try {
      bundle = await createBundle({ roomId: room.id, store: access.store, recording: access.recordings?.fileOf(room.id), now: clock.now() });
    } catch {
      return sendError(res, 'internal', 'the bundle could not be made');
    }
    access.auditor.record({
      event: 'bundle.downloaded',
      room: room.id,
      actor: requester.user,
      address: requester.address,
      detail: { by: admission.tokenId ?? 'owner' },
    });
    res.type(BUNDLE_MEDIA_TYPE);
    res.set('Content-Disposition', `attachment; filename="${bundleFileName(room.id)}"`);
    res.set('Cache-Control', 'no-store');
    try {
      await pipeline(bundle, res);
    } catch {
      // The client went away, or a part could not be read (retention removed the recording meanwhile): the
      // zip is cut short and the client sees a broken download; nothing left to answer.
    }
  });

  return router;
}
