// The store's schema, as numbered steps: the database's PRAGMA user_version says how many of them it has taken.

import type Database from 'better-sqlite3';
import { ConfigError } from '../util/configError.js';

export interface Migration {
  /** The user_version the database has once this step ran: 1, 2, 3… with no gap. */
  version: number;
  /** What the step does, for error messages and the reader of this file. */
  name: string;
  up(db: Database.Database): void;
}

/**
 * Never edit a step that has shipped: a database that took it will not take it again. Add a step instead.
 * Times are INTEGER milliseconds since the epoch; details are JSON text.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'rooms, member sessions and audit events',
    up(db) {
      db.exec(`
        CREATE TABLE rooms (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          profile TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          closed_at INTEGER,
          exit_reason TEXT,
          exit_code INTEGER,
          exit_signal TEXT
        );
        CREATE INDEX rooms_closed_at ON rooms (closed_at);
        CREATE TABLE member_sessions (
          id INTEGER PRIMARY KEY,
          room TEXT NOT NULL,
          member_id TEXT NOT NULL,
          name TEXT NOT NULL,
          role TEXT NOT NULL,
          user TEXT,
          address TEXT,
          joined_at INTEGER NOT NULL,
          left_at INTEGER,
          commands INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX member_sessions_member ON member_sessions (room, member_id);
        -- AUTOINCREMENT: ids never come back after a retention sweep, so a reader's "after" cursor stays valid.
        CREATE TABLE audit_events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          time INTEGER NOT NULL,
          event TEXT NOT NULL,
          room TEXT,
          actor TEXT,
          address TEXT,
          detail TEXT
        );
        CREATE INDEX audit_events_room ON audit_events (room, id);
        CREATE INDEX audit_events_time ON audit_events (time);
      `);
    },
  },
  {
    version: 2,
    name: 'recordings index and chat counts',
    up(db) {
      db.exec(`
        CREATE TABLE recordings (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          room TEXT NOT NULL,
          path TEXT NOT NULL,
          started_at INTEGER NOT NULL,
          ended_at INTEGER,
          size INTEGER NOT NULL DEFAULT 0,
          flags TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX recordings_room ON recordings (room);
        ALTER TABLE member_sessions ADD COLUMN chats INTEGER NOT NULL DEFAULT 0;
      `);
    },
  },
  {
    version: 3,
    name: 'bookmarks, and who owns a room after it is gone',
    up(db) {
      db.exec(`
        CREATE TABLE bookmarks (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          room TEXT NOT NULL,
          time INTEGER NOT NULL,
          member_id TEXT NOT NULL,
          name TEXT NOT NULL,
          label TEXT NOT NULL
        );
        CREATE INDEX bookmarks_room ON bookmarks (room, id);
        -- SHA-256 hashes of the room's owner tokens (never the tokens): they keep opening its record after it ends.
        CREATE TABLE owner_tokens (
          room TEXT NOT NULL,
          token_hash BLOB NOT NULL,
          PRIMARY KEY (room, token_hash)
        );
        -- The signed-in user who owns the room, if any: its record stays theirs after it ends.
        ALTER TABLE rooms ADD COLUMN owner_user TEXT;
      `);
    },
  },
];

/** The version a database has after every step. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Thrown for a database this code cannot use (newer than it, or a step that failed). A ConfigError: the
 * server stops at start with this one line, as for a bad option.
 */
export class StoreSchemaError extends ConfigError {}

/**
 * Brings `db` to SCHEMA_VERSION, one step per transaction (a step that fails leaves the database at the
 * step before it). Returns the versions it went through, e.g. [1, 2] for a new database.
 */
export function migrate(db: Database.Database, file: string): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreSchemaError(`${file} has schema version ${current}, newer than this ttyroom knows (${SCHEMA_VERSION}); use a newer ttyroom`);
  }
  const taken: number[] = [];
  for (const step of MIGRATIONS) {
    if (step.version <= current) continue;
    try {
      db.transaction(() => {
        step.up(db);
        db.pragma(`user_version = ${step.version}`);
      })();
    } catch (error) {
      throw new StoreSchemaError(`${file}: schema step ${step.version} (${step.name}) failed: ${String(error)}`);
    }
    taken.push(step.version);
  }
  return taken;
}
