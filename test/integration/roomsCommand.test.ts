// `ttyroom rooms` against real servers: the table and --json, TTYROOM_SERVER, sign-in with --user and
// TTYROOM_PASSWORD, HTTPS with a private CA and --ca, and one line with status 1 or 2 for each way it fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { startServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { waitFor } from '../helpers/wait.js';
import { BIN } from '../helpers/serverProcess.js';
import { makeCertificates } from '../helpers/certificates.js';
import { authConfig } from '../helpers/signin.js';
import { PASSWORD_ENV } from '../../server/termclient/serverAccess.js';
import { RoomsTable } from '../../server/cli/roomsCommand.js';
import { createRoom } from '../../server/termclient/serverRequest.js';
import type { RoomSummary } from '../../server/shared/events.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ttyroom rooms ...args` without blocking this process (the servers these tests start live in it), with an
 * environment free of the caller's TTYROOM_SERVER and TTYROOM_PASSWORD unless `env` sets them.
 */
function rooms(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const base = { ...process.env };
  delete base.TTYROOM_SERVER;
  delete base[PASSWORD_ENV];
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'rooms', ...args], { env: { ...base, ...env }, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

/** A failure is exactly one line on stderr, nothing on stdout. */
function assertOneLine(run: Run, status: number, pattern: RegExp): void {
  assert.equal(run.status, status, `status; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr.split('\n').length, 2, `one line: ${JSON.stringify(run.stderr)}`);
  assert.match(run.stderr, pattern);
}

async function apiRooms(url: string, headers: Record<string, string> = {}): Promise<RoomSummary[]> {
  return (await (await fetch(`${url}/api/rooms`, { headers })).json()) as RoomSummary[];
}

test('rooms: a table of the rooms (name cut, state, size, age), and --json is what the API lists', async () => {
  const server = await startServer();
  try {
    const longName = `standup ${'x'.repeat(60)}`;
    const first = await server.createRoom({ name: 'incident 42', cols: 100, rows: 30 });
    const second = await server.createRoom({ name: longName, approval: true });
    const closed = await server.createRoom({ name: 'old one' });
    const owner = await joinMember(server.url, closed.id, { token: closed.ownerToken });
    owner.socket.emit('term:input', 'exit 0\r');
    await waitFor(() => owner.exits.length > 0, 'the room program to exit');
    owner.close();

    const table = await rooms(['--server', server.url]);
    assert.equal(table.status, 0, table.stderr);
    assert.equal(table.stderr, '');
    const lines = table.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4, table.stdout);
    assert.match(lines[0]!, /^ID +NAME +PROFILE +MEMBERS +SIZE +STATE +CREATED$/);
    const row = (id: string): string => lines.find((line) => line.startsWith(`${id} `)) ?? assert.fail(`no row for ${id}: ${table.stdout}`);
    assert.match(row(first.id), / incident 42 +default +0 +100x30 +running +\d+s ago$/);
    const cut = `${longName.slice(0, RoomsTable.MaxNameWidth - 1)}…`;
    assert.ok(row(second.id).includes(` ${cut} `), row(second.id));
    assert.ok(!table.stdout.includes(longName));
    assert.match(row(second.id), / running,approval +\d+s ago$/);
    assert.match(row(closed.id), / exited +\d+s ago$/);
    // Columns line up: each row's name and state start where the header's titles do.
    for (const [id, name] of [[first.id, 'incident 42'], [second.id, cut], [closed.id, 'old one']] as const) {
      assert.equal(row(id).indexOf(name), lines[0]!.indexOf('NAME'), row(id));
      assert.equal(row(id).search(/ (running|exited)/) + 1, lines[0]!.indexOf('STATE'), row(id));
    }

    const json = await rooms(['--server', server.url, '--json']);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), await apiRooms(server.url));
  } finally {
    await server.close();
  }
});

test('rooms: --server defaults to TTYROOM_SERVER; no rooms says so', async () => {
  const server = await startServer();
  try {
    const empty = await rooms([], { TTYROOM_SERVER: server.url });
    assert.equal(empty.status, 0, empty.stderr);
    assert.equal(empty.stdout, `no rooms on ${server.url}\n`);
    const emptyJson = await rooms(['--json'], { TTYROOM_SERVER: server.url });
    assert.deepEqual(JSON.parse(emptyJson.stdout), []);
    const room = await server.createRoom({ name: 'from env' });
    const listed = await rooms([], { TTYROOM_SERVER: server.url });
    assert.match(listed.stdout, new RegExp(`^${room.id} +from env `, 'm'));
  } finally {
    await server.close();
  }
});

test('rooms: a server with sign-in needs --user and TTYROOM_PASSWORD; a wrong password is refused', async () => {
  const alice = { user: 'alice', password: 'pa:ss word' };
  const server = await startServer({ auth: authConfig('/nonexistent', { mode: 'basic', credential: alice }) });
  try {
    const basic = `Basic ${Buffer.from(`${alice.user}:${alice.password}`).toString('base64')}`;
    const created = await fetch(`${server.url}/api/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic },
      body: JSON.stringify({ name: 'signed in' }),
    });
    assert.equal(created.status, 201);

    assertOneLine(await rooms(['--server', server.url]), 1, /^ttyroom: the server asks for sign-in: pass --user NAME and the password in TTYROOM_PASSWORD$/m);
    assertOneLine(await rooms(['--server', server.url, '--user', 'alice']), 2, /TTYROOM_PASSWORD/);
    assertOneLine(await rooms(['--server', server.url, '--user', 'alice'], { [PASSWORD_ENV]: 'wrong' }), 1, /refused the sign-in/);
    const signedIn = await rooms(['--server', server.url, '--user', 'alice', '--json'], { [PASSWORD_ENV]: alice.password });
    assert.equal(signedIn.status, 0, signedIn.stderr);
    assert.deepEqual(JSON.parse(signedIn.stdout), await apiRooms(server.url, { authorization: basic }));
    assert.equal((JSON.parse(signedIn.stdout) as RoomSummary[])[0]?.name, 'signed in');
  } finally {
    await server.close();
  }
});

test('rooms: HTTPS with a private CA is refused without --ca (the line says so) and listed with it', async () => {
  const certs = makeCertificates();
  const server = await startServer({ tls: { cert: certs.serverCert, key: certs.serverKey } });
  try {
    assert.match(server.url, /^https:/);
    const room = await createRoom(server.url, { ca: readFileSync(certs.ca, 'utf8') }, { name: 'over tls' });
    const refused = await rooms(['--server', server.url]);
    assertOneLine(refused, 1, /^ttyroom: cannot make a TLS connection to https:\/\/127\.0\.0\.1:\d+: [A-Z_]+ .*pass --ca FILE$/m);
    const trusted = await rooms(['--server', server.url, '--ca', certs.ca]);
    assert.equal(trusted.status, 0, trusted.stderr);
    assert.match(trusted.stdout, new RegExp(`^${room.id} +over tls `, 'm'));
    assertOneLine(await rooms(['--server', server.url, '--ca', `${certs.dir}/missing.pem`]), 2, /--ca: cannot read .*missing\.pem: ENOENT/);
  } finally {
    await server.close();
    certs.remove();
  }
});

test('rooms: nobody listening is one line with status 1; bad options are one line with status 2', async () => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  assertOneLine(await rooms(['--server', `http://127.0.0.1:${port}`]), 1, new RegExp(`^ttyroom: cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED$`, 'm'));

  assertOneLine(await rooms(['--bogus']), 2, /^ttyroom: unknown option --bogus \(see ttyroom rooms --help\)$/m);
  assertOneLine(await rooms(['--server']), 2, /^ttyroom: --server needs a value$/m);
  assertOneLine(await rooms(['--server', 'ftp://example.org']), 2, /--server: http: or https:/);
  assertOneLine(await rooms(['--server', 'http://127.0.0.1:1/r/abc']), 2, /--server: only the origin/);
  const help = await rooms(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: ttyroom rooms /);
});
