// RedisSessionStore: express-session's store in Redis (--redis), so a sign-in on one node counts on every node; each session expires with its cookie.

import session from 'express-session';
import type { Redis } from 'ioredis';
import { SessionsUnavailableError } from '../net/errors.js';
import type { Clock } from '../util/clock.js';

/**
 * Keys, under the `ttyroom:` prefix every key of a node shares (the room directory's too), so a shared Redis can
 * tell ttyroom's apart.
 */
export const SessionKeys = {
  /** One session's JSON (string), expiring with its cookie. */
  session: (sid: string) => `ttyroom:session:${sid}`,
  /** The cookie-signing secret every node uses (string, no expiry): written by whichever node reaches Redis first (again after Redis lost it). */
  secret: 'ttyroom:session-secret',
} as const;

export const RedisSessionTiming = {
  /** A session without a cookie expiry (never, with our settings) lives this long (ms): one day, as in SQLite. */
  FallbackLifetimeMs: 24 * 3600 * 1000,
} as const;

type Callback = (error?: unknown) => void;

/** The Redis client the store talks to: the node's command connection (RedisLink.commands), which fails at once while Redis is down. */
export type SessionRedisClient = Pick<Redis, 'get' | 'set' | 'del' | 'status'>;

export class RedisSessionStore extends session.Store {
  constructor(
    private readonly redis: SessionRedisClient,
    private readonly clock: Clock,
  ) {
    super();
  }

  /** Runs `work` against Redis; every failure reaches express-session as SessionsUnavailableError (a 503, never a 500). */
  private settle<T>(callback: ((error: unknown, value?: T) => void) | undefined, work: () => Promise<T>): void {
    if (this.redis.status !== 'ready') {
      callback?.(new SessionsUnavailableError());
      return;
    }
    work().then(
      (value) => callback?.(null, value),
      (error: unknown) => callback?.(new SessionsUnavailableError(error)),
    );
  }

  override get(sid: string, callback: (error: unknown, session?: session.SessionData | null) => void): void {
    this.settle(callback, async () => {
      const stored = await this.redis.get(SessionKeys.session(sid));
      if (stored === null) return null;
      try {
        return JSON.parse(stored) as session.SessionData;
      } catch {
        // A damaged entry is a lost session, not a server error: the user signs in again.
        await this.redis.del(SessionKeys.session(sid));
        return null;
      }
    });
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.settle(callback, async () => {
      const now = this.clock.now();
      const expires = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : Number.NaN;
      const lifetimeMs = Number.isFinite(expires) ? expires - now : RedisSessionTiming.FallbackLifetimeMs;
      // A session whose cookie already expired is gone, as the browser forgets the cookie.
      if (lifetimeMs <= 0) await this.redis.del(SessionKeys.session(sid));
      else await this.redis.set(SessionKeys.session(sid), JSON.stringify(data), 'PX', Math.ceil(lifetimeMs));
    });
  }

  /**
   * Nothing to do: the cookie is not renewed by use (rolling off), so the entry keeps the cookie's expiry instead of
   * moving it on every request, which would also cost a Redis write per request.
   */
  override touch(_sid: string, _data: session.SessionData, callback?: Callback): void {
    callback?.();
  }

  override destroy(sid: string, callback?: Callback): void {
    this.settle(callback, async () => {
      await this.redis.del(SessionKeys.session(sid));
    });
  }
}
