// TLS: --tls-cert/--tls-key serve HTTPS (start line, HSTS, a real socket.io client joins); --tls-ca-crt
// requires a client certificate from that CA; bad or missing files stop the start with status 2 and one line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connectClient } from 'socket.io-client';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeCertificates, type Certificates } from '../helpers/certificates.js';
import { rawRequest, upgradeRequest, enginePath } from '../helpers/rawHttp.js';
import { BIN, TEST_SHELL_LINE } from '../helpers/serverProcess.js';
import type { JoinReply } from '../../server/shared/events.js';
import { authConfig, form } from '../helpers/signin.js';
import { UsersFile } from '../../server/auth/usersFile.js';
import { SESSION_COOKIE } from '../../server/auth/sessions.js';

/** PEM text, the form socket.io-client's types take. */
interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

function clientTls(certs: Certificates, who: 'client' | 'stranger' | 'nobody'): ClientTls {
  const pem = (path: string): string => readFileSync(path, 'utf8');
  const ca = pem(certs.ca);
  if (who === 'nobody') return { ca };
  return who === 'client'
    ? { ca, cert: pem(certs.clientCert), key: pem(certs.clientKey) }
    : { ca, cert: pem(certs.strangerCert), key: pem(certs.strangerKey) };
}

/** Connects a real socket.io client over `transport` and joins `roomId`; resolves with the reply or the connection error. */
async function joinOver(server: TestServer, roomId: string, transport: 'websocket' | 'polling', tls: ClientTls): Promise<string> {
  const socket = connectClient(server.url, { transports: [transport], reconnection: false, forceNew: true, ...tls });
  try {
    return await new Promise<string>((resolve) => {
      socket.on('connect_error', (error) => resolve(`refused: ${error.message}`));
      socket.on('connect', () => {
        socket.emit('room:join', { roomId }, (reply: JoinReply) => resolve(reply.ok ? `joined as ${reply.role}` : `join refused: ${reply.code}`));
      });
    });
  } finally {
    socket.close();
  }
}

test('TLS: HTTPS with HSTS, and a real socket.io client joins over WebSocket and polling', async (t) => {
  const certs = makeCertificates();
  t.after(() => certs.remove());
  const server = await startServer({ tls: { cert: certs.serverCert, key: certs.serverKey } });
  t.after(() => server.close());
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const tls = clientTls(certs, 'nobody');

  const health = await rawRequest(server.url, '/healthz', { tls });
  assert.equal(health.status, 200);
  assert.match(String(health.headers['strict-transport-security']), /^max-age=\d+$/);
  assert.match(String(health.headers['content-security-policy']), /script-src 'self'/);

  const created = await rawRequest(server.url, '/api/rooms', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}', tls });
  assert.equal(created.status, 201, created.body);
  const room = JSON.parse(created.body) as { id: string; viewUrl: string };
  assert.match(room.viewUrl, /^https:\/\//, 'links name the scheme the server serves');
  assert.equal(await joinOver(server, room.id, 'websocket', tls), 'joined as viewer');
  assert.equal(await joinOver(server, room.id, 'polling', tls), 'joined as viewer');

  // The default allowed origin is the https one; the same host over http is another origin.
  const port = new URL(server.url).port;
  assert.equal((await upgradeRequest(server.url, enginePath('websocket'), { tls, headers: { Origin: server.url } })).status, 101);
  assert.equal((await upgradeRequest(server.url, enginePath('websocket'), { tls, headers: { Origin: `http://127.0.0.1:${port}` } })).status, 403);
});

test('TLS: with --tls-ca-crt only clients with a certificate from that CA get in', async (t) => {
  const certs = makeCertificates();
  t.after(() => certs.remove());
  const server = await startServer({ tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca } });
  t.after(() => server.close());
  const room = server.app.rooms.create({}, { address: 'test' }).room;

  const withCert = await rawRequest(server.url, '/healthz', { tls: clientTls(certs, 'client') });
  assert.equal(withCert.status, 200);
  for (const who of ['nobody', 'stranger'] as const) {
    await assert.rejects(rawRequest(server.url, '/healthz', { tls: clientTls(certs, who) }), (error: NodeJS.ErrnoException) => {
      // TLS 1.3 reports the server's refusal when the client first reads: an alert or a reset.
      assert.match(`${error.code} ${error.message}`, /certificate|ECONNRESET|alert|socket hang up/i, `${who}: ${error.message}`);
      return true;
    }, `${who} must be refused`);
    assert.match(await joinOver(server, room.id, 'websocket', clientTls(certs, who)), /^refused/, who);
  }
  assert.equal(server.app.io.engine.clientsCount, 0, 'no session was opened for the refused clients');
  assert.equal(await joinOver(server, room.id, 'websocket', clientTls(certs, 'client')), 'joined as viewer');
});

/** Runs `ttyroom serve ARGS` until its first stdout line or its exit. */
async function serveUntilStarted(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; kill(): void }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--command', TEST_SHELL_LINE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const firstLine = new Promise<void>((resolve) => child.stdout.on('data', () => stdout.includes('\n') && resolve()));
  const code = await Promise.race([exited, firstLine.then(() => null)]);
  return { code, stdout, stderr, kill: () => child.kill('SIGKILL') };
}

test('TLS from the command line: the start line says https; unusable files exit 2 with one clear line', async (t) => {
  const certs = makeCertificates();
  t.after(() => certs.remove());
  const dataDir = join(certs.dir, 'data');
  const started = await serveUntilStarted(['--data-dir', dataDir, '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey]);
  started.kill();
  assert.equal(started.code, null, started.stderr);
  assert.match(started.stdout.split('\n')[0]!, /^ttyroom listening on https:\/\/127\.0\.0\.1:\d+$/);

  const notPem = join(certs.dir, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  const cases: Array<[string[], RegExp]> = [
    [['--tls-cert', join(certs.dir, 'missing.crt'), '--tls-key', certs.serverKey], /^ttyroom: --tls-cert: cannot read .*missing\.crt \(ENOENT\)$/],
    [['--tls-cert', notPem, '--tls-key', certs.serverKey], /^ttyroom: --tls-cert\/--tls-key: not a PEM certificate and its private key/],
    // A key that does not belong to the certificate.
    [['--tls-cert', certs.serverCert, '--tls-key', certs.clientKey], /^ttyroom: --tls-cert\/--tls-key: not a PEM certificate and its private key/],
    [['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca-crt', notPem], /^ttyroom: --tls-ca-crt: /],
    [['--tls-cert', certs.serverCert], /^ttyroom: --tls-cert and --tls-key go together/],
  ];
  for (const [args, message] of cases) {
    const result = await serveUntilStarted(['--data-dir', dataDir, ...args]);
    result.kill();
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, message);
  }
});

test('TLS: the session cookie is Secure (and HttpOnly, SameSite=Lax) when the server speaks https (I3)', async (t) => {
  const certs = makeCertificates();
  t.after(() => certs.remove());
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-tls-session-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  await new UsersFile(join(dataDir, 'users.json')).set('alice', 'alice-password');
  const server = await startServer({
    dataDir,
    tls: { cert: certs.serverCert, key: certs.serverKey },
    auth: authConfig(dataDir, { mode: 'local' }),
  });
  t.after(() => server.close());

  const login = await rawRequest(server.url, '/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
    body: form({ username: 'alice', password: 'alice-password', next: '/' }),
    tls: clientTls(certs, 'nobody'),
  });
  assert.equal(login.status, 303, login.body);
  const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
  const session = cookies.find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`));
  assert.ok(session, `a session cookie is set: ${JSON.stringify(cookies)}`);
  const attributes = session.split(';').map((part) => part.trim().toLowerCase());
  assert.ok(attributes.includes('secure'), session);
  assert.ok(attributes.includes('httponly'), session);
  assert.ok(attributes.includes('samesite=lax'), session);
});
