// SignIn: the --auth mode's passport instance, sessions and Basic check, as middleware for HTTP and the socket
// handshake, plus the gates (pages, REST, who may create rooms) built on them.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { Auditor } from '../audit/auditLog.js';
import type { ClientAddress } from '../net/clientAddress.js';
import { sendError, sendSessionsUnavailable } from '../net/errors.js';
import type { Clock } from '../util/clock.js';
import { Disposable } from '../shared/disposable.js';
import type { AuthConfig, AuthMode } from './authMode.js';
import { bearerToken } from './capabilities.js';
import { BASIC_CHALLENGE, basicCredentialOf, sendBasicChallenge, credentialMatches, type BasicCredential } from './basicAuth.js';
import { OidcSignIn, OIDC_CALLBACK_PATH } from './oidc.js';
import { signedInUser, type SignedInUser } from './requester.js';
import { createSessions, SharedSessions, type SessionRedis, type Sessions } from './sessions.js';
import { SigninAudit, type SigninMethod } from './signinAudit.js';
import { UsersFile } from './usersFile.js';

/** A middleware that also runs on engine.io's raw requests (no express additions). */
export type RawMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** What went wrong with a credential the client did send; such a request is refused even if it has another. */
export type CredentialProblem = 'malformed' | 'rejected';

/** The request's path without the query, for decisions that depend on where it goes. */
function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://localhost').pathname;
}

/**
 * A cookie counts only when the request says where it comes from (A5 in docs/properties.md): browsers always send Origin
 * on WebSocket handshakes and on POST/DELETE, so a cookie without one comes from a non-browser client (which
 * must use a bearer token or Basic) or a page that should not have it. Browsers leave Origin off same-origin
 * GET/HEAD (Fetch standard), so for REST reads `Sec-Fetch-Site: same-origin`, which only a browser sets and
 * a page cannot fake, stands in for it; socket handshakes get no such exception.
 */
export function dropCookieWithoutOrigin(req: IncomingMessage, allowSameOriginRead: boolean): void {
  if (req.headers.cookie === undefined || typeof req.headers.origin === 'string') return;
  const read = req.method === 'GET' || req.method === 'HEAD';
  if (allowSameOriginRead && read && req.headers['sec-fetch-site'] === 'same-origin') return;
  delete req.headers.cookie;
}

/** A local path to return to after sign-in; anything else (another site, `//host`, odd characters) becomes `/`. */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  return value;
}

export interface SignInDeps {
  dataDir: string;
  auditor: Auditor;
  clock: Clock;
  /** The server's own origin (`http://127.0.0.1:7681`), known once it listens; for the OIDC redirect URL. */
  publicOrigin: () => string;
  /** Session cookies carry `Secure`: true exactly when the server speaks TLS. */
  secureCookies: boolean;
  /** The client's address (behind trusted proxies, the forwarded one), for the audit records. */
  clientAddress: ClientAddress;
  /** --redis: sessions and their secret live in this Redis, shared by every node; else SQLite in the data folder. */
  redis?: SessionRedis;
}

export class SignIn extends Disposable {
  readonly mode: AuthMode;
  readonly passport: passport.Authenticator;
  readonly audit: SigninAudit;
  readonly usersFile: UsersFile | undefined;
  readonly oidc: OidcSignIn | undefined;
  private readonly sessions: Sessions | undefined;
  private readonly problems = new WeakMap<IncomingMessage, CredentialProblem>();
  /** The client's address as the rest of the server reads it (--trust-proxy). */
  readonly clientAddress: ClientAddress;

  constructor(
    private readonly config: AuthConfig,
    deps: SignInDeps,
  ) {
    super();
    this.mode = config.mode;
    this.clientAddress = deps.clientAddress;
    this.audit = this.register(new SigninAudit(deps.auditor, deps.clock));
    // One instance per app, not passport's global one: tests run several servers in one process.
    this.passport = new passport.Passport();
    if (this.mode === 'local') this.usersFile = new UsersFile(config.usersFile);
    if (this.mode === 'local' || this.mode === 'oidc') {
      this.sessions = deps.redis ? new SharedSessions(deps.redis, deps.clock, deps.secureCookies) : createSessions(deps.dataDir, deps.clock, deps.secureCookies);
      this.register(this.sessions);
      this.setUpSessionUsers();
    }
    if (this.mode === 'local') {
      this.passport.use('local', new LocalStrategy({ session: true }, (name, password, done) => {
        this.usersFile!.verify(name, password).then(
          (ok) => done(null, ok ? this.localUser(name) : false),
          (error: unknown) => done(error),
        );
      }));
    }
    if (this.mode === 'oidc') {
      const oidc = config.oidc!;
      this.oidc = new OidcSignIn(oidc, this.passport, () => oidc.redirectUrl ?? `${deps.publicOrigin()}${OIDC_CALLBACK_PATH}`);
    }
  }

  get enabled(): boolean {
    return this.mode !== 'none';
  }

  get usesSessions(): boolean {
    return this.sessions !== undefined;
  }

  private localUser(name: string): SignedInUser {
    return { id: `local:${name}`, name };
  }

  /** The session holds `{ id, name }`; a local user removed from the users file no longer counts. */
  private setUpSessionUsers(): void {
    this.passport.serializeUser((user, done) => {
      const { id, name } = user as SignedInUser;
      done(null, { id, name });
    });
    this.passport.deserializeUser((stored: unknown, done) => {
      const user = stored as Partial<SignedInUser> | undefined;
      if (typeof user?.id !== 'string' || typeof user.name !== 'string') return done(null, false);
      if (user.id.startsWith('local:')) {
        let exists = false;
        try {
          exists = this.usersFile?.has(user.id.slice('local:'.length)) ?? false;
        } catch {
          // A damaged users file signs nobody in; UsersFile.verify says so on stderr.
          exists = false;
        }
        if (!exists) return done(null, false);
      } else if (!(this.mode === 'oidc' && user.id.startsWith('oidc:'))) {
        return done(null, false);
      }
      done(null, { id: user.id, name: user.name });
    });
  }

  /**
   * Whether signing in cannot work for this request because the session store (Redis, under --redis) cannot be
   * reached: sign-in routes and "sign in first" answers become 503 `sessions-unavailable`.
   */
  sessionsUnavailable(req: IncomingMessage): boolean {
    return this.sessions?.unavailableFor(req) ?? false;
  }

  /** The problem with a credential this request sent, if any (set by the identify middleware). */
  problemOf(req: IncomingMessage): CredentialProblem | undefined {
    return this.problems.get(req);
  }

  /** Checks a Basic credential: --credential under `basic`, the users file under `local`. */
  private async verifyBasic(credential: BasicCredential): Promise<{ user: SignedInUser; method: SigninMethod } | undefined> {
    if (this.mode === 'basic') {
      return credentialMatches(credential, this.config.credential!) ? { user: { id: `basic:${credential.user}`, name: credential.user }, method: 'basic' } : undefined;
    }
    if (this.mode === 'local') {
      return (await this.usersFile!.verify(credential.user, credential.password)) ? { user: this.localUser(credential.user), method: 'local-basic' } : undefined;
    }
    return undefined;
  }

  /** Reads `Authorization: Basic` (basic and local modes) into `req.user`, or notes why it does not count. */
  private readonly basicMiddleware: RawMiddleware = (req, _res, next) => {
    if (this.mode !== 'basic' && this.mode !== 'local') return next();
    const credential = basicCredentialOf(req);
    if (credential === undefined) return next();
    const address = this.clientAddress.of(req);
    const method: SigninMethod = this.mode === 'basic' ? 'basic' : 'local-basic';
    if (credential === 'malformed') {
      this.problems.set(req, 'malformed');
      this.audit.failed(address, method);
      return next();
    }
    this.verifyBasic(credential).then((verified) => {
      if (verified) {
        // A Basic credential speaks for this request only; it replaces a session's user if both came.
        (req as IncomingMessage & { user?: SignedInUser }).user = verified.user;
        this.audit.succeeded(verified.user.id, address, verified.method);
      } else {
        this.problems.set(req, 'rejected');
        this.audit.failed(address, method);
      }
      next();
    }, next);
  };

  /** The chain that puts the signed-in user on `req.user`, for raw requests (engine.io) and express alike. */
  private identifyChain(): RawMiddleware[] {
    const chain: RawMiddleware[] = [];
    if (this.sessions) {
      const sessions = this.sessions;
      const passportSession = this.passport.session() as unknown as RawMiddleware;
      chain.push(sessions.middleware as unknown as RawMiddleware);
      // Without a session (its store cannot be reached) the request goes on signed out; passport would fail it.
      chain.push((req, res, next) => (sessions.unavailableFor(req) && !(req as { session?: unknown }).session ? next() : passportSession(req, res, next)));
    }
    chain.push(this.basicMiddleware);
    return chain;
  }

  /** HTTP: the identify chain for every request; cookies on /api count only with an Origin (A5). */
  httpIdentify(): RequestHandler {
    if (!this.enabled) return (_req, _res, next) => next();
    const originRule: RawMiddleware = (req, _res, next) => {
      if (pathOf(req).startsWith('/api/')) dropCookieWithoutOrigin(req, true);
      next();
    };
    const chain = [originRule, ...this.identifyChain()];
    return (req, res, next) => {
      const step = (index: number, error?: unknown): void => {
        if (error !== undefined || index === chain.length) return next(error);
        chain[index]!(req, res, (stepError?: unknown) => step(index + 1, stepError));
      };
      step(0);
    };
  }

  /** engine.io: the identify chain for handshake requests, after dropping a cookie that came without Origin. */
  engineIdentify(): RawMiddleware[] {
    if (!this.enabled) return [];
    const originRule: RawMiddleware = (req, _res, next) => {
      dropCookieWithoutOrigin(req, false);
      next();
    };
    return [originRule, ...this.identifyChain()];
  }

  /** Sends the refusal for "sign in first": a Basic challenge under basic/local (for scripts), 401 JSON. */
  private refuse(res: Response): void {
    if (this.mode === 'basic' || this.mode === 'local') res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
    sendError(res, 'unauthorized', 'sign in first');
  }

  /** Pages that need a signed-in user (the lobby): challenge under basic, otherwise off to the sign-in page. */
  readonly pageGate: RequestHandler = (req, res, next) => {
    if (!this.enabled || signedInUser(req)) return next();
    if (this.sessionsUnavailable(req)) return sendSessionsUnavailable(res);
    if (this.mode === 'basic') {
      sendBasicChallenge(res);
      return;
    }
    res.redirect(303, `/login?next=${encodeURIComponent(safeReturnPath(req.originalUrl))}`);
  };

  /**
   * REST: a signed-in user, or a well-formed bearer token on a room-scoped route (the room checks the
   * token). A credential that was sent but is malformed or wrong refuses the request outright. Creating a
   * room needs a user allowed to (--creators).
   */
  readonly apiGate: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    if (!this.enabled) return next();
    if (this.problems.has(req)) return this.refuse(res);
    const user = signedInUser(req);
    const path = pathOf(req).replace(/^\/api/, '');
    if (user) {
      if (req.method === 'POST' && path === '/rooms' && !this.mayCreateRooms(user)) {
        return sendError(res, 'forbidden', 'you may not create rooms on this server');
      }
      return next();
    }
    // Room-scoped routes take a capability token instead (the route checks it): reading a room, its screen, its
    // tokens, and its record (recording, audit, bundle), which an owner link opens after the room has ended too; the
    // history takes a member's one-time ticket.
    if (/^\/rooms\/[^/]+(\/screen|\/history|\/recording|\/audit|\/bundle|\/tokens(\/[^/]+)?)?$/.test(path) && typeof bearerToken(req) === 'string') return next();
    // Signing in cannot work now (--redis, Redis down): say so rather than "sign in first".
    if (this.sessionsUnavailable(req)) return sendSessionsUnavailable(res);
    this.refuse(res);
  };

  /** --creators, or every signed-in user; under `none` anyone who reaches the (loopback) server. */
  mayCreateRooms(user: SignedInUser | undefined): boolean {
    if (!this.enabled) return true;
    if (!user) return false;
    return this.config.creators === undefined || this.config.creators.includes(user.id);
  }
}
