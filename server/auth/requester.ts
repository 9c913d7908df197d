// Who is asking: the client's network address and, once signed in, the verified user. One reading for REST and sockets.

import type { IncomingMessage } from 'node:http';
import type { ClientAddress } from '../net/clientAddress.js';

/** A user verified by sign-in. `id` is stable and unique across sign-in methods (e.g. `local:alice`). */
export interface SignedInUser {
  id: string;
  /** What other members see; not unique. */
  name: string;
}

/** Who asks for something: the address it came from and, when signed in, the user. */
export interface Requester {
  address: string;
  /** The signed-in user's id; without one, the address stands for the user (caps, audit). */
  user?: string;
}

/** The verified user of a request, if sign-in put one there (passport's `req.user`). */
export function signedInUser(req: IncomingMessage): SignedInUser | undefined {
  const user = (req as IncomingMessage & { user?: unknown }).user;
  if (typeof user !== 'object' || user === null) return undefined;
  const { id, name } = user as Partial<SignedInUser>;
  return typeof id === 'string' && typeof name === 'string' ? { id, name } : undefined;
}

/**
 * The requester of an HTTP request or a socket's handshake request. The address comes from the app's
 * ClientAddress: the socket's peer, or with --trust-proxy the client named by trusted proxies.
 */
export function requesterOf(req: IncomingMessage, addresses: ClientAddress): Requester {
  const user = signedInUser(req);
  const address = addresses.of(req);
  return user ? { address, user: user.id } : { address };
}
