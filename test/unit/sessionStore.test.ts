// SqliteSessionStore against a real SQLite file: get/set/destroy/touch, expiry and pruning on the clock, reopening.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type session from 'express-session';
import { SessionStoreTiming, SqliteSessionStore } from '../../server/auth/sessionStore.js';
import { ManualClock } from '../helpers/manualClock.js';

type Data = session.SessionData & { passport?: { user: { id: string; name: string } } };

function sessionData(clock: ManualClock, lifetimeMs: number, user = 'local:alice'): Data {
  return { cookie: { expires: new Date(clock.now() + lifetimeMs), originalMaxAge: lifetimeMs } as session.Cookie, passport: { user: { id: user, name: 'Alice' } } };
}

function call<T>(fn: (callback: (error: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}

function withStore(run: (store: SqliteSessionStore, clock: ManualClock, file: string, reopen: () => SqliteSessionStore) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttyroom-sessions-'));
    const file = join(dir, 'sessions.sqlite');
    const clock = new ManualClock();
    const opened: SqliteSessionStore[] = [];
    const reopen = (): SqliteSessionStore => {
      const store = new SqliteSessionStore(file, clock);
      opened.push(store);
      return store;
    };
    try {
      await run(reopen(), clock, file, reopen);
    } finally {
      for (const store of opened) store.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('set, get, destroy; the file is private to the server user', withStore(async (store, clock, file) => {
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(await call((cb) => store.get('nope', cb)), null);
  await call((cb) => store.set('sid-1', sessionData(clock, 3_600_000), cb));
  const got = (await call<session.SessionData | null>((cb) => store.get('sid-1', cb))) as Data;
  assert.deepEqual(got.passport, { user: { id: 'local:alice', name: 'Alice' } });
  await call((cb) => store.set('sid-1', sessionData(clock, 3_600_000, 'local:bob'), cb));
  assert.equal(((await call<session.SessionData | null>((cb) => store.get('sid-1', cb))) as Data).passport?.user.id, 'local:bob', 'set replaces');
  assert.equal(await call<number>((cb) => store.length(cb)), 1);
  await call((cb) => store.destroy('sid-1', cb));
  assert.equal(await call((cb) => store.get('sid-1', cb)), null);
}));

test('an expired session is not returned, and the pruning timer deletes it', withStore(async (store, clock) => {
  await call((cb) => store.set('short', sessionData(clock, 60_000), cb));
  await call((cb) => store.set('long', sessionData(clock, SessionStoreTiming.PruneIntervalMs * 3), cb));
  clock.advance(60_000);
  assert.equal(await call((cb) => store.get('short', cb)), null, 'expired at its expiry time');
  assert.ok(await call((cb) => store.get('long', cb)));
  assert.equal(await call<number>((cb) => store.length(cb)), 1);
  clock.advance(SessionStoreTiming.PruneIntervalMs);
  assert.equal(store.prune(), 0, 'the timer already pruned the expired row');
}));

test('touch moves the expiry forward (in steps of at least the granularity), keeping the session alive', withStore(async (store, clock) => {
  await call((cb) => store.set('sid', sessionData(clock, 120_000), cb));
  clock.advance(100_000);
  await call((cb) => store.touch('sid', sessionData(clock, 120_000), cb));
  clock.advance(100_000);
  assert.ok(await call((cb) => store.get('sid', cb)), 'alive 200 s after creation thanks to the touch');
  await call((cb) => store.touch('sid', sessionData(clock, 120_000 - SessionStoreTiming.TouchGranularityMs + 1_000), cb));
  clock.advance(20_000 + 1);
  assert.equal(await call((cb) => store.get('sid', cb)), null, 'a touch gaining less than the granularity is not written');
}));

test('sessions survive closing and reopening the file; a closed store reports errors instead of throwing', withStore(async (store, clock, _file, reopen) => {
  await call((cb) => store.set('sid', sessionData(clock, 3_600_000), cb));
  store.dispose();
  store.dispose();
  await assert.rejects(call((cb) => store.get('sid', cb)), /closed/);
  const again = reopen();
  assert.deepEqual(((await call<session.SessionData | null>((cb) => again.get('sid', cb))) as Data).passport?.user.id, 'local:alice');
}));
