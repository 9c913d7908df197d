// Sign-in sessions: the cookie's settings, and express-session over SQLite with the secret in the data folder (one
// node), or over Redis with one secret for every node (--redis), which waits for Redis instead of failing.

import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import session from 'express-session';
import { SessionsUnavailableError } from '../net/errors.js';
import type { Clock } from '../util/clock.js';
import { Disposable, type IDisposable } from '../shared/disposable.js';
import type { Event } from '../shared/emitter.js';
import { log } from '../util/logger.js';
import { agreeOnSecret } from '../util/sharedSecret.js';
import { RedisSessionStore, SessionKeys, type SessionRedisClient } from './redisSessionStore.js';
import { SqliteSessionStore } from './sessionStore.js';

export const SESSION_COOKIE = 'ttyroom.sid';
export const SESSIONS_FILE = 'sessions.sqlite';
export const SESSION_SECRET_FILE = 'session-secret';

export const SessionCookie = {
  /**
   * 12 hours, the default room lifetime: one working day. The cookie is not renewed by use, so a stolen
   * one stops working by the next day, and a person signs in about once a day.
   */
  MaxAgeMs: 12 * 3600 * 1000,
  /** 256 bits of secret for the cookie's HMAC signature. */
  SecretBytes: 32,
} as const;

export const SharedSessionTiming = {
  /**
   * After a failed agreement on the secret while Redis answers (an ACL, a damaged key), requests try again no sooner
   * than this (ms): otherwise every request would ask Redis and log the same warning.
   */
  SecretRetryMs: 2_000,
} as const;

/** Owner read/write only: whoever reads the secret can forge session cookies. */
const SECRET_FILE_MODE = 0o600;

/**
 * The cookie-signing secret, made once and kept in `<dataDir>/session-secret`, so sessions survive a
 * restart. Created exclusively ('wx'): two servers starting together agree on the file that won.
 */
export function loadSessionSecret(dataDir: string): string {
  const file = join(dataDir, SESSION_SECRET_FILE);
  try {
    writeFileSync(file, `${randomBytes(SessionCookie.SecretBytes).toString('base64url')}\n`, { flag: 'wx', mode: SECRET_FILE_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < SessionCookie.SecretBytes) throw new Error(`${file} is too short to be a session secret; delete it to make a new one (everyone signs in again)`);
  return secret;
}

export interface Sessions extends IDisposable {
  /** express-session (with the shared store: behind a check that its store can be reached). */
  middleware: RequestHandler;
  /**
   * Whether sign-in cannot work for this request because the session store cannot be reached: its session (if it
   * has a cookie) could not be read, or a new one could not be stored. Such a request has no `req.session`.
   */
  unavailableFor(req: IncomingMessage): boolean;
}

/**
 * express-session with our cookie: `HttpOnly` (scripts never see it), `SameSite=Lax`, `Secure` under TLS.
 * Lax, not Strict: the OpenID provider sends the browser back to /auth/oidc/callback with a cross-site
 * top-level navigation, and Strict would leave the cookie (holding the sign-in state) behind, failing every
 * OIDC sign-in; a link to the lobby from a chat would also arrive signed out. Lax still keeps the cookie off
 * cross-site POSTs, subrequests and WebSocket handshakes; socket handshakes also need an Origin header.
 *
 * The same options, but the secret and the store, on one node and on many.
 */
function sessionOptions(secure: boolean): Omit<session.SessionOptions, 'secret' | 'store'> {
  return {
    name: SESSION_COOKIE,
    resave: false,
    // No cookie before sign-in (or before the OIDC state needs one): nothing to fixate, nothing to store.
    saveUninitialized: false,
    rolling: false,
    unset: 'destroy',
    cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SessionCookie.MaxAgeMs },
  };
}

/** One node: sessions in `<dataDir>/sessions.sqlite`, signed with the secret in the data folder. */
export function createSessions(dataDir: string, clock: Clock, secure: boolean): Sessions {
  const store = new SqliteSessionStore(join(dataDir, SESSIONS_FILE), clock);
  const middleware = session({ ...sessionOptions(secure), secret: loadSessionSecret(dataDir), store });
  return { middleware, unavailableFor: () => false, dispose: () => store.dispose() };
}

/** What shared sessions need of the node's Redis link (cluster/redisLink.ts): its command connection and its state. */
export interface SessionRedis {
  /** Fails at once while Redis is down (no offline queue). */
  readonly commands: SessionRedisClient;
  /** Fires when Redis goes down or comes back. */
  readonly onUpChanged: Event<boolean>;
}

/**
 * The cookie-signing secret every node shares: the first node to reach Redis writes its proposal (SET NX, no expiry)
 * and every node reads back the one that won. It lives next to the sessions it protects, which are bearer credentials
 * already, so it asks no more of Redis (private, or rediss://) than they do.
 */
export function agreeSessionSecret(redis: SessionRedis['commands'], proposal: string): Promise<string> {
  return agreeOnSecret(redis, SessionKeys.secret, proposal, SessionCookie.SecretBytes);
}

/**
 * Sessions in Redis (--redis). The node starts without Redis: until the shared secret is read, and whenever Redis is
 * down, requests go on without a session (pages and capability links work, sign-in answers 503
 * `sessions-unavailable`); once Redis answers, sessions work without a restart.
 */
export class SharedSessions extends Disposable implements Sessions {
  private readonly store: RedisSessionStore;
  /** The cookie-signing secret the nodes agreed on, once known. */
  private secret: string | undefined;
  /** express-session with that secret. */
  private session: RequestHandler | undefined;
  private loading = false;
  /** When the last agreement failed (clock ms), if the secret is still unknown. */
  private failedAt: number | undefined;
  private readonly unavailable = new WeakSet<IncomingMessage>();

  constructor(
    private readonly redis: SessionRedis,
    private readonly clock: Clock,
    private readonly secure: boolean,
  ) {
    super();
    this.store = new RedisSessionStore(redis.commands, clock);
    this.register(redis.onUpChanged((up) => {
      if (!up) return;
      this.failedAt = undefined;
      this.loadSecret();
    }));
    this.loadSecret();
  }

  /**
   * Agrees on the shared secret with the other nodes, proposing the one this node has (or a new one): at start, and
   * every time Redis comes back, because a Redis that lost its data (restarted without persistence) lost the secret
   * too, and the node that reconnects first must not sign with another secret than the rest. A failure waits for the
   * next try.
   */
  private loadSecret(): void {
    if (this.loading || this.isDisposed || this.redis.commands.status !== 'ready') return;
    if (this.failedAt !== undefined && this.clock.now() - this.failedAt < SharedSessionTiming.SecretRetryMs) return;
    this.loading = true;
    agreeSessionSecret(this.redis.commands, this.secret ?? randomBytes(SessionCookie.SecretBytes).toString('base64url')).then(
      (secret) => {
        this.loading = false;
        this.failedAt = undefined;
        if (this.isDisposed || secret === this.secret) return;
        if (this.secret !== undefined) log.warn({}, 'sessions: Redis holds another session secret now (it lost its data?); signing with that one');
        else log.info({}, 'sessions: sign-in sessions are in Redis');
        this.secret = secret;
        this.session = session({ ...sessionOptions(this.secure), secret, store: this.store });
      },
      (error: unknown) => {
        this.loading = false;
        this.failedAt = this.clock.now();
        log.warn({}, `sessions: cannot agree on the session secret in Redis yet: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  readonly middleware: RequestHandler = (req, res, next) => {
    const session = this.session;
    if (!session || this.redis.commands.status !== 'ready') {
      // Redis came back before its up event, or the secret was not read yet: try now, answer this request without.
      if (!session) this.loadSecret();
      this.unavailable.add(req);
      return next();
    }
    // express-session may call back twice: once when the session is read, and again from the end of the response if
    // saving it then fails. That response is already on its way and the change is lost; the first answer stands.
    let answered = false;
    session(req, res, (error?: unknown) => {
      if (answered) return;
      answered = true;
      if (error instanceof SessionsUnavailableError) {
        this.unavailable.add(req);
        // With `unset: 'destroy'`, express-session deletes the session of a request that ends without one: a lookup
        // that failed would sign the user out on every node once Redis answers deletes again.
        delete (req as { sessionID?: string }).sessionID;
        return next();
      }
      next(error);
    });
  };

  unavailableFor(req: IncomingMessage): boolean {
    return this.unavailable.has(req) || this.redis.commands.status !== 'ready';
  }
}
