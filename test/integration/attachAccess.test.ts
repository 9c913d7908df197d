// How `ttyroom attach` reaches a server: https with a private CA (--ca), sign-in (--user, TTYROOM_PASSWORD), and
// the clear one-line refusals (an untrusted certificate, a missing or wrong sign-in, a bad link, no terminal).
// attach runs in a real pseudo-terminal (node-pty): it needs one, and its output is read as it comes.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import pty from 'node-pty';
import { BIN } from '../helpers/serverProcess.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeCertificates } from '../helpers/certificates.js';
import { authConfig } from '../helpers/signin.js';
import { waitFor } from '../helpers/wait.js';
import { joinMember } from '../helpers/member.js';
import { roomLinks } from '../../server/http/links.js';
import type { CreatedRoom, MemberInfo } from '../../server/shared/events.js';

/** Generous: node starts, connects and draws on a loaded machine. */
const ATTACH_TIMEOUT_MS = 30_000;
/** The detach key, twice (Ctrl-\ Ctrl-\). */
const DETACH = '\x1c\x1c';

interface AttachProcess {
  output(): string;
  write(data: string): void;
  exited: Promise<number>;
}

function runAttach(t: TestContext, args: readonly string[], env: Record<string, string> = {}, size = { cols: 100, rows: 30 }): AttachProcess {
  const child = pty.spawn(process.execPath, [BIN, 'attach', ...args], {
    cols: size.cols,
    rows: size.rows,
    env: { ...process.env, ...env } as Record<string, string>,
  });
  let output = '';
  child.onData((data) => {
    output += data;
  });
  const exited = new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  t.after(() => {
    if (!done) child.kill('SIGKILL');
  });
  return { output: () => output, write: (data) => child.write(data), exited };
}

async function withServer(t: TestContext, overrides: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const server = await startServer(overrides);
  t.after(() => server.close());
  return server;
}

test('https with a private CA: --ca FILE attaches; without it attach ends at once, naming the certificate and --ca', async (t) => {
  const certs = makeCertificates();
  t.after(() => certs.remove());
  const server = await withServer(t, { tls: { cert: certs.serverCert, key: certs.serverKey } });
  // Straight from the registry: this test's own fetch does not trust the private CA either.
  const made = server.app.rooms.create({}, { address: 'test' });
  const created = roomLinks(server.url, made.room.id, made.ownerToken, made.writeToken);
  assert.ok(created.writeUrl.startsWith('https://'));

  const trusted = runAttach(t, [created.writeUrl, '--ca', certs.ca]);
  await waitFor(() => trusted.output().includes('writer'), 'attached over https', ATTACH_TIMEOUT_MS);
  trusted.write(DETACH);
  assert.equal(await trusted.exited, 0);

  const untrusted = runAttach(t, [created.writeUrl]);
  assert.equal(await untrusted.exited, 1);
  assert.match(untrusted.output(), /ttyroom: the server's certificate is not trusted \([A-Z_]+\); for a private certificate authority, pass --ca FILE/);
});

test('sign-in: --user with TTYROOM_PASSWORD attaches; none, or a wrong password, ends at once saying so', async (t) => {
  const alice = { user: 'alice', password: 'pa:ss word' };
  const server = await withServer(t, { auth: authConfig('/nonexistent', { mode: 'basic', credential: alice }) });
  // With sign-in on, creating a room takes the credential too.
  const answer = await fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${alice.user}:${alice.password}`).toString('base64')}` },
    body: '{}',
  });
  assert.equal(answer.status, 201);
  const response = (await answer.json()) as { viewUrl: string };

  const signedIn = runAttach(t, [response.viewUrl, '--user', 'alice'], { TTYROOM_PASSWORD: alice.password });
  // alice created the room, so her sign-in makes her its owner, whatever the link.
  await waitFor(() => signedIn.output().includes('· owner ·'), 'attached as the signed-in owner', ATTACH_TIMEOUT_MS)
    .catch((error: unknown) => assert.fail(`${String(error)}: ${JSON.stringify(signedIn.output().slice(-600))}`));
  signedIn.write(DETACH);
  assert.equal(await signedIn.exited, 0);

  const anonymous = runAttach(t, [response.viewUrl]);
  assert.equal(await anonymous.exited, 1);
  assert.match(anonymous.output(), /the server asks for sign-in: pass --user NAME with the password in TTYROOM_PASSWORD/);

  const wrong = runAttach(t, [response.viewUrl, '--user', 'alice'], { TTYROOM_PASSWORD: 'nope' });
  assert.equal(await wrong.exited, 1);
  assert.match(wrong.output(), /the server refused the sign-in/);
});

/** A loopback port nothing listens on: one the system just gave out, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a server that cannot be reached: the status line says connecting…, and attach gives up after --reconnect-timeout with status 1', { timeout: ATTACH_TIMEOUT_MS }, async (t) => {
  const port = await closedPort();
  // A window the size of the room's placeholder grid (80×24): there is no spare row for the status line.
  const attach = runAttach(t, [`http://127.0.0.1:${port}/r/AbCdEfGhIjKlMnOp`, '--reconnect-timeout', '1'], {}, { cols: 80, rows: 24 });
  assert.equal(await attach.exited, 1);
  assert.ok(attach.output().includes('connecting…'), 'the user saw why the screen is empty');
  assert.match(attach.output(), new RegExp(`ttyroom: cannot reach the server at http://127\\.0\\.0\\.1:${port} \\(tried for 1 s\\)`));
});

test('a link that is no link, a missing password, or no terminal: status 2 and one line, nothing attempted', () => {
  const cases: Array<[string[], RegExp, Record<string, string>]> = [
    [['attach'], /which room\?/, {}],
    [['attach', 'ftp://example.org/r/abc'], /a room link is http: or https:/, {}],
    [['attach', 'http://127.0.0.1:9/lobby'], /not a room link/, {}],
    [['attach', 'http://127.0.0.1:9/r/abc', '--user', 'alice'], /set the password in TTYROOM_PASSWORD/, {}],
    [['attach', 'http://127.0.0.1:9/r/abc', '--detach-key', 'alt-x'], /--detach-key/, {}],
    [['attach', 'http://127.0.0.1:9/r/abc', '--reconnect-timeout', '0'], /--reconnect-timeout/, {}],
    [['attach', 'http://127.0.0.1:9/r/abc', '--ca', '/no/such/ca.pem'], /--ca: cannot read \/no\/such\/ca\.pem: ENOENT/, {}],
    [['attach', 'http://127.0.0.1:9/r/abc'], /^ttyroom: TTYROOM_DETACH_KEY: expected ctrl-LETTER/, { TTYROOM_DETACH_KEY: 'alt-x' }],
    [['attach', 'http://127.0.0.1:9/r/abc'], /^ttyroom: TTYROOM_RECONNECT_TIMEOUT: seconds/, { TTYROOM_RECONNECT_TIMEOUT: 'soon' }],
    // spawnSync's stdin and stdout are pipes.
    [['attach', 'http://127.0.0.1:9/r/abc'], /needs a terminal/, {}],
  ];
  for (const [args, message, env] of cases) {
    const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, TTYROOM_PASSWORD: '', ...env } });
    if (args.includes('--user')) {
      // An empty variable still counts as set; this case wants it unset.
      const unset = { ...process.env };
      delete unset.TTYROOM_PASSWORD;
      const again = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 10_000, env: unset });
      assert.equal(again.status, 2, `${args.join(' ')}: ${again.stderr}`);
      assert.match(again.stderr.trim(), message);
      continue;
    }
    assert.equal(result.status, 2, `${args.join(' ')}: status 2 (stderr: ${result.stderr})`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line: ${result.stderr}`);
    assert.match(lines[0]!, message);
  }
});

/** An owner (a socket.io member) and `name` attached in a pty with `link`, each seeing the other; the owner's view of it. */
async function ownerAndAttached(t: TestContext, server: TestServer, link: (created: CreatedRoom) => string, name: string) {
  const created = await server.createRoom();
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken, name: 'lead' });
  t.after(() => owner.close());
  const attach = runAttach(t, [link(created), '--name', name]);
  await waitFor(() => owner.members.some((member) => member.name === name) && /· (owner|writer|watching) ·/.test(attach.output()), 'attached, and seen by the owner', ATTACH_TIMEOUT_MS);
  const member = (): MemberInfo => owner.members.find((candidate) => candidate.name === name)!;
  return { created, owner, attach, member };
}

test('made the owner by a hand-over, attach keeps being the owner after a network drop (it rejoins with its new token)', async (t) => {
  const server = await withServer(t, {});
  const connections = new Set<Socket>();
  server.app.httpServer.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  const { owner, attach, member } = await ownerAndAttached(t, server, (created) => created.writeUrl, 'successor');
  assert.equal(member().role, 'writer');
  const successor = member();
  owner.socket.emit('room:handover', { memberId: successor.id });
  await waitFor(() => attach.output().includes('you are the owner now'), 'attach was told', ATTACH_TIMEOUT_MS);

  const before = attach.output().length;
  for (const socket of connections) socket.destroy();
  await waitFor(() => attach.output().slice(before).includes('reconnecting'), 'attach lost the connection', ATTACH_TIMEOUT_MS);
  await waitFor(() => /· (owner|writer|watching) ·/.test(attach.output().slice(attach.output().lastIndexOf('reconnecting'))), 'attach is back', ATTACH_TIMEOUT_MS);
  const after = attach.output().slice(attach.output().lastIndexOf('reconnecting'));
  assert.match(after, /· owner ·/, 'back as the owner, not as the writer its link says');
  attach.write(DETACH);
  assert.equal(await attach.exited, 0);
});

test('a watcher raises its hand from the terminal with ~h (the owner sees it), lowers it again, and ~? lists the commands', async (t) => {
  const server = await withServer(t, {});
  const { attach, member: responder } = await ownerAndAttached(t, server, (created) => created.viewUrl, 'responder');

  attach.write('~h');
  await waitFor(() => responder().hand === true, 'the owner sees the hand up', ATTACH_TIMEOUT_MS);
  await waitFor(() => attach.output().includes('hand raised'), 'the watcher is told', ATTACH_TIMEOUT_MS);
  attach.write('~h');
  await waitFor(() => responder().hand === false, 'the hand is down again', ATTACH_TIMEOUT_MS);
  attach.write('~?');
  await waitFor(() => attach.output().includes('~h raise or lower your hand'), 'the commands are listed', ATTACH_TIMEOUT_MS);
  attach.write('~.');
  assert.equal(await attach.exited, 0);
});

test('the room\'s notices reach the status line: the keyboard given and taken back, the curtain down and up', async (t) => {
  const server = await withServer(t, {});
  const { created, owner, attach, member } = await ownerAndAttached(t, server, (room) => room.viewUrl, 'student');
  const student = member();
  const seen = (text: string): Promise<void> => waitFor(() => attach.output().includes(text), `the status line says "${text}"`, ATTACH_TIMEOUT_MS);

  owner.socket.emit('member:role', { memberId: student.id, role: 'writer' });
  await seen('you are a writer now: your keys reach the room');
  attach.write('echo FROM-THE-STUDENT-$((2+3))\r');
  await waitFor(async () => (await server.app.rooms.get(created.id)!.screenText()).includes('FROM-THE-STUDENT-5'), 'the student\'s keys reached the room', ATTACH_TIMEOUT_MS);
  owner.socket.emit('member:role', { memberId: student.id, role: 'viewer' });
  await seen('the keyboard was taken back: you are watching');
  owner.socket.emit('room:curtain', { down: true });
  await seen('the curtain is down: the owner is working privately');
  owner.socket.emit('room:curtain', { down: false, clear: false });
  await seen('the curtain is up');
  attach.write(DETACH);
  assert.equal(await attach.exited, 0);
});

test('keys typed before attach has joined are kept, and reach the room once it is known to be a writer', async (t) => {
  const server = await withServer(t, {});
  const created = await server.createRoom();
  const attach = runAttach(t, [created.writeUrl]);
  // At once: the terminal holds them until attach reads, which is before its join is answered.
  attach.write('echo EARLY-$((1+1))\r');
  await waitFor(async () => (await server.app.rooms.get(created.id)!.screenText()).includes('EARLY-2'), 'the early keys reached the shell', ATTACH_TIMEOUT_MS);
  attach.write(DETACH);
  assert.equal(await attach.exited, 0);
});
