// Audit API (the owner's: bearer owner token or signed-in owner user; also after the room is gone, recordAccess.ts):
// a room's audit events from the store, oldest first, a page at a time.

import express, { type Router } from 'express';
import type { StoredAuditEvent } from '../store/store.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import { sendError } from '../net/errors.js';
import type { ApiAccess } from './roomAccess.js';
import { admitRecordRequest } from './recordAccess.js';

export const AuditPaging = {
  /** Events per page when the request names no limit: a busy room's first hour fits in a few pages. */
  DefaultLimit: 100,
  /** Events per page at most, whatever the request asks: one answer stays well under a megabyte. */
  MaxLimit: 1_000,
} as const;

/** One page: `next` is the `after` that asks for the following page, null on the last one. */
export interface AuditPage {
  events: StoredAuditEvent[];
  next: number | null;
}

/** A whole number from a query string, or undefined when absent; 'bad' for anything else. */
function wholeNumber(value: unknown): number | undefined | 'bad' {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return 'bad';
  return Number(value);
}

export function auditRouter(registry: RoomRegistry, access: ApiAccess): Router {
  const router = express.Router();

  router.get('/rooms/:id/audit', (req, res) => {
    const admitted = admitRecordRequest(req, res, registry, access, 'owner');
    if (!admitted) return;
    const after = wholeNumber(req.query.after);
    const limit = wholeNumber(req.query.limit);
    if (after === 'bad' || limit === 'bad' || limit === 0) {
      return sendError(res, 'bad-request', `after and limit are whole numbers (limit from 1; at most ${AuditPaging.MaxLimit} are sent)`);
    }
    const pageSize = Math.min(limit ?? AuditPaging.DefaultLimit, AuditPaging.MaxLimit);
    // One more than the page, to know whether another page follows.
    const found = access.store.auditEvents({ room: admitted.roomId, after: after ?? 0, limit: pageSize + 1 });
    const events = found.slice(0, pageSize);
    const page: AuditPage = { events, next: found.length > pageSize ? events[events.length - 1]!.id : null };
    res.json(page);
  });

  return router;
}
