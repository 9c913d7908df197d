// --auth oidc against a real OpenID provider (oidc-provider v8 on 127.0.0.1:0): the whole code flow over HTTP with
// a cookie jar, the session it leaves, the handshake failing closed (A6), cookies only with Origin (A5), failures audited;
// with --redis, a round trip that starts on one node and comes back to another.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Provider from 'oidc-provider';
import { startServer, type TestServer } from '../helpers/server.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { authConfig, CookieJar, form, handshake, http } from '../helpers/signin.js';
import { SESSION_COOKIE, SESSIONS_FILE } from '../../server/auth/sessions.js';
import { OIDC_CALLBACK_PATH } from '../../server/auth/oidc.js';
import { redisMissing, startRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import type { CreatedRoom } from '../../server/shared/events.js';

const CLIENT_ID = 'ttyroom-test';
const CLIENT_SECRET = 'a-client-secret-long-enough-for-the-provider';
/** The accounts the provider knows: subject → profile claims. */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  'sub-alice': { name: 'Alice Example', email: 'alice@example.com' },
  'sub-bob': { preferred_username: 'bob', email: 'bob@example.com' },
};

interface Setup {
  provider: Server;
  issuer: string;
  server: TestServer;
  audit: MemoryAuditLog;
  close(): Promise<void>;
}

/** The provider's HTTP server, listening before the provider exists: its address is the issuer ttyroom is configured with. */
async function listenProvider(): Promise<{ providerServer: Server; issuer: string }> {
  const providerServer = createServer();
  await new Promise<void>((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  return { providerServer, issuer: `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}` };
}

/** Builds the provider, with ttyroom's callback URL in its client registration, and starts it answering. */
function startProvider(providerServer: Server, issuer: string, callbackUrl: string): void {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [callbackUrl],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    findAccount: (_ctx, id) => (ACCOUNTS[id] ? { accountId: id, claims: () => ({ sub: id, ...ACCOUNTS[id] }) } : undefined),
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    features: { devInteractions: { enabled: true } },
  });
  // The provider logs rejected requests (e.g. a replayed code) as errors; the tests check our side.
  provider.on('server_error', () => undefined);
  providerServer.on('request', provider.callback());
}

async function closeProvider(providerServer: Server): Promise<void> {
  providerServer.closeAllConnections();
  await new Promise<void>((resolve) => providerServer.close(() => resolve()));
}

/**
 * The provider listens first (its issuer goes into ttyroom's config), ttyroom next (its callback URL goes
 * into the provider's client registration), then the provider is built and starts answering.
 */
async function setUp(): Promise<Setup> {
  const { providerServer, issuer } = await listenProvider();
  const audit = new MemoryAuditLog();
  const server = await startServer(
    { auth: authConfig('/unused', { mode: 'oidc', oidc: { issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUrl: undefined } }) },
    process.env,
    { audit },
  );
  startProvider(providerServer, issuer, `${server.url}/auth/oidc/callback`);
  return {
    provider: providerServer,
    issuer,
    server,
    audit,
    async close() {
      await server.close();
      await closeProvider(providerServer);
    },
  };
}

/**
 * Signs in as `subject` the way a browser does: /login → /auth/oidc → the provider → its dev login and
 * consent forms → back to /auth/oidc/callback. Returns the last response (ttyroom's redirect after sign-in)
 * and the callback URL that was used.
 */
async function signIn(setup: Setup, jar: CookieJar, subject: string, next = '/'): Promise<{ response: Response; callback: string; before: string | undefined }> {
  let url = `${setup.server.url}/login?next=${encodeURIComponent(next)}`;
  let callback = '';
  let before: string | undefined;
  for (let hop = 0; hop < 30; hop++) {
    // On this server, or on another node (the callback URL may name any node of a cluster).
    if (new URL(url).pathname === OIDC_CALLBACK_PATH) {
      callback = url;
      before = jar.cookies.get(SESSION_COOKIE);
    }
    const response = await http(url, { jar });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.arrayBuffer();
      if (callback !== '') return { response, callback, before };
      url = new URL(location, url).href;
      continue;
    }
    if (callback !== '') return { response, callback, before };
    const html = await response.text();
    const prompt = /name="prompt" value="(login|consent)"/.exec(html)?.[1];
    assert.ok(response.status === 200 && prompt, `an interaction page at ${url}: ${response.status} ${html.slice(0, 200)}`);
    const fields: Record<string, string> = prompt === 'login' ? { prompt, login: subject, password: 'any' } : { prompt };
    const submitted = await http(url, { method: 'POST', jar, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(fields) });
    await submitted.arrayBuffer();
    assert.ok(submitted.status >= 300 && submitted.status < 400, `the ${prompt} form is accepted (${submitted.status})`);
    url = new URL(submitted.headers.get('location')!, url).href;
  }
  throw new Error('the sign-in did not come back to ttyroom');
}

test('oidc: the code flow signs in as oidc:<sub> with a name from the claims, in a fresh session, and back to the page asked for', async () => {
  const setup = await setUp();
  try {
    const { server } = setup;
    const lobby = await http(`${server.url}/`);
    assert.equal(lobby.status, 303);
    assert.equal(lobby.headers.get('location'), '/login?next=%2F');

    const jar = new CookieJar();
    const { response, before } = await signIn(setup, jar, 'sub-alice', '/r/abc');
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/r/abc');
    const after = jar.cookies.get(SESSION_COOKIE);
    assert.ok(before, 'the sign-in state lived in a session cookie during the round trip');
    assert.ok(after && after !== before, 'a new session id after sign-in (no fixation)');
    const setCookie = response.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`))!;
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);

    const headers = { cookie: `${SESSION_COOKIE}=${after}`, origin: server.url };
    const created = await http(`${server.url}/api/rooms`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(created.status, 201);
    const room = (await created.json()) as CreatedRoom;
    assert.equal(server.app.rooms.get(room.id)!.access.ownerUser, 'oidc:sub-alice');
    assert.equal(await handshake(server.url, { headers }), 'connected');

    // The session holds the user's id and the name from the profile claims (read from the SQLite file).
    const db = new Database(join(server.dataDir, SESSIONS_FILE), { readonly: true });
    try {
      const users = db.prepare('SELECT data FROM sessions').all().map((row) => (JSON.parse((row as { data: string }).data) as { passport?: { user?: unknown } }).passport?.user);
      assert.deepEqual(users.filter(Boolean), [{ id: 'oidc:sub-alice', name: 'Alice Example' }]);
    } finally {
      db.close();
    }
    const succeeded = setup.audit.of('signin.succeeded');
    assert.equal(succeeded.length, 1);
    assert.equal(succeeded[0]!.actor, 'oidc:sub-alice');
    assert.equal(succeeded[0]!.detail?.method, 'oidc');
  } finally {
    await setup.close();
  }
});

test('oidc: the handshake refuses missing, malformed and absent credentials (A6), and a cookie without Origin (A5)', async () => {
  const setup = await setUp();
  try {
    const { server } = setup;
    const jar = new CookieJar();
    await signIn(setup, jar, 'sub-bob');
    const value = jar.cookies.get(SESSION_COOKIE)!;
    const origin = server.url;
    const cookie = `${SESSION_COOKIE}=${value}`;
    assert.equal(await handshake(server.url, { headers: { origin, cookie } }), 'connected');

    assert.equal(await handshake(server.url, { headers: { origin } }), 'unauthorized', 'missing');
    assert.equal(await handshake(server.url, { headers: { cookie } }), 'unauthorized', 'cookie without Origin');
    const forged = `${SESSION_COOKIE}=${value.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'))}`;
    assert.equal(await handshake(server.url, { headers: { origin, cookie: forged } }), 'unauthorized', 'bad cookie signature');
    assert.equal(await handshake(server.url, { auth: { token: '../../etc/passwd-and-more-chars' } }), 'unauthorized', 'malformed token');
    assert.equal(await handshake(server.url, { auth: {} }), 'unauthorized', 'absent field');
    assert.equal(await handshake(server.url, { auth: { token: 123 } }), 'unauthorized', 'mistyped field');
    assert.equal(await handshake(server.url, { headers: { origin, cookie }, auth: { token: 123 } }), 'unauthorized', 'junk token next to a session');

    const noOrigin = await http(`${server.url}/api/rooms`, { headers: { cookie } });
    assert.equal(noOrigin.status, 401);
    await noOrigin.arrayBuffer();

    const db = new Database(join(server.dataDir, SESSIONS_FILE), { readonly: true });
    try {
      const users = db.prepare('SELECT data FROM sessions').all().map((row) => (JSON.parse((row as { data: string }).data) as { passport?: { user?: unknown } }).passport?.user);
      assert.deepEqual(users.filter(Boolean), [{ id: 'oidc:sub-bob', name: 'bob' }], 'the name falls back to preferred_username');
    } finally {
      db.close();
    }
  } finally {
    await setup.close();
  }
});

test('oidc: a callback without the sign-in state (replayed, or from another browser) fails and is audited', async () => {
  const setup = await setUp();
  try {
    const { server } = setup;
    const { callback } = await signIn(setup, new CookieJar(), 'sub-alice');
    const stranger = new CookieJar();
    const replay = await http(callback, { jar: stranger });
    assert.equal(replay.status, 401);
    assert.match(await replay.text(), /Sign-in failed/);
    assert.equal(stranger.cookies.has(SESSION_COOKIE), false, 'no session for a failed sign-in');
    assert.equal(await handshake(server.url, { headers: { origin: server.url, cookie: stranger.header() ?? '' } }), 'unauthorized');
  } finally {
    await setup.close();
  }
  const failed = setup.audit.of('signin.failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.detail?.method, 'oidc');
  assert.equal(failed[0]!.detail?.count, 1);
});

test('oidc: a provider that cannot be reached gets a clear 502, not a crash', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const server = await startServer({ auth: authConfig('/unused', { mode: 'oidc', oidc: { issuer, clientId: CLIENT_ID, clientSecret: undefined, redirectUrl: undefined } }) });
  try {
    const response = await http(`${server.url}/auth/oidc?next=/`);
    assert.equal(response.status, 502);
    assert.match(await response.text(), /provider cannot be reached/);
    assert.equal((await http(`${server.url}/healthz`)).status, 200);
  } finally {
    await server.close();
  }
});

test('oidc with --redis: the round trip starts on node A and comes back to node B (the sign-in state is in Redis), and the session counts on both', { skip: redisMissing() }, async () => {
  const redis = await startRedis();
  const { providerServer, issuer } = await listenProvider();
  const nodes: TestServer[] = [];
  try {
    const oidc = (redirectUrl: string | undefined) => ({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUrl });
    // Behind one address the provider may send the browser back to any node: here always to B.
    const b = await startServer({ auth: authConfig('/unused', { mode: 'oidc', oidc: oidc(undefined) }), redis: { url: redis.url, expiryMs: 3_000 } });
    nodes.push(b);
    const callbackUrl = `${b.url}${OIDC_CALLBACK_PATH}`;
    const a = await startServer({ auth: authConfig('/unused', { mode: 'oidc', oidc: oidc(callbackUrl) }), redis: { url: redis.url, expiryMs: 3_000 } });
    nodes.push(a);
    startProvider(providerServer, issuer, callbackUrl);

    const jar = new CookieJar();
    const setup = { provider: providerServer, issuer, server: a, audit: new MemoryAuditLog(), close: async () => undefined };
    // A node answers sign-in with 503 until it has agreed on the shared secret in Redis, just after its start.
    for (const node of [a, b]) {
      await waitFor(async () => {
        const probe = await http(`${node.url}/login`);
        await probe.arrayBuffer();
        return probe.status !== 503;
      }, 'the node to reach its session store');
    }
    const signedIn = await signIn(setup, jar, 'sub-alice', '/r/abc');
    assert.ok(signedIn.callback.startsWith(callbackUrl), 'the provider sent the browser back to B');
    assert.equal(signedIn.response.status, 303, 'B found the sign-in state that A stored');
    assert.equal(signedIn.response.headers.get('location'), '/r/abc');
    for (const node of [a, b]) {
      const headers = { cookie: `${SESSION_COOKIE}=${jar.cookies.get(SESSION_COOKIE)}`, origin: node.url };
      const created = await http(`${node.url}/api/rooms`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(created.status, 201, `signed in on ${node === a ? 'A' : 'B'}`);
      const room = (await created.json()) as CreatedRoom;
      assert.equal(node.app.rooms.get(room.id)!.access.ownerUser, 'oidc:sub-alice');
    }
  } finally {
    for (const node of nodes) await node.close();
    await closeProvider(providerServer);
    await redis.stop();
  }
});
