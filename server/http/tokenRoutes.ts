// Capability token API (owner only, bearer owner token): mint viewer/writer links, list them without secrets,
// revoke them; revocation reaches connected members at once (RoomAccess re-derives their roles, the Room applies them).

import express, { type Router } from 'express';
import { CapabilityStoreFullError } from '../auth/capabilityStore.js';
import { requesterOf } from '../auth/requester.js';
import type { MintedToken, TokenSummary } from '../shared/events.js';
import { parseId, parseMintToken } from '../shared/validate.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import { sendError } from '../net/errors.js';
import { admitRequest, baseUrl, type ApiAccess } from './roomAccess.js';

export function tokenRouter(registry: RoomRegistry, access: ApiAccess): Router {
  const router = express.Router();
  const { auditor } = access;

  router.post('/rooms/:id/tokens', (req, res) => {
    const admitted = admitRequest(req, res, registry, access, 'owner');
    if (!admitted) return;
    const body = parseMintToken(req.body);
    if (typeof body === 'string') return sendError(res, 'bad-request', body);
    const { room, admission } = admitted;
    const requester = requesterOf(req, access.clientAddress);
    let minted;
    try {
      minted = room.access.capabilities.mint({
        role: body.role,
        ...(body.expiresInSeconds !== undefined ? { expiresInMs: body.expiresInSeconds * 1000 } : {}),
        ...(body.label !== undefined ? { label: body.label } : {}),
        createdBy: requester.user ?? requester.address,
      });
    } catch (error) {
      if (error instanceof CapabilityStoreFullError) return sendError(res, 'conflict', error.message);
      throw error;
    }
    const { token, info } = minted;
    auditor.record({
      event: 'token.minted',
      room: room.id,
      actor: requester.user,
      address: requester.address,
      detail: { tokenId: info.id, role: info.role, by: admission.tokenId ?? 'owner', ...(info.expiresAt ? { expiresAt: info.expiresAt } : {}) },
    });
    const answer: MintedToken = { id: info.id, role: body.role, token, url: `${baseUrl(req)}/r/${room.id}#token=${token}` };
    if (info.expiresAt !== undefined) answer.expiresAt = info.expiresAt;
    res.status(201).json(answer);
  });

  router.get('/rooms/:id/tokens', (req, res) => {
    const admitted = admitRequest(req, res, registry, access, 'owner');
    if (!admitted) return;
    const list: TokenSummary[] = admitted.room.access.capabilities.list();
    res.json(list);
  });

  router.delete('/rooms/:id/tokens/:tokenId', (req, res) => {
    const admitted = admitRequest(req, res, registry, access, 'owner');
    if (!admitted) return;
    const { room, admission } = admitted;
    const tokenId = parseId(req.params.tokenId);
    const info = tokenId === undefined ? undefined : room.access.capabilities.get(tokenId);
    if (!info) return sendError(res, 'not-found', 'no such token in this room');
    // The owner would lock itself out; closing the room is the way to end it.
    if (info.role === 'owner') return sendError(res, 'conflict', 'the owner token cannot be revoked; close the room instead');
    room.access.capabilities.revoke(info.id);
    const requester = requesterOf(req, access.clientAddress);
    auditor.record({
      event: 'token.revoked',
      room: room.id,
      actor: requester.user,
      address: requester.address,
      detail: { tokenId: info.id, role: info.role, reason: 'revoked', by: admission.tokenId ?? 'owner' },
    });
    res.status(204).end();
  });

  return router;
}
