// SqliteStore: the Store in one SQLite file of the data folder (<dataDir>/ttyroom.db), written synchronously through prepared statements.

import { timingSafeEqual } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditDetail, AuditEvent, AuditEventName, AuditLog } from '../audit/auditLog.js';
import { Emitter } from '../shared/emitter.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { migrate } from './migrations.js';
import type { AuditQuery, BookmarkRecord, MemberSessionRecord, PruneResult, RecordingRecord, RoomRecord, Store, StoredAuditEvent } from './store.js';
import { log } from '../util/logger.js';

/** The database's file name inside the data folder. */
export const STORE_FILE = 'ttyroom.db';

export const StoreSettings = {
  /** Owner read/write only: the record holds client addresses and user ids (SQLite gives -wal and -shm the same mode). */
  FileMode: 0o600,
  /** A second process on the same file (`ttyroom audit` while the server writes) waits this long for a lock, in ms. */
  BusyTimeoutMs: 5_000,
} as const;

interface RoomRow {
  id: string;
  name: string;
  profile: string;
  created_at: number;
  closed_at: number | null;
  exit_reason: string | null;
  exit_code: number | null;
  exit_signal: string | null;
  owner_user: string | null;
}

interface SessionRow {
  room: string;
  member_id: string;
  name: string;
  role: string;
  user: string | null;
  address: string | null;
  joined_at: number;
  left_at: number | null;
  commands: number;
  chats: number;
}

interface AuditRow {
  id: number;
  time: number;
  event: string;
  room: string | null;
  actor: string | null;
  address: string | null;
  detail: string | null;
}

interface RecordingRow {
  id: number;
  room: string;
  path: string;
  started_at: number;
  ended_at: number | null;
  size: number;
  flags: string;
}

/** Copies the fields that are set: the record's NULLs become absent fields, as in the audit's JSON. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null && field !== undefined)) as T;
}

function roomOf(row: RoomRow): RoomRecord {
  return defined({
    id: row.id,
    name: row.name,
    profile: row.profile,
    createdAt: row.created_at,
    closedAt: row.closed_at ?? undefined,
    exitReason: row.exit_reason ?? undefined,
    exitCode: row.exit_code ?? undefined,
    exitSignal: row.exit_signal ?? undefined,
    ownerUser: row.owner_user ?? undefined,
  });
}

function sessionOf(row: SessionRow): MemberSessionRecord {
  return defined({
    room: row.room,
    memberId: row.member_id,
    name: row.name,
    role: row.role,
    user: row.user ?? undefined,
    address: row.address ?? undefined,
    joinedAt: row.joined_at,
    leftAt: row.left_at ?? undefined,
    commands: row.commands,
    chats: row.chats,
  });
}

function auditOf(row: AuditRow): StoredAuditEvent {
  return defined({
    id: row.id,
    time: new Date(row.time).toISOString(),
    event: row.event as AuditEventName,
    room: row.room ?? undefined,
    actor: row.actor ?? undefined,
    address: row.address ?? undefined,
    detail: row.detail === null ? undefined : (JSON.parse(row.detail) as AuditDetail),
  });
}

function recordingOf(row: RecordingRow): RecordingRecord {
  return defined({
    id: row.id,
    room: row.room,
    path: row.path,
    startedAt: row.started_at,
    endedAt: row.ended_at ?? undefined,
    size: row.size,
    flags: row.flags,
  });
}

interface BookmarkRow {
  id: number;
  room: string;
  time: number;
  member_id: string;
  name: string;
  label: string;
}

function bookmarkOf(row: BookmarkRow): BookmarkRecord {
  return { id: row.id, room: row.room, time: row.time, memberId: row.member_id, name: row.name, label: row.label };
}

function prepare(db: Database.Database) {
  return {
    insertAudit: db.prepare<[number, string, string | null, string | null, string | null, string | null]>(
      'INSERT INTO audit_events (time, event, room, actor, address, detail) VALUES (?, ?, ?, ?, ?, ?)'),
    auditAfter: db.prepare<[number, number], AuditRow>('SELECT * FROM audit_events WHERE id > ? ORDER BY id LIMIT ?'),
    roomAuditAfter: db.prepare<[string, number, number], AuditRow>('SELECT * FROM audit_events WHERE room = ? AND id > ? ORDER BY id LIMIT ?'),
    insertRoom: db.prepare<[string, string, string, number, string | null]>(
      'INSERT INTO rooms (id, name, profile, created_at, owner_user) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, profile = excluded.profile, created_at = excluded.created_at, owner_user = excluded.owner_user, closed_at = NULL'),
    setOwnerUser: db.prepare<[string | null, string]>('UPDATE rooms SET owner_user = ? WHERE id = ?'),
    insertOwnerToken: db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO owner_tokens (room, token_hash) VALUES (?, ?)'),
    deleteOwnerToken: db.prepare<[string, Buffer]>('DELETE FROM owner_tokens WHERE room = ? AND token_hash = ?'),
    ownerTokenHashes: db.prepare<[string], { token_hash: Buffer }>('SELECT token_hash FROM owner_tokens WHERE room = ?'),
    closeRoom: db.prepare<[number, string, number | null, string | null, string]>(
      'UPDATE rooms SET closed_at = ?, exit_reason = ?, exit_code = ?, exit_signal = ? WHERE id = ? AND closed_at IS NULL'),
    room: db.prepare<[string], RoomRow>('SELECT * FROM rooms WHERE id = ?'),
    rooms: db.prepare<[], RoomRow>('SELECT * FROM rooms ORDER BY created_at DESC, id'),
    closeLeftoverRooms: db.prepare<[number]>("UPDATE rooms SET closed_at = ?, exit_reason = 'server-lost' WHERE closed_at IS NULL"),
    closeLeftoverSessions: db.prepare<[number]>('UPDATE member_sessions SET left_at = ? WHERE left_at IS NULL'),
    insertSession: db.prepare<[string, string, string, string, string | null, string | null, number]>(
      'INSERT INTO member_sessions (room, member_id, name, role, user, address, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    leaveSession: db.prepare<[number, string, string]>('UPDATE member_sessions SET left_at = ? WHERE room = ? AND member_id = ? AND left_at IS NULL'),
    addCommands: db.prepare<[number, string, string]>('UPDATE member_sessions SET commands = commands + ? WHERE room = ? AND member_id = ? AND left_at IS NULL'),
    addChat: db.prepare<[string, string]>('UPDATE member_sessions SET chats = chats + 1 WHERE room = ? AND member_id = ? AND left_at IS NULL'),
    sessions: db.prepare<[], SessionRow>('SELECT * FROM member_sessions ORDER BY id'),
    roomSessions: db.prepare<[string], SessionRow>('SELECT * FROM member_sessions WHERE room = ? ORDER BY id'),
    insertRecording: db.prepare<[string, string, number, string]>('INSERT INTO recordings (room, path, started_at, flags) VALUES (?, ?, ?, ?)'),
    updateRecording: db.prepare<[number | null, number | null, string | null, number]>(
      'UPDATE recordings SET size = coalesce(?, size), ended_at = coalesce(?, ended_at), flags = coalesce(?, flags) WHERE id = ?'),
    recordings: db.prepare<[], RecordingRow>('SELECT * FROM recordings ORDER BY id'),
    roomRecordings: db.prepare<[string], RecordingRow>('SELECT * FROM recordings WHERE room = ? ORDER BY id'),
    expiredRecordings: db.prepare<[number, number], RecordingRow>(
      'SELECT * FROM recordings WHERE ended_at < ? OR room IN (SELECT id FROM rooms WHERE closed_at < ?) ORDER BY id'),
    insertBookmark: db.prepare<[string, number, string, string, string]>('INSERT INTO bookmarks (room, time, member_id, name, label) VALUES (?, ?, ?, ?, ?)'),
    roomBookmarks: db.prepare<[string], BookmarkRow>('SELECT * FROM bookmarks WHERE room = ? ORDER BY id'),
    deleteBookmarks: db.prepare<[number]>('DELETE FROM bookmarks WHERE room IN (SELECT id FROM rooms WHERE closed_at < ?)'),
    deleteOwnerTokens: db.prepare<[number]>('DELETE FROM owner_tokens WHERE room IN (SELECT id FROM rooms WHERE closed_at < ?)'),
    deleteRecording: db.prepare<[number]>('DELETE FROM recordings WHERE id = ?'),
    deleteSessions: db.prepare<[number]>('DELETE FROM member_sessions WHERE room IN (SELECT id FROM rooms WHERE closed_at < ?)'),
    deleteRooms: db.prepare<[number]>('DELETE FROM rooms WHERE closed_at < ?'),
    deleteAudit: db.prepare<[number]>('DELETE FROM audit_events WHERE time < ?'),
  };
}

export class SqliteStore extends Disposable implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepare>;
  private failing = false;
  private readonly recordingsPrunedEmitter = this.register(new Emitter<readonly RecordingRecord[]>());
  readonly onRecordingsPruned = this.recordingsPrunedEmitter.event;
  readonly audit: AuditLog;

  /** Opens (or creates) the store of a data folder and brings its schema up to date. Throws StoreSchemaError. */
  static open(dataDir: string): SqliteStore {
    return new SqliteStore(join(dataDir, STORE_FILE));
  }

  constructor(file: string) {
    super();
    this.file = file;
    // Created with its mode before SQLite opens it, so it is never readable by others, not even for a moment.
    closeSync(openSync(file, 'a', StoreSettings.FileMode));
    this.db = new Database(file, { timeout: StoreSettings.BusyTimeoutMs });
    try {
      // WAL: readers (the audit API, `ttyroom audit`) never wait for the writer, and a commit is one append.
      this.db.pragma('journal_mode = WAL');
      // NORMAL under WAL: a commit is in the OS's hands when it returns, so a killed server (kill -9) loses
      // nothing and the file is always consistent; only a power cut or kernel crash may lose the last
      // commits. FULL would add an fsync per audit event (milliseconds each) to guard against that too.
      this.db.pragma('synchronous = NORMAL');
      migrate(this.db, file);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.statements = prepare(this.db);
    this.register(toDisposable(() => this.db.close()));
    this.audit = {
      record: (event) => this.recordAudit(event),
      batch: (work) => this.batch(work),
    };
  }

  /**
   * Runs a write; a full or failing disk must not take the terminals down with it, so the error is
   * reported once per failing stretch and the write is lost. After disposal (late events during
   * shutdown) writes are dropped.
   */
  private write(work: () => void): void {
    if (this.isDisposed) return;
    try {
      work();
      this.failing = false;
    } catch (error) {
      if (!this.failing) log.error({ file: this.file }, `cannot write to ${this.file}: ${String(error)}`);
      this.failing = true;
    }
  }

  /** Writes made inside `work` commit together: one transaction instead of one per write. */
  batch(work: () => void): void {
    if (this.isDisposed || this.db.inTransaction) {
      work();
      return;
    }
    this.write(() => this.db.transaction(work)());
  }

  private recordAudit(event: AuditEvent): void {
    this.write(() => {
      const time = Date.parse(event.time);
      const detail = event.detail === undefined ? null : JSON.stringify(event.detail);
      this.statements.insertAudit.run(Number.isFinite(time) ? time : Date.now(), event.event, event.room ?? null, event.actor ?? null, event.address ?? null, detail);
    });
  }

  auditEvents(query: AuditQuery): StoredAuditEvent[] {
    const after = query.after ?? 0;
    const rows = query.room === undefined
      ? this.statements.auditAfter.all(after, query.limit)
      : this.statements.roomAuditAfter.all(query.room, after, query.limit);
    return rows.map(auditOf);
  }

  roomOpened(room: Pick<RoomRecord, 'id' | 'name' | 'profile' | 'createdAt' | 'ownerUser'>): void {
    this.write(() => this.statements.insertRoom.run(room.id, room.name, room.profile, room.createdAt, room.ownerUser ?? null));
  }

  ownerUserChanged(id: string, user: string | undefined): void {
    this.write(() => this.statements.setOwnerUser.run(user ?? null, id));
  }

  ownerTokenAdded(room: string, tokenHash: Buffer): void {
    this.write(() => this.statements.insertOwnerToken.run(room, tokenHash));
  }

  ownerTokenRemoved(room: string, tokenHash: Buffer): void {
    this.write(() => this.statements.deleteOwnerToken.run(room, tokenHash));
  }

  /**
   * The candidate is compared with every hash the room holds by timingSafeEqual, and the loop never stops
   * early: the time depends on how many owner links the room had, not on which (if any) came close. The
   * SQL looks rows up by room only, never by hash, for the same reason.
   */
  ownerTokenMatches(room: string, tokenHash: Buffer): boolean {
    let found = false;
    for (const { token_hash: stored } of this.statements.ownerTokenHashes.all(room)) {
      const equal = stored.length === tokenHash.length && timingSafeEqual(stored, tokenHash);
      found = found || equal;
    }
    return found;
  }

  roomClosed(id: string, end: { closedAt: number; exitReason: string; exitCode?: number; exitSignal?: string }): void {
    this.write(() => this.statements.closeRoom.run(end.closedAt, end.exitReason, end.exitCode ?? null, end.exitSignal ?? null, id));
  }

  room(id: string): RoomRecord | undefined {
    const row = this.statements.room.get(id);
    return row && roomOf(row);
  }

  rooms(): RoomRecord[] {
    return this.statements.rooms.all().map(roomOf);
  }

  closeLeftoverRooms(closedAt: number): number {
    let closed = 0;
    this.batch(() => {
      closed = this.statements.closeLeftoverRooms.run(closedAt).changes;
      this.statements.closeLeftoverSessions.run(closedAt);
    });
    return closed;
  }

  memberJoined(session: Omit<MemberSessionRecord, 'leftAt' | 'commands' | 'chats'>): void {
    this.write(() => this.statements.insertSession.run(
      session.room, session.memberId, session.name, session.role, session.user ?? null, session.address ?? null, session.joinedAt));
  }

  memberLeft(room: string, memberId: string, leftAt: number): void {
    this.write(() => this.statements.leaveSession.run(leftAt, room, memberId));
  }

  commandsEntered(room: string, memberId: string, count: number): void {
    this.write(() => this.statements.addCommands.run(count, room, memberId));
  }

  chatSent(room: string, memberId: string): void {
    this.write(() => this.statements.addChat.run(room, memberId));
  }

  memberSessions(room?: string): MemberSessionRecord[] {
    return (room === undefined ? this.statements.sessions.all() : this.statements.roomSessions.all(room)).map(sessionOf);
  }

  bookmarkAdded(bookmark: Omit<BookmarkRecord, 'id'>): number {
    let id = -1;
    this.write(() => {
      id = Number(this.statements.insertBookmark.run(bookmark.room, bookmark.time, bookmark.memberId, bookmark.name, bookmark.label).lastInsertRowid);
    });
    return id;
  }

  bookmarks(room: string): BookmarkRecord[] {
    return this.statements.roomBookmarks.all(room).map(bookmarkOf);
  }

  /** Returns the new row's id; -1 when it could not be written (the recorder goes on without an index row). */
  recordingStarted(recording: Pick<RecordingRecord, 'room' | 'path' | 'startedAt' | 'flags'>): number {
    let id = -1;
    this.write(() => {
      id = Number(this.statements.insertRecording.run(recording.room, recording.path, recording.startedAt, recording.flags).lastInsertRowid);
    });
    return id;
  }

  recordingUpdated(id: number, change: { size?: number; endedAt?: number; flags?: string }): void {
    this.write(() => this.statements.updateRecording.run(change.size ?? null, change.endedAt ?? null, change.flags ?? null, id));
  }

  recordings(room?: string): RecordingRecord[] {
    return (room === undefined ? this.statements.recordings.all() : this.statements.roomRecordings.all(room)).map(recordingOf);
  }

  prune(cutoff: number): PruneResult {
    const result: PruneResult = { rooms: 0, auditEvents: 0, recordings: [] };
    this.batch(() => {
      result.recordings = this.statements.expiredRecordings.all(cutoff, cutoff).map(recordingOf);
      for (const recording of result.recordings) this.statements.deleteRecording.run(recording.id);
      this.statements.deleteSessions.run(cutoff);
      this.statements.deleteBookmarks.run(cutoff);
      this.statements.deleteOwnerTokens.run(cutoff);
      result.rooms = this.statements.deleteRooms.run(cutoff).changes;
      result.auditEvents = this.statements.deleteAudit.run(cutoff).changes;
    });
    if (result.recordings.length > 0) this.recordingsPrunedEmitter.fire(result.recordings);
    return result;
  }
}
