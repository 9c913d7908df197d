// --auth local: login page, sessions in SQLite (cookie flags, fixation, logout, restart), cookies only with an
// Origin (A5), the handshake failing closed (A6), Basic against the users file, and user removal taking effect.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { authConfig, basicHeader, CookieJar, form, handshake, http } from '../helpers/signin.js';
import { UsersFile } from '../../server/auth/usersFile.js';
import { SESSION_COOKIE, SessionCookie } from '../../server/auth/sessions.js';
import type { CreatedRoom } from '../../server/shared/events.js';

const PASSWORDS = { alice: 'alice-password', bob: 'bob:pass word' } as const;

/** A data folder with a users file holding alice and bob, shared by the servers of one test. */
async function makeDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-local-'));
  const users = new UsersFile(join(dataDir, 'users.json'));
  for (const [name, password] of Object.entries(PASSWORDS)) await users.set(name, password);
  return dataDir;
}

function localServer(dataDir: string, audit = new MemoryAuditLog(), fields: Parameters<typeof authConfig>[1] = {}): Promise<TestServer> {
  return startServer({ dataDir, auth: authConfig(dataDir, { mode: 'local', ...fields }) }, process.env, { audit });
}

/** Posts the login form as the browser would (with this server's Origin); returns the response. */
async function logIn(server: TestServer, jar: CookieJar, username: string, password: string, next = '/'): Promise<Response> {
  const response = await http(`${server.url}/login`, {
    method: 'POST',
    jar,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    body: form({ username, password, next }),
  });
  await response.arrayBuffer();
  return response;
}

function browserHeaders(server: TestServer, jar: CookieJar): Record<string, string> {
  return { cookie: jar.header() ?? '', origin: server.url };
}

test('local: the lobby sends you to the login page; a wrong name and a wrong password get the same answer', async () => {
  const dataDir = await makeDataDir();
  const audit = new MemoryAuditLog();
  const server = await localServer(dataDir, audit);
  try {
    const lobby = await http(`${server.url}/`);
    assert.equal(lobby.status, 303);
    assert.equal(lobby.headers.get('location'), '/login?next=%2F');
    const page = await http(`${server.url}/login`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<form id="login-form"[^>]*method="post" action="\/login"/);
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), 'no inline script');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    // Under no-referrer a browser would send `Origin: null` with the form; same-origin sends the real one.
    assert.equal(page.headers.get('referrer-policy'), 'same-origin');
    assert.match(html, /<meta name="referrer" content="same-origin">/);

    const answers = [];
    for (const [name, password] of [['alice', 'wrong'], ['nobody', 'wrong'], ['nobody', PASSWORDS.alice], ['', ''], ['a'.repeat(300), 'x']]) {
      const jar = new CookieJar();
      const response = await logIn(server, jar, name!, password!, '/r/abc');
      answers.push(`${response.status} ${response.headers.get('location')}`);
      assert.equal(jar.cookies.size, 0, 'no session for a failed sign-in');
    }
    assert.deepEqual(new Set(answers), new Set(['303 /login?error=1&next=%2Fr%2Fabc']));
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const failed = audit.of('signin.failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.detail?.count, 5);
  assert.ok(!JSON.stringify(audit.records).includes('wrong'), 'no password in the audit');
});

test('local: signing in sets an HttpOnly, SameSite=Lax session cookie (not Secure without TLS) and returns to a local page only', async () => {
  const dataDir = await makeDataDir();
  const audit = new MemoryAuditLog();
  const server = await localServer(dataDir, audit);
  try {
    const jar = new CookieJar();
    const response = await logIn(server, jar, 'alice', PASSWORDS.alice, '/r/abc');
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/r/abc');
    const setCookie = response.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`));
    assert.ok(setCookie, 'a session cookie');
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Lax/);
    assert.doesNotMatch(setCookie, /; Secure/);
    assert.match(setCookie, /; Path=\//);
    const expires = Date.parse(/; Expires=([^;]+)/.exec(setCookie)![1]!);
    assert.ok(Math.abs(expires - Date.now() - SessionCookie.MaxAgeMs) < 60_000, 'expires after the max age');

    const lobby = await http(`${server.url}/`, { jar });
    assert.equal(lobby.status, 200);
    await lobby.arrayBuffer();

    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const other = await logIn(server, new CookieJar(), 'alice', PASSWORDS.alice, next);
      assert.equal(other.headers.get('location'), '/', `next=${next}`);
    }
    // Another site's form cannot sign a visitor in (login CSRF): no Origin, or a foreign one, is refused.
    const nullOrigin = await http(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', 'sec-fetch-site': 'same-origin' },
      body: form({ username: 'alice', password: PASSWORDS.alice }),
    });
    assert.equal(nullOrigin.status, 403, 'Origin null is refused even with Sec-Fetch-Site: same-origin (the login page sends its real Origin)');
    await nullOrigin.arrayBuffer();
    for (const origin of [undefined, 'http://evil.example', 'null']) {
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      if (origin) headers.origin = origin;
      const refused = await http(`${server.url}/login`, { method: 'POST', headers, body: form({ username: 'alice', password: PASSWORDS.alice }) });
      assert.equal(refused.status, 403, `origin ${origin}`);
      assert.equal(refused.headers.getSetCookie().length, 0);
      await refused.arrayBuffer();
    }
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const succeeded = audit.of('signin.succeeded');
  assert.ok(succeeded.length >= 1);
  assert.equal(succeeded[0]!.actor, 'local:alice');
  assert.equal(succeeded[0]!.detail?.method, 'local');
});

test('local: a session cookie counts on REST and the socket only with an Origin header (A5)', async () => {
  const dataDir = await makeDataDir();
  const server = await localServer(dataDir);
  try {
    const jar = new CookieJar();
    await logIn(server, jar, 'alice', PASSWORDS.alice);
    const cookie = jar.header()!;

    const withOrigin = await http(`${server.url}/api/rooms`, { headers: { cookie, origin: server.url } });
    assert.equal(withOrigin.status, 200);
    await withOrigin.arrayBuffer();
    const created = await http(`${server.url}/api/rooms`, { method: 'POST', headers: { cookie, origin: server.url, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(created.status, 201);
    const room = (await created.json()) as CreatedRoom;
    assert.equal(server.app.rooms.get(room.id)!.access.ownerUser, 'local:alice');

    const noOrigin = await http(`${server.url}/api/rooms`, { headers: { cookie } });
    assert.equal(noOrigin.status, 401, 'a cookie without Origin is no credential');
    await noOrigin.arrayBuffer();
    const noOriginPost = await http(`${server.url}/api/rooms`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(noOriginPost.status, 401);
    await noOriginPost.arrayBuffer();
    // A browser's same-origin read carries Sec-Fetch-Site instead of Origin; a cross-site one does not count.
    const sameSiteRead = await http(`${server.url}/api/rooms`, { headers: { cookie, 'sec-fetch-site': 'same-origin' } });
    assert.equal(sameSiteRead.status, 200);
    await sameSiteRead.arrayBuffer();
    const crossSiteRead = await http(`${server.url}/api/rooms`, { headers: { cookie, 'sec-fetch-site': 'cross-site' } });
    assert.equal(crossSiteRead.status, 401);
    await crossSiteRead.arrayBuffer();
    const sameSitePost = await http(`${server.url}/api/rooms`, { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(sameSitePost.status, 401, 'the Sec-Fetch-Site stand-in is for reads only');
    await sameSitePost.arrayBuffer();

    assert.equal(await handshake(server.url, { headers: { cookie, origin: server.url } }), 'connected');
    assert.equal(await handshake(server.url, { headers: { cookie } }), 'unauthorized', 'handshake with a cookie and no Origin');
    assert.equal(await handshake(server.url, { headers: { cookie, 'sec-fetch-site': 'same-origin' } }), 'unauthorized', 'no stand-in for the handshake');
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('local: the handshake refuses a missing, malformed or absent credential (A6); Basic against the users file works for scripts', async () => {
  const dataDir = await makeDataDir();
  const server = await localServer(dataDir);
  try {
    const jar = new CookieJar();
    await logIn(server, jar, 'bob', PASSWORDS.bob);
    const value = jar.cookies.get(SESSION_COOKIE)!;
    const origin = server.url;
    // Missing.
    assert.equal(await handshake(server.url, { headers: { origin } }), 'unauthorized');
    // Malformed: a cookie whose signature does not verify, an unsigned one, Basic junk, a token of the wrong shape.
    const forged = value.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    assert.equal(await handshake(server.url, { headers: { origin, cookie: `${SESSION_COOKIE}=${forged}` } }), 'unauthorized', 'bad cookie signature');
    const unsigned = decodeURIComponent(value).replace(/^s:/, '').split('.')[0]!;
    assert.equal(await handshake(server.url, { headers: { origin, cookie: `${SESSION_COOKIE}=${unsigned}` } }), 'unauthorized', 'unsigned session id');
    assert.equal(await handshake(server.url, { headers: { origin, authorization: 'Basic %%%' } }), 'unauthorized', 'bad Basic');
    assert.equal(await handshake(server.url, { headers: { origin, authorization: basicHeader('bob', 'wrong') } }), 'unauthorized', 'wrong Basic');
    assert.equal(await handshake(server.url, { auth: { token: 'not a token!' } }), 'unauthorized', 'malformed token');
    // Absent or mistyped field.
    assert.equal(await handshake(server.url, { auth: {} }), 'unauthorized');
    assert.equal(await handshake(server.url, { auth: { token: 123 } }), 'unauthorized');
    assert.equal(await handshake(server.url, { headers: { origin, cookie: `${SESSION_COOKIE}=${value}` }, auth: { token: 123 } }), 'unauthorized', 'junk token next to a session');

    assert.equal(await handshake(server.url, { headers: { origin, cookie: `${SESSION_COOKIE}=${value}` } }), 'connected');
    assert.equal(await handshake(server.url, { headers: { authorization: basicHeader('bob', PASSWORDS.bob) } }), 'connected', 'Basic, no cookie');
    const rest = await http(`${server.url}/api/rooms`, { headers: { authorization: basicHeader('bob', PASSWORDS.bob) } });
    assert.equal(rest.status, 200);
    await rest.arrayBuffer();
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('local: signing in gives a new session id (no fixation); signing out ends the session', async () => {
  const dataDir = await makeDataDir();
  const server = await localServer(dataDir);
  try {
    const jar = new CookieJar();
    await logIn(server, jar, 'alice', PASSWORDS.alice);
    const first = jar.header()!;
    // Signing in again while holding a session (as an attacker's planted one would be) replaces it.
    await logIn(server, jar, 'bob', PASSWORDS.bob);
    const second = jar.header()!;
    assert.notEqual(second, first, 'a new session id');
    const old = await http(`${server.url}/api/rooms`, { headers: { cookie: first, origin: server.url } });
    assert.equal(old.status, 401, 'the old session is gone');
    await old.arrayBuffer();

    const stillIn = await http(`${server.url}/api/rooms`, { headers: browserHeaders(server, jar) });
    assert.equal(stillIn.status, 200);
    await stillIn.arrayBuffer();
    const out = await http(`${server.url}/logout`, { method: 'POST', headers: browserHeaders(server, jar) });
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/login');
    const after = await http(`${server.url}/api/rooms`, { headers: { cookie: second, origin: server.url } });
    assert.equal(after.status, 401, 'the cookie no longer counts after logout');
    await after.arrayBuffer();
    assert.equal(await handshake(server.url, { headers: { cookie: second, origin: server.url } }), 'unauthorized');
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('local: a session survives a server restart with the same data folder', async () => {
  const dataDir = await makeDataDir();
  const jar = new CookieJar();
  const first = await localServer(dataDir);
  try {
    await logIn(first, jar, 'alice', PASSWORDS.alice);
    assert.equal((await http(`${first.url}/`, { jar })).status, 200);
  } finally {
    await first.app.dispose();
  }
  const second = await localServer(dataDir);
  try {
    const lobby = await http(`${second.url}/`, { jar });
    assert.equal(lobby.status, 200, 'still signed in after the restart');
    await lobby.arrayBuffer();
    assert.equal(await handshake(second.url, { headers: { cookie: jar.header()!, origin: second.url } }), 'connected');
  } finally {
    await second.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('local: removing a user ends their sessions at the next request; --creators limits who creates rooms', async () => {
  const dataDir = await makeDataDir();
  const server = await localServer(dataDir, new MemoryAuditLog(), { creators: ['local:alice'] });
  try {
    const alice = new CookieJar();
    const bob = new CookieJar();
    await logIn(server, alice, 'alice', PASSWORDS.alice);
    await logIn(server, bob, 'bob', PASSWORDS.bob);
    const create = (jar: CookieJar) => http(`${server.url}/api/rooms`, { method: 'POST', headers: { ...browserHeaders(server, jar), 'content-type': 'application/json' }, body: '{}' });
    const byAlice = await create(alice);
    assert.equal(byAlice.status, 201);
    await byAlice.arrayBuffer();
    const byBob = await create(bob);
    assert.equal(byBob.status, 403, 'bob may sign in but not create rooms');
    await byBob.arrayBuffer();

    assert.equal(new UsersFile(join(dataDir, 'users.json')).remove('bob'), true);
    const gone = await http(`${server.url}/api/rooms`, { headers: browserHeaders(server, bob) });
    assert.equal(gone.status, 401);
    await gone.arrayBuffer();
    assert.equal(await handshake(server.url, { headers: browserHeaders(server, bob) }), 'unauthorized');
    const page = await http(`${server.url}/`, { jar: bob });
    assert.equal(page.status, 303);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
