// The store on real SQLite files: private files in WAL mode, numbered migrations (a v1 database upgrades), audit rows and
// paging, batches in one transaction, member sessions with counts, leftovers of a dead server, and retention on a manual clock.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import Database from 'better-sqlite3';
import { Auditor } from '../../server/audit/auditLog.js';
import { hashToken } from '../../server/auth/capabilities.js';
import { MIGRATIONS, SCHEMA_VERSION, StoreSchemaError } from '../../server/store/migrations.js';
import { Retention, RetentionTiming } from '../../server/store/retention.js';
import { SqliteStore, STORE_FILE } from '../../server/store/sqliteStore.js';
import type { RecordingRecord } from '../../server/store/store.js';
import { ConfigError } from '../../server/util/configError.js';
import { ManualClock, MANUAL_CLOCK_START } from '../helpers/manualClock.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ttyroom-store-'));
  file = join(dir, STORE_FILE);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const DAY = RetentionTiming.DayMs;

test('a new store is one private file in WAL mode at the latest schema version', () => {
  const store = SqliteStore.open(dir);
  try {
    store.audit.record({ time: new Date(MANUAL_CLOCK_START).toISOString(), event: 'room.created', room: 'r1' });
    for (const path of [file, `${file}-wal`, `${file}-shm`]) {
      assert.ok(existsSync(path), `${path} exists`);
      assert.equal(statSync(path).mode & 0o777, 0o600, `${path} is the owner's only`);
    }
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  } finally {
    store.dispose();
  }
  assert.deepEqual(MIGRATIONS.map((step) => step.version), MIGRATIONS.map((_step, index) => index + 1), 'steps numbered 1, 2, 3… without a gap');
});

test('a database at schema version 1 opens, upgrades to the latest, and keeps its rows', () => {
  assert.ok(SCHEMA_VERSION > 1, 'there is a step past 1 to take');
  // Built from the v1 statements, as a server of that version left it.
  const old = new Database(file);
  old.pragma('journal_mode = WAL');
  MIGRATIONS[0]!.up(old);
  old.pragma('user_version = 1');
  old.prepare('INSERT INTO rooms (id, name, profile, created_at, closed_at, exit_reason, exit_code) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run('r1', 'old room', 'default', MANUAL_CLOCK_START, MANUAL_CLOCK_START + 1000, 'exited', 0);
  old.prepare('INSERT INTO member_sessions (room, member_id, name, role, address, joined_at, commands) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run('r1', 'm1', 'alice', 'writer', '127.0.0.1', MANUAL_CLOCK_START, 3);
  old.prepare('INSERT INTO audit_events (time, event, room, actor, detail) VALUES (?, ?, ?, ?, ?)')
    .run(MANUAL_CLOCK_START, 'room.created', 'r1', 'local:alice', '{"profile":"default"}');
  old.close();

  const store = SqliteStore.open(dir);
  try {
    assert.deepEqual(store.room('r1'), {
      id: 'r1', name: 'old room', profile: 'default', createdAt: MANUAL_CLOCK_START, closedAt: MANUAL_CLOCK_START + 1000, exitReason: 'exited', exitCode: 0,
    });
    assert.deepEqual(store.memberSessions('r1'), [{
      room: 'r1', memberId: 'm1', name: 'alice', role: 'writer', address: '127.0.0.1', joinedAt: MANUAL_CLOCK_START, commands: 3, chats: 0,
    }]);
    assert.deepEqual(store.auditEvents({ limit: 10 }), [{
      id: 1, time: new Date(MANUAL_CLOCK_START).toISOString(), event: 'room.created', room: 'r1', actor: 'local:alice', detail: { profile: 'default' },
    }]);
    // What version 2 added works on the upgraded file.
    const id = store.recordingStarted({ room: 'r1', path: '/rec/r1.cast', startedAt: MANUAL_CLOCK_START, flags: '' });
    store.recordingUpdated(id, { size: 42, endedAt: MANUAL_CLOCK_START + 500 });
    assert.deepEqual(store.recordings('r1'), [{ id, room: 'r1', path: '/rec/r1.cast', startedAt: MANUAL_CLOCK_START, endedAt: MANUAL_CLOCK_START + 500, size: 42, flags: '' }]);
  } finally {
    store.dispose();
  }
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  db.close();
});

test('a database at schema version 2 upgrades: bookmarks can be added and read back, a room at a time', () => {
  const old = new Database(file);
  old.pragma('journal_mode = WAL');
  MIGRATIONS[0]!.up(old);
  MIGRATIONS[1]!.up(old);
  old.pragma('user_version = 2');
  old.prepare('INSERT INTO rooms (id, name, profile, created_at) VALUES (?, ?, ?, ?)').run('r2', 'v2 room', 'default', MANUAL_CLOCK_START);
  old.close();

  const store = SqliteStore.open(dir);
  try {
    assert.equal(store.room('r2')?.name, 'v2 room');
    const first = store.bookmarkAdded({ room: 'r2', time: MANUAL_CLOCK_START + 10, memberId: 'm1', name: 'ada', label: 'deploy started' });
    const second = store.bookmarkAdded({ room: 'r2', time: MANUAL_CLOCK_START + 20, memberId: 'm2', name: 'bob', label: 'rollback' });
    store.bookmarkAdded({ room: 'other', time: MANUAL_CLOCK_START + 30, memberId: 'm1', name: 'ada', label: 'elsewhere' });
    assert.ok(second > first);
    assert.deepEqual(store.bookmarks('r2'), [
      { id: first, room: 'r2', time: MANUAL_CLOCK_START + 10, memberId: 'm1', name: 'ada', label: 'deploy started' },
      { id: second, room: 'r2', time: MANUAL_CLOCK_START + 20, memberId: 'm2', name: 'bob', label: 'rollback' },
    ]);
  } finally {
    store.dispose();
  }
});

test('a database from a newer ttyroom is refused with one clear line, and left as it was', () => {
  const newer = new Database(file);
  newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  newer.close();
  assert.throws(() => SqliteStore.open(dir), (error: unknown) => {
    assert.ok(error instanceof StoreSchemaError && error instanceof ConfigError);
    assert.match((error as Error).message, /newer than this ttyroom knows/);
    return true;
  });
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
  db.close();
});

test('audit events come back as they were recorded, a room at a time, a page at a time', () => {
  const store = SqliteStore.open(dir);
  const clock = new ManualClock();
  const auditor = new Auditor(store.audit, clock);
  try {
    for (let i = 0; i < 5; i++) {
      auditor.record({ event: 'member.joined', room: i % 2 === 0 ? 'even' : 'odd', actor: `m${i}`, address: '10.0.0.1', detail: { role: 'viewer', waiting: i === 4 } });
      clock.advance(1000);
    }
    auditor.record({ event: 'signin.failed', address: '10.0.0.9', detail: { count: 3 } });
    const all = store.auditEvents({ limit: 100 });
    assert.equal(all.length, 6);
    assert.deepEqual(all[0], { id: all[0]!.id, time: new Date(MANUAL_CLOCK_START).toISOString(), event: 'member.joined', room: 'even', actor: 'm0', address: '10.0.0.1', detail: { role: 'viewer', waiting: false } });
    assert.deepEqual(all[5], { id: all[5]!.id, time: new Date(MANUAL_CLOCK_START + 5000).toISOString(), event: 'signin.failed', address: '10.0.0.9', detail: { count: 3 } });
    assert.deepEqual(store.auditEvents({ room: 'even', limit: 100 }).map((event) => event.actor), ['m0', 'm2', 'm4']);
    const first = store.auditEvents({ room: 'even', limit: 2 });
    assert.deepEqual(first.map((event) => event.actor), ['m0', 'm2']);
    assert.deepEqual(store.auditEvents({ room: 'even', after: first[1]!.id, limit: 2 }).map((event) => event.actor), ['m4']);
  } finally {
    store.dispose();
  }
});

test('records made in a batch commit together: another reader sees none of them until the batch ends', () => {
  const store = SqliteStore.open(dir);
  const reader = new Database(file, { readonly: true });
  const count = (): number => (reader.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;
  const auditor = new Auditor(store.audit, new ManualClock());
  try {
    let seenDuring = -1;
    auditor.batch(() => {
      for (let i = 0; i < 10; i++) auditor.record({ event: 'origin.refused', address: `10.0.0.${i}` });
      seenDuring = count();
    });
    assert.equal(seenDuring, 0);
    assert.equal(count(), 10);
  } finally {
    reader.close();
    store.dispose();
  }
});

test('member sessions: join, commands and chats counted on the open session, leave; a rejoin is a new session', () => {
  const store = SqliteStore.open(dir);
  try {
    const base = { room: 'r1', memberId: 'm1', name: 'alice', role: 'writer', user: 'local:alice', address: '127.0.0.1' };
    store.memberJoined({ ...base, joinedAt: 1000 });
    store.commandsEntered('r1', 'm1', 2);
    store.commandsEntered('r1', 'm1', 1);
    store.chatSent('r1', 'm1');
    store.memberLeft('r1', 'm1', 2000);
    // Counts after the leave belong to no session.
    store.commandsEntered('r1', 'm1', 5);
    store.memberJoined({ ...base, role: 'viewer', joinedAt: 3000 });
    store.commandsEntered('r1', 'm1', 4);
    assert.deepEqual(store.memberSessions('r1'), [
      { ...base, joinedAt: 1000, leftAt: 2000, commands: 3, chats: 1 },
      { ...base, role: 'viewer', joinedAt: 3000, commands: 4, chats: 0 },
    ]);
  } finally {
    store.dispose();
  }
});

test('rooms and sessions a dead server left open are closed at the next start', () => {
  const first = SqliteStore.open(dir);
  first.roomOpened({ id: 'done', name: 'done', profile: 'default', createdAt: 1000 });
  first.roomClosed('done', { closedAt: 2000, exitReason: 'exited', exitCode: 0 });
  first.roomOpened({ id: 'running', name: 'running', profile: 'default', createdAt: 1500 });
  first.memberJoined({ room: 'running', memberId: 'm', name: 'bob', role: 'owner', joinedAt: 1600 });
  first.dispose();
  const second = SqliteStore.open(dir);
  try {
    assert.equal(second.closeLeftoverRooms(9000), 1);
    assert.deepEqual(second.room('running'), { id: 'running', name: 'running', profile: 'default', createdAt: 1500, closedAt: 9000, exitReason: 'server-lost' });
    assert.equal(second.room('done')?.closedAt, 2000, 'a finished room keeps its end');
    assert.equal(second.memberSessions('running')[0]!.leftAt, 9000);
    assert.deepEqual(second.rooms().map((room) => room.id), ['running', 'done'], 'newest first');
  } finally {
    second.dispose();
  }
});

test('owner token hashes: added, matched per room, removed; the owner user is kept and follows a hand-over; both outlive a restart and go with the room', () => {
  const hash = (token: string): Buffer => hashToken(token);
  const first = SqliteStore.open(dir);
  try {
    first.roomOpened({ id: 'r1', name: 'one', profile: 'default', createdAt: 1000, ownerUser: 'local:alice' });
    first.roomOpened({ id: 'r2', name: 'two', profile: 'default', createdAt: 1000 });
    first.ownerTokenAdded('r1', hash('first-owner-link'));
    first.ownerTokenAdded('r1', hash('handed-over-link'));
    first.ownerTokenAdded('r1', hash('handed-over-link'));
    first.ownerTokenAdded('r2', hash('other-room-link'));
    assert.equal(first.ownerTokenMatches('r1', hash('first-owner-link')), true);
    assert.equal(first.ownerTokenMatches('r1', hash('handed-over-link')), true);
    assert.equal(first.ownerTokenMatches('r1', hash('other-room-link')), false, 'another room\'s owner link opens only that room');
    assert.equal(first.ownerTokenMatches('r1', hash('never-minted')), false);
    assert.equal(first.ownerTokenMatches('r1', Buffer.alloc(0)), false, 'a hash of another length is no match (and no throw)');
    assert.equal(first.ownerTokenMatches('nowhere', hash('first-owner-link')), false);
    first.ownerTokenRemoved('r1', hash('first-owner-link'));
    assert.equal(first.ownerTokenMatches('r1', hash('first-owner-link')), false, 'a revoked link no longer matches');
    assert.equal(first.room('r1')?.ownerUser, 'local:alice');
    assert.equal(first.room('r2')?.ownerUser, undefined);
    first.ownerUserChanged('r1', 'local:bob');
    first.ownerUserChanged('r2', 'local:carol');
    first.ownerUserChanged('r2', undefined);
    first.roomClosed('r1', { closedAt: 5000, exitReason: 'closed' });
  } finally {
    first.dispose();
  }
  const second = SqliteStore.open(dir);
  try {
    assert.equal(second.ownerTokenMatches('r1', hash('handed-over-link')), true, 'kept across a restart');
    assert.equal(second.room('r1')?.ownerUser, 'local:bob', 'the hand-over\'s new owner');
    assert.equal(second.room('r2')?.ownerUser, undefined, 'handed over to someone not signed in: nobody');
    second.prune(6000);
    assert.equal(second.ownerTokenMatches('r1', hash('handed-over-link')), false, 'pruned with its room');
    assert.equal(second.ownerTokenMatches('r2', hash('other-room-link')), true, 'an open room keeps its hashes');
  } finally {
    second.dispose();
  }
  assert.equal(readFileSync(file).includes('handed-over-link'), false, 'hashes only, never a token');
});

test('retention removes rooms closed and audit events recorded before the cutoff, and tells who owns the recordings', () => {
  const clock = new ManualClock();
  const now = clock.now();
  const store = SqliteStore.open(dir);
  const pruned: RecordingRecord[] = [];
  store.onRecordingsPruned((recordings) => pruned.push(...recordings));
  try {
    const room = (id: string, closedDaysAgo: number | undefined): void => {
      store.roomOpened({ id, name: id, profile: 'default', createdAt: now - 40 * DAY });
      if (closedDaysAgo !== undefined) store.roomClosed(id, { closedAt: now - closedDaysAgo * DAY, exitReason: 'closed', exitCode: 0 });
      store.memberJoined({ room: id, memberId: 'm', name: 'n', role: 'owner', joinedAt: now - 40 * DAY });
      store.recordingStarted({ room: id, path: `/rec/${id}.cast`, startedAt: now - 40 * DAY, flags: '' });
      store.bookmarkAdded({ room: id, time: now - 40 * DAY, memberId: 'm', name: 'n', label: `${id} mark` });
    };
    room('old', 31);
    room('recent', 29);
    room('open', undefined);
    // Closes on the day after the first sweep: the hourly sweeps find it then.
    room('edge', 30 - 1 / 48);
    store.audit.record({ time: new Date(now - 31 * DAY).toISOString(), event: 'signin.failed' });
    store.audit.record({ time: new Date(now - 29 * DAY).toISOString(), event: 'signin.succeeded' });

    const retention = new Retention(store, clock, 30);
    try {
      assert.deepEqual(store.rooms().map((r) => r.id).sort(), ['edge', 'open', 'recent']);
      assert.deepEqual(store.memberSessions().map((s) => s.room).sort(), ['edge', 'open', 'recent']);
      assert.deepEqual(store.recordings().map((r) => r.room).sort(), ['edge', 'open', 'recent']);
      assert.deepEqual(pruned.map((r) => r.path), ['/rec/old.cast']);
      assert.deepEqual(store.bookmarks('old'), [], 'a pruned room\'s bookmarks go with it');
      assert.equal(store.bookmarks('recent').length, 1);
      assert.deepEqual(store.auditEvents({ limit: 10 }).map((e) => e.event), ['signin.succeeded']);

      clock.advance(RetentionTiming.SweepIntervalMs);
      assert.deepEqual(store.rooms().map((r) => r.id).sort(), ['open', 'recent'], 'the next sweep, an hour on');
      assert.deepEqual(pruned.map((r) => r.path), ['/rec/old.cast', '/rec/edge.cast']);
    } finally {
      retention.dispose();
    }
    assert.equal(clock.pending, 0, 'no timer left behind');
    // 0 days keeps everything.
    const keepAll = new Retention(store, clock, 0);
    clock.advance(100 * DAY);
    assert.deepEqual(store.rooms().map((r) => r.id).sort(), ['open', 'recent']);
    keepAll.dispose();
  } finally {
    store.dispose();
  }
});
