// SqliteSessionStore: express-session's store in one SQLite file, so sign-ins survive a restart; prunes expired sessions on a timer.

import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import session from 'express-session';
import type { Clock } from '../util/clock.js';
import type { IDisposable } from '../shared/disposable.js';

export const SessionStoreTiming = {
  /** Expired rows are harmless (get() ignores them) but take space; one sweep every 15 minutes is plenty. */
  PruneIntervalMs: 15 * 60 * 1000,
  /**
   * express-session touches the session on every request to push its expiry. Writing the row each time
   * would cost a disk write per asset; moving the expiry only when it gained this much loses at most a
   * minute of a session's life.
   */
  TouchGranularityMs: 60 * 1000,
  /** A session without a cookie expiry (never, with our settings) lives this long: one day. */
  FallbackLifetimeMs: 24 * 3600 * 1000,
  /** Another process holding the file (a second server on the same data dir) gets this long to let go. */
  BusyTimeoutMs: 5_000,
} as const;

/** Owner read/write only. */
const SESSION_FILE_MODE = 0o600;

type Callback = (error?: unknown) => void;

/** When a session expires, in ms since the epoch: its cookie's expiry, or the fallback lifetime. */
function expiryOf(data: session.SessionData, now: number): number {
  const expires = data.cookie?.expires;
  if (expires) {
    const time = new Date(expires).getTime();
    if (Number.isFinite(time)) return time;
  }
  return now + SessionStoreTiming.FallbackLifetimeMs;
}

export class SqliteSessionStore extends session.Store implements IDisposable {
  private readonly db: Database.Database;
  private readonly statements: {
    get: Database.Statement<[string, number], { data: string }>;
    set: Database.Statement<[string, number, string]>;
    expiry: Database.Statement<[string], { expires: number }>;
    touch: Database.Statement<[number, string]>;
    destroy: Database.Statement<[string]>;
    prune: Database.Statement<[number]>;
    count: Database.Statement<[number], { n: number }>;
  };
  private pruneTimer: IDisposable | undefined;
  private disposed = false;

  constructor(
    readonly file: string,
    private readonly clock: Clock,
  ) {
    super();
    // Sessions are bearer credentials: only the server's user may read them.
    closeSync(openSync(file, 'a', SESSION_FILE_MODE));
    this.db = new Database(file, { timeout: SessionStoreTiming.BusyTimeoutMs });
    // WAL: readers (every request) never wait for the writer (sign-ins, touches).
    this.db.pragma('journal_mode = WAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, expires INTEGER NOT NULL, data TEXT NOT NULL)');
    this.db.exec('CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires)');
    this.statements = {
      get: this.db.prepare('SELECT data FROM sessions WHERE sid = ? AND expires > ?'),
      set: this.db.prepare('INSERT INTO sessions (sid, expires, data) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET expires = excluded.expires, data = excluded.data'),
      expiry: this.db.prepare('SELECT expires FROM sessions WHERE sid = ?'),
      touch: this.db.prepare('UPDATE sessions SET expires = ? WHERE sid = ?'),
      destroy: this.db.prepare('DELETE FROM sessions WHERE sid = ?'),
      prune: this.db.prepare('DELETE FROM sessions WHERE expires <= ?'),
      count: this.db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE expires > ?'),
    };
    this.prune();
    this.schedulePrune();
  }

  private schedulePrune(): void {
    this.pruneTimer = this.clock.setTimer(SessionStoreTiming.PruneIntervalMs, () => {
      this.prune();
      this.schedulePrune();
    });
  }

  /** Deletes every expired session; returns how many went. */
  prune(): number {
    if (this.disposed) return 0;
    return this.statements.prune.run(this.clock.now()).changes;
  }

  /** Runs `work` and reports its result or error through express-session's callback. */
  private settle<T>(callback: ((error: unknown, value?: T) => void) | undefined, work: () => T): void {
    let value: T;
    try {
      if (this.disposed) throw new Error('the session store is closed');
      value = work();
    } catch (error) {
      callback?.(error);
      return;
    }
    callback?.(null, value);
  }

  override get(sid: string, callback: (error: unknown, session?: session.SessionData | null) => void): void {
    this.settle(callback, () => {
      const row = this.statements.get.get(sid, this.clock.now());
      if (!row) return null;
      try {
        return JSON.parse(row.data) as session.SessionData;
      } catch {
        // A damaged row is a lost session, not a server error: the user signs in again.
        this.statements.destroy.run(sid);
        return null;
      }
    });
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.settle(callback, () => {
      this.statements.set.run(sid, expiryOf(data, this.clock.now()), JSON.stringify(data));
    });
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    this.settle(callback, () => {
      const expires = expiryOf(data, this.clock.now());
      const row = this.statements.expiry.get(sid);
      if (row && expires - row.expires >= SessionStoreTiming.TouchGranularityMs) this.statements.touch.run(expires, sid);
    });
  }

  override destroy(sid: string, callback?: Callback): void {
    this.settle(callback, () => {
      this.statements.destroy.run(sid);
    });
  }

  override length(callback: (error: unknown, length?: number) => void): void {
    this.settle(callback, () => this.statements.count.get(this.clock.now())!.n);
  }

  override clear(callback?: Callback): void {
    this.settle(callback, () => {
      this.db.exec('DELETE FROM sessions');
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pruneTimer?.dispose();
    this.db.close();
  }
}
