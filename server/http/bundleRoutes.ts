// Incident bundle API (owner only, live or finished room: see recordAccess.ts): one zip of the room's record
// (server/recording/bundle.ts), audited.

import { pipeline } from 'node:stream/promises';
import express, { type Router } from 'express';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import { BUNDLE_MEDIA_TYPE, bundleFileName, createBundle } from '../recording/bundle.js';
import { systemClock } from '../util/clock.js';
import { requesterOf } from '../auth/requester.js';
import { sendError } from '../net/errors.js';
import type { ApiAccess } from './roomAccess.js';
import { admitRecordRequest } from './recordAccess.js';

export function bundleRouter(registry: RoomRegistry, access: ApiAccess): Router {
  const router = express.Router();
  const clock = access.clock ?? systemClock;

  router.get('/rooms/:id/bundle', async (req, res) => {
    const admitted = admitRecordRequest(req, res, registry, access, 'owner');
    if (!admitted) return;
    const { roomId } = admitted;
    const requester = requesterOf(req, access.clientAddress);
    let bundle;
    try {
      bundle = await createBundle({ roomId, store: access.store, recording: access.recordings?.fileOf(roomId), now: clock.now() });
    } catch {
      return sendError(res, 'internal', 'the bundle could not be made');
    }
    access.auditor.record({
      event: 'bundle.downloaded',
      room: roomId,
      actor: requester.user,
      address: requester.address,
      detail: { by: admitted.tokenId ?? 'owner' },
    });
    res.type(BUNDLE_MEDIA_TYPE);
    res.set('Content-Disposition', `attachment; filename="${bundleFileName(roomId)}"`);
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
