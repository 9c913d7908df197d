// Sign-in sessions in Redis (--redis, --auth local): signed in on node A is signed in on node B, signing out on B ends
// it on A, and while Redis is away or refuses (at start or later) sign-in answers 503 sessions-unavailable, capability
// links keep working, and sign-in works again once Redis is back, without a restart. In-process nodes, a real redis-server.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startServer, type TestServer } from '../helpers/server.js';
import { authConfig, basicHeader, CookieJar, form, handshake, http } from '../helpers/signin.js';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { UsersFile } from '../../server/auth/usersFile.js';
import { SESSION_COOKIE, SESSION_SECRET_FILE, SESSIONS_FILE, SessionCookie } from '../../server/auth/sessions.js';
import { RedisSessionStore, RedisSessionTiming, SessionKeys } from '../../server/auth/redisSessionStore.js';
import { agreeSessionSecret } from '../../server/auth/sessions.js';
import { SessionsUnavailableError } from '../../server/net/errors.js';
import type session from 'express-session';
import { ManualClock } from '../helpers/manualClock.js';
import type { ApiError, CreatedRoom } from '../../server/shared/events.js';

const skip = redisMissing();
const PASSWORD = 'alice-password';
/** The directory's expiry for these nodes (ms); these tests do not depend on it. */
const EXPIRY_MS = 3_000;
/** How long a node may take to notice Redis gone or back (ms): generous, the machine is busy. */
const NOTICE_MS = 20_000;

function startNode(redis: TestRedis, usersFile: string): Promise<TestServer> {
  return startServer({ auth: authConfig('', { mode: 'local', usersFile }), redis: { url: redis.url, expiryMs: EXPIRY_MS } });
}

/** Posts the login form to `node` as its own page would; the jar keeps the cookie. */
async function logIn(node: TestServer, jar: CookieJar): Promise<Response> {
  const response = await http(`${node.url}/login`, {
    method: 'POST',
    jar,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: node.url },
    body: form({ username: 'alice', password: PASSWORD, next: '/' }),
  });
  // Read now (nothing left pending when only the status matters), and handed back readable.
  return new Response(await response.arrayBuffer(), { status: response.status, headers: response.headers });
}

/** The room list as a browser signed in with `jar` asks `node` for it: 200 signed in, 401 not. */
async function listAs(node: TestServer, jar: CookieJar): Promise<Response> {
  return http(`${node.url}/api/rooms`, { headers: { cookie: jar.header() ?? '', origin: node.url } });
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as ApiError).error.code;
}

/** The session id inside a signed cookie value (`s:<sid>.<signature>`, URL-encoded). */
function sessionId(jar: CookieJar): string {
  const value = decodeURIComponent(jar.cookies.get(SESSION_COOKIE) ?? '');
  assert.match(value, /^s:[^.]+\./);
  return value.slice(2, value.indexOf('.'));
}

async function expectSessionsUnavailable(response: Response): Promise<void> {
  assert.equal(response.status, 503);
  assert.equal(await errorCode(response), 'sessions-unavailable');
}

/** What must keep working without sessions: a room created with Basic (users file), read with its capability token, joined with it over a socket. */
async function capabilityLinksWork(node: TestServer, jar: CookieJar): Promise<void> {
  const created = await http(`${node.url}/api/rooms`, { method: 'POST', headers: { authorization: basicHeader('alice', PASSWORD), 'content-type': 'application/json' }, body: '{}' });
  assert.equal(created.status, 201, await created.clone().text());
  const room = (await created.json()) as CreatedRoom;
  // With the (unreadable) session cookie too, as a signed-in browser opening a link sends it.
  const headers = { authorization: `Bearer ${room.writeToken}`, cookie: jar.header() ?? `${SESSION_COOKIE}=s%3Aunknown.x`, origin: node.url };
  const read = await http(`${node.url}/api/rooms/${room.id}`, { headers });
  assert.equal(read.status, 200, await read.clone().text());
  const page = await http(`${node.url}/r/${room.id}`, { headers: { cookie: headers.cookie } });
  assert.equal(page.status, 200);
  assert.equal(await handshake(node.url, { headers: { cookie: headers.cookie, origin: node.url }, auth: { token: room.writeToken } }), 'connected');
}

describe('sign-in sessions in Redis', { skip }, () => {
  let redis: TestRedis;
  let usersDir: string;
  let usersFile: string;
  const nodes: TestServer[] = [];
  const node = async (): Promise<TestServer> => {
    const started = await startNode(redis, usersFile);
    nodes.push(started);
    return started;
  };

  before(async () => {
    redis = await startRedis();
    usersDir = mkdtempSync(join(tmpdir(), 'ttyroom-users-'));
    usersFile = join(usersDir, 'users.json');
    await new UsersFile(usersFile).set('alice', PASSWORD);
  });

  after(async () => {
    for (const started of nodes) await started.close();
    await redis?.stop();
    rmSync(usersDir, { recursive: true, force: true });
  });

  test('the store: an entry lives as long as its cookie, a damaged one is a lost session, the first secret wins', async () => {
    const client = new Redis(redis.url);
    const clock = new ManualClock(Date.now());
    const store = new RedisSessionStore(client, clock);
    const call = <T>(run: (done: (error?: unknown, value?: T) => void) => void): Promise<T | undefined> =>
      new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));
    const data = (expiresInMs: number | undefined): session.SessionData =>
      ({ cookie: { originalMaxAge: expiresInMs ?? null, expires: expiresInMs === undefined ? undefined : new Date(clock.now() + expiresInMs) } }) as unknown as session.SessionData;
    try {
      await client.ping();
      await call((done) => store.set('hour', data(3_600_000), done));
      const ttl = await client.pttl(SessionKeys.session('hour'));
      assert.ok(ttl > 3_590_000 && ttl <= 3_600_000, `PTTL ${ttl}`);
      assert.deepEqual(await call((done) => store.get('hour', done)), JSON.parse(JSON.stringify(data(3_600_000))));
      await call((done) => store.set('forever', data(undefined), done));
      assert.ok((await client.pttl(SessionKeys.session('forever'))) > RedisSessionTiming.FallbackLifetimeMs - 10_000);
      await call((done) => store.set('hour', data(-1), done));
      assert.equal(await client.exists(SessionKeys.session('hour')), 0, 'a session saved after its cookie expired is gone');
      await client.set(SessionKeys.session('damaged'), '{not json');
      assert.equal(await call((done) => store.get('damaged', done)), null);
      assert.equal(await client.exists(SessionKeys.session('damaged')), 0);
      await call((done) => store.destroy('forever', done));
      assert.equal(await call((done) => store.get('forever', done)), null);

      await client.del(SessionKeys.secret);
      const first = 'a'.repeat(43);
      assert.equal(await agreeSessionSecret(client, first), first);
      assert.equal(await agreeSessionSecret(client, 'b'.repeat(43)), first, 'a later node takes the secret already there');
      await client.set(SessionKeys.secret, 'short');
      await assert.rejects(agreeSessionSecret(client, first), /too short/, 'a damaged secret is refused, never used');
      await client.del(SessionKeys.secret);
    } finally {
      client.disconnect();
    }
    await assert.rejects(call((done) => store.get('hour', done)), SessionsUnavailableError, 'a closed connection is sessions-unavailable');
  });

  test('signed in on A is signed in on B; the session expires with its cookie; signing out on B ends it on A', async () => {
    const a = await node();
    const b = await node();
    const jar = new CookieJar();
    assert.equal((await listAs(b, jar)).status, 401, 'not signed in yet');
    await waitFor(async () => (await logIn(a, jar)).status === 303 && jar.cookies.has(SESSION_COOKIE), 'A to sign alice in', NOTICE_MS);

    assert.equal((await listAs(a, jar)).status, 200, 'signed in on A (A has read the session: signing out on B must still reach it)');
    assert.equal((await listAs(b, jar)).status, 200, 'the cookie from A counts on B');
    const lobby = await http(`${b.url}/`, { headers: { cookie: jar.header()! } });
    assert.equal(lobby.status, 200, 'B serves the lobby to the user signed in on A');
    const created = await http(`${b.url}/api/rooms`, { method: 'POST', headers: { cookie: jar.header()!, origin: b.url, 'content-type': 'application/json' }, body: '{"name":"from-b"}' });
    assert.equal(created.status, 201, 'B lets the user signed in on A create a room');
    // A private room of alice on A, read through B: B forwards the request with the cookie, and A reads the session.
    const own = await http(`${a.url}/api/rooms`, { method: 'POST', headers: { cookie: jar.header()!, origin: a.url, 'content-type': 'application/json' }, body: '{"name":"alice only","private":true}' });
    assert.equal(own.status, 201, await own.clone().text());
    const privateRoom = (await own.json()) as CreatedRoom;
    const throughB = await http(`${b.url}/api/rooms/${privateRoom.id}`, { headers: { cookie: jar.header()!, origin: b.url } });
    assert.equal(throughB.status, 200, `alice reads her private room of A through B: ${await throughB.clone().text()}`);
    const anonymous = await http(`${b.url}/api/rooms/${privateRoom.id}`, { headers: { authorization: basicHeader('alice', 'wrong-password'), origin: b.url } });
    assert.notEqual(anonymous.status, 200, 'without her session it stays hers');
    await anonymous.arrayBuffer();

    const client = new Redis(redis.url);
    try {
      const ttl = await client.pttl(SessionKeys.session(sessionId(jar)));
      assert.ok(ttl > SessionCookie.MaxAgeMs - 60_000 && ttl <= SessionCookie.MaxAgeMs, `the session expires with its cookie (PTTL ${ttl} ms)`);
      assert.ok((await client.get(SessionKeys.secret))!.length >= SessionCookie.SecretBytes, 'the shared secret is in Redis');
    } finally {
      client.disconnect();
    }
    for (const dataDir of [a.dataDir, b.dataDir]) {
      assert.equal(existsSync(join(dataDir, SESSIONS_FILE)), false, 'no per-node session store');
      assert.equal(existsSync(join(dataDir, SESSION_SECRET_FILE)), false, 'no per-node secret');
    }

    // The cookie as it was before signing out (another tab's copy, or a stolen one) must not count on A afterwards.
    const stale = new CookieJar();
    stale.cookies.set(SESSION_COOKIE, jar.cookies.get(SESSION_COOKIE)!);
    const out = await http(`${b.url}/logout`, { method: 'POST', jar, headers: { origin: b.url } });
    assert.equal(out.status, 303);
    assert.equal(jar.cookies.has(SESSION_COOKIE), false);
    const signedOut = await listAs(a, stale);
    assert.equal(signedOut.status, 401, 'signed out on B is signed out on A');
    await signedOut.arrayBuffer();
  });

  test('Redis refusing or lost: sign-in answers 503 sessions-unavailable, capability links work; Redis back: sign-in works without a restart', async () => {
    const a = await node();
    const jar = new CookieJar();
    await waitFor(async () => (await logIn(a, jar)).status === 303 && jar.cookies.has(SESSION_COOKIE), 'A to sign alice in', NOTICE_MS);
    assert.equal((await listAs(a, jar)).status, 200);

    // Redis up but refusing the session's commands (an ACL here; out of memory would do the same to SET): a failing
    // lookup or save is a 503 too, never a 500, and a request with a token and that cookie goes on without it.
    const client = new Redis(redis.url);
    try {
      await client.call('ACL', 'SETUSER', 'default', '-get', '-set');
      await expectSessionsUnavailable(await listAs(a, jar));
      await expectSessionsUnavailable(await logIn(a, new CookieJar()));
      await capabilityLinksWork(a, jar);
      await client.call('ACL', 'SETUSER', 'default', '+get', '+set');
      assert.equal((await listAs(a, jar)).status, 200, 'the session counts again once Redis answers');
    } finally {
      await client.call('ACL', 'SETUSER', 'default', '+get', '+set').catch(() => undefined);
      client.disconnect();
    }

    await redis.stop();
    await waitFor(async () => (await listAs(a, jar)).status === 503, 'A to answer 503 for the session it cannot read', NOTICE_MS);
    await expectSessionsUnavailable(await listAs(a, jar));
    await expectSessionsUnavailable(await logIn(a, new CookieJar()));
    await expectSessionsUnavailable(await http(`${a.url}/login`));
    await expectSessionsUnavailable(await http(`${a.url}/`, { headers: { cookie: jar.header()! } }));
    await capabilityLinksWork(a, jar);
    assert.equal((await fetch(`${a.url}/healthz`)).status, 200);

    // Back empty (no persistence): the old session is gone, and a new sign-in works on the same node.
    await redis.start();
    const again = new CookieJar();
    await waitFor(async () => (await logIn(a, again)).status === 303 && again.cookies.has(SESSION_COOKIE), 'A to sign alice in once Redis is back', NOTICE_MS);
    assert.equal((await listAs(a, again)).status, 200);
  });

  test('a node started while Redis is down serves capability links, answers sign-in 503, and signs in once Redis is there', async () => {
    await redis.stop();
    const late = await node();
    const jar = new CookieJar();
    await expectSessionsUnavailable(await logIn(late, jar));
    await expectSessionsUnavailable(await http(`${late.url}/login`));
    await capabilityLinksWork(late, jar);

    await redis.start();
    await waitFor(async () => (await logIn(late, jar)).status === 303 && jar.cookies.has(SESSION_COOKIE), 'the node to sign alice in once Redis is there', NOTICE_MS);
    assert.equal((await listAs(late, jar)).status, 200);
    // A node started now agrees on the same secret: the cookie counts there too.
    const other = await node();
    assert.equal((await listAs(other, jar)).status, 200, 'the cookie counts on a node started after');
  });
});
