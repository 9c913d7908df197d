// Sign-in sessions: the cookie's settings, the session secret kept in the data folder, and express-session over SQLite.

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type { Clock } from '../util/clock.js';
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

export interface Sessions {
  middleware: RequestHandler;
  store: SqliteSessionStore;
}

/**
 * express-session with our cookie: `HttpOnly` (scripts never see it), `SameSite=Lax`, `Secure` under TLS.
 * Lax, not Strict: the OpenID provider sends the browser back to /auth/oidc/callback with a cross-site
 * top-level navigation, and Strict would leave the cookie (holding the sign-in state) behind, failing every
 * OIDC sign-in; a link to the lobby from a chat would also arrive signed out. Lax still keeps the cookie off
 * cross-site POSTs, subrequests and WebSocket handshakes; socket handshakes also need an Origin header.
 */
export function createSessions(dataDir: string, clock: Clock, secure: boolean): Sessions {
  const store = new SqliteSessionStore(join(dataDir, SESSIONS_FILE), clock);
  const middleware = session({
    name: SESSION_COOKIE,
    secret: loadSessionSecret(dataDir),
    store,
    resave: false,
    // No cookie before sign-in (or before the OIDC state needs one): nothing to fixate, nothing to store.
    saveUninitialized: false,
    rolling: false,
    unset: 'destroy',
    cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SessionCookie.MaxAgeMs },
  });
  return { middleware, store };
}
