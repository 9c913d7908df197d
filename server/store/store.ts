// Store: the one interface to the server's record (rooms, member sessions, audit events, the recordings index), whatever holds it.

import type { AuditEvent, AuditLog } from '../audit/auditLog.js';
import type { Event } from '../shared/emitter.js';
import type { IDisposable } from '../shared/disposable.js';

/** A room as the record keeps it, open or finished. Times are ms since the epoch. */
export interface RoomRecord {
  id: string;
  name: string;
  profile: string;
  createdAt: number;
  /** Undefined while the room runs. */
  closedAt?: number;
  /** Why it ended (an ExitReason, or 'server-lost' for a room open when the server died). */
  exitReason?: string;
  exitCode?: number;
  exitSignal?: string;
  /** The signed-in user who owns it (the creator, or whom it was handed over to): its record stays theirs. */
  ownerUser?: string;
}

/** One stay of one member in one room: from its join to its leave. A member that rejoins starts a new one. */
export interface MemberSessionRecord {
  room: string;
  memberId: string;
  name: string;
  /** The role it was admitted with. */
  role: string;
  /** The signed-in user, if any. */
  user?: string;
  address?: string;
  joinedAt: number;
  leftAt?: number;
  /** Enter presses in its accepted input (a count: keystrokes are never stored). */
  commands: number;
  /** Chat messages it sent (a count: their text is never stored). */
  chats: number;
}

/** One recording file of a room: the index only; the file is the recorder's. */
export interface RecordingRecord {
  id: number;
  room: string;
  /** Where the file is (as the recorder named it). */
  path: string;
  startedAt: number;
  /** Undefined while it is being written. */
  endedAt?: number;
  /** Bytes written so far. */
  size: number;
  /** The recorder's own words, comma separated (e.g. 'input', 'capped'). */
  flags: string;
}

/** A moment a member marked on the room's timeline ("deploy started"), for everyone and the record. */
export interface BookmarkRecord {
  id: number;
  room: string;
  /** Ms since the epoch. */
  time: number;
  memberId: string;
  /** The member's display name when it dropped the bookmark. */
  name: string;
  label: string;
}

/** An audit event as stored: its id orders events and pages through them. */
export interface StoredAuditEvent extends AuditEvent {
  id: number;
}

export interface AuditQuery {
  /** Only this room's events. */
  room?: string;
  /** Only events with a greater id (the last id of the previous page). */
  after?: number;
  /** At most this many, oldest first. */
  limit: number;
}

/** What a retention sweep removed; the recordings' files are for their owner to delete (onRecordingsPruned). */
export interface PruneResult {
  rooms: number;
  auditEvents: number;
  recordings: RecordingRecord[];
}

export interface Store extends IDisposable {
  /** Audit events go here (through an Auditor); every write is committed before record() returns. */
  readonly audit: AuditLog;
  auditEvents(query: AuditQuery): StoredAuditEvent[];

  roomOpened(room: Pick<RoomRecord, 'id' | 'name' | 'profile' | 'createdAt' | 'ownerUser'>): void;
  /** The room was handed over: `user` (undefined: nobody signed in) owns it now. */
  ownerUserChanged(id: string, user: string | undefined): void;
  roomClosed(id: string, end: { closedAt: number; exitReason: string; exitCode?: number; exitSignal?: string }): void;
  room(id: string): RoomRecord | undefined;
  /** Every room kept, newest first (finished ones stay until retention removes them). */
  rooms(): RoomRecord[];
  /** Rooms the record still holds as open: after a restart, those the last server left behind. */
  closeLeftoverRooms(closedAt: number): number;

  memberJoined(session: Omit<MemberSessionRecord, 'leftAt' | 'commands' | 'chats'>): void;
  memberLeft(room: string, memberId: string, leftAt: number): void;
  /** Adds `count` Enter presses to the member's open session. */
  commandsEntered(room: string, memberId: string, count: number): void;
  /** Counts one chat message of the member's open session. */
  chatSent(room: string, memberId: string): void;
  /** Sessions in the order they began: one room's, or every room's. */
  memberSessions(room?: string): MemberSessionRecord[];

  /**
   * Owner tokens of a room, kept as their SHA-256 hashes (capabilities.ts hashToken, never a token): they open
   * the room's record after it ends. Added when minted, removed when revoked or expired.
   */
  ownerTokenAdded(room: string, tokenHash: Buffer): void;
  ownerTokenRemoved(room: string, tokenHash: Buffer): void;
  /** Whether `tokenHash` is one of the room's owner token hashes; compared in constant time with each. */
  ownerTokenMatches(room: string, tokenHash: Buffer): boolean;

  /** Returns the new bookmark's id (-1 when it could not be written). */
  bookmarkAdded(bookmark: Omit<BookmarkRecord, 'id'>): number;
  /** The room's bookmarks, oldest first. */
  bookmarks(room: string): BookmarkRecord[];

  recordingStarted(recording: Pick<RecordingRecord, 'room' | 'path' | 'startedAt' | 'flags'>): number;
  recordingUpdated(id: number, change: { size?: number; endedAt?: number; flags?: string }): void;
  recordings(room?: string): RecordingRecord[];

  /**
   * Deletes rooms closed before `cutoff` (with their sessions, bookmarks, owner hashes and recordings' index rows) and audit events
   * older than it; fires onRecordingsPruned with the recordings removed.
   */
  prune(cutoff: number): PruneResult;
  /** The recordings whose index rows a prune removed: their owner deletes the files. */
  readonly onRecordingsPruned: Event<readonly RecordingRecord[]>;
}
