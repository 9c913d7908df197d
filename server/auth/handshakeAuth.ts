// Authentication at the socket.io handshake, once per connection: the session or Basic user, or a well-formed
// capability token in `auth: { token }`; anything else is refused with connect_error "unauthorized" (A5, A6).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket } from 'socket.io';
import { engineSessionId } from '../net/engineSession.js';
import { signedInUser } from './requester.js';
import { isWellFormedToken } from './capabilities.js';
import type { RawMiddleware, SignIn } from './passportSetup.js';

/** The connect_error message every refused handshake gets; it says nothing about which check failed. */
export const UNAUTHORIZED = 'unauthorized';

/** engine.io requests that start a connection (no session id yet); later polling requests are already admitted. */
function onlyForHandshake(middleware: RawMiddleware): RawMiddleware {
  return (req, res, next) => {
    const isHandshake = engineSessionId(req.url) === null;
    if (isHandshake) middleware(req, res, next);
    else next();
  };
}

/**
 * The verdict on a handshake under sign-in: admitted with a signed-in user or a well-formed token; refused
 * when a credential is missing, malformed (bad Basic, a token of the wrong shape) or its field is absent.
 */
export function handshakeVerdict(signIn: SignIn, req: IncomingMessage, auth: unknown): 'admit' | 'refuse' {
  if (!signIn.enabled) return 'admit';
  if (signIn.problemOf(req) !== undefined) return 'refuse';
  const fields = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>) : {};
  const hasToken = Object.prototype.hasOwnProperty.call(fields, 'token') && fields.token !== undefined;
  // A token field that is there must be a token, even next to a signed-in user: fail closed on junk.
  if (hasToken && !isWellFormedToken(fields.token)) return 'refuse';
  if (signedInUser(req) !== undefined || hasToken) return 'admit';
  return 'refuse';
}

/** Wires the identify chain into engine.io (as socket.io's passport example does) and the verdict into socket.io. */
export function attachHandshakeAuth(io: Server, signIn: SignIn): void {
  if (!signIn.enabled) return;
  for (const middleware of signIn.engineIdentify()) {
    io.engine.use(onlyForHandshake(middleware) as (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void);
  }
  io.use((socket: Socket, next) => {
    if (handshakeVerdict(signIn, socket.request, socket.handshake.auth) === 'admit') next();
    else next(new Error(UNAUTHORIZED));
  });
}
