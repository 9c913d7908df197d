// SSH profiles against a real OpenSSH server on a loopback port: host-key trust (unknown, confirmed, known-only,
// changed), the room over the connection (TERM, size, resize, late join), the login audit, an auth failure that leaks
// no secret, a host that dies or freezes, and the far host's telemetry.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseProfilesFile } from '../../server/rooms/profiles.js';
import { KNOWN_HOSTS_FILE } from '../../server/remote/knownHosts.js';
import type { ServerConfig } from '../../server/config.js';
import type { AppOptions } from '../../server/app.js';
import { TelemetryPacing } from '../../server/rooms/roomTelemetry.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startSshd, sshdMissing, type TestSshd } from '../helpers/sshd.js';
import { api } from '../helpers/api.js';
import { joinMember, type Member } from '../helpers/member.js';
import { diffTerminals } from '../helpers/screens.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { ManualClock } from '../helpers/manualClock.js';
import { waitFor } from '../helpers/wait.js';

const skip = sshdMissing();

async function withSshd(t: TestContext): Promise<TestSshd> {
  const sshd = await startSshd();
  t.after(() => sshd.stop());
  return sshd;
}

/** A ttyroom server whose profile `web1` opens a shell on `sshd` as the test user with its key. */
async function sshServer(
  t: TestContext,
  sshd: TestSshd,
  profile: Record<string, unknown> = {},
  overrides: Partial<ServerConfig> = {},
  options: Omit<AppOptions, 'env'> = {},
): Promise<{ server: TestServer; audit: MemoryAuditLog }> {
  const source = JSON.stringify({
    profiles: [{ name: 'web1', type: 'ssh', host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, ...profile }],
  });
  const audit = new MemoryAuditLog();
  const server = await startServer({ profiles: parseProfilesFile(source, 'test.json'), ...overrides }, process.env, { audit, ...options });
  t.after(() => server.close());
  return { server, audit };
}

/** Creates a room of web1, confirming the host key the first answer names; returns the created room. */
async function trustAndCreate(server: TestServer, body: Record<string, unknown> = {}): Promise<{ id: string; ownerToken: string }> {
  const first = await api(server, 'POST', '/api/rooms', { body: { profile: 'web1', ...body } });
  assert.equal(first.status, 409, first.text);
  const made = await api(server, 'POST', '/api/rooms', { body: { profile: 'web1', trustHostKey: first.body.error.fingerprint, ...body } });
  assert.equal(made.status, 201, made.text);
  return made.body;
}

/** Types `command` and waits until the member's screen shows `expected` (computed by the shell, so not the echo). */
async function run(member: Member, command: string, expected: string): Promise<void> {
  member.socket.emit('term:input', `${command}\r`);
  await waitFor(() => member.outputText().includes(expected), `"${expected}" on the screen`, 15_000);
}

test('an unknown host key stops creation with host-untrusted and its SHA256 fingerprint; nothing is connected or stored', { skip }, async (t) => {
  const sshd = await withSshd(t);
  const { server, audit } = await sshServer(t, sshd);
  const answer = await api(server, 'POST', '/api/rooms', { body: { profile: 'web1' } });
  assert.equal(answer.status, 409, answer.text);
  assert.equal(answer.body.error.code, 'host-untrusted');
  assert.equal(answer.body.error.fingerprint, sshd.fingerprint(), 'the fingerprint ssh-keygen -lf prints for the host key');
  assert.equal(server.app.rooms.size, 0);
  assert.throws(() => statSync(join(server.dataDir, KNOWN_HOSTS_FILE)), /ENOENT/, 'nothing was trusted');
  assert.equal(audit.of('ssh.hostkey.untrusted').length, 1);
  assert.equal(audit.of('ssh.login.succeeded').length, 0);

  const wrong = await api(server, 'POST', '/api/rooms', { body: { profile: 'web1', trustHostKey: `SHA256:${'A'.repeat(43)}` } });
  assert.equal(wrong.status, 409, 'confirming another fingerprint trusts nothing');
  assert.equal(wrong.body.error.fingerprint, sshd.fingerprint());
  assert.equal(server.app.rooms.size, 0);
});

test('a confirmed host key is stored; the room runs the remote shell with TERM and size, follows resizes, a late joiner gets the exact screen, and the login is audited', { skip }, async (t) => {
  const sshd = await withSshd(t);
  const { server, audit } = await sshServer(t, sshd);
  const created = await trustAndCreate(server, { cols: 100, rows: 30 });
  assert.match(readFileSync(join(server.dataDir, KNOWN_HOSTS_FILE), 'utf8'), new RegExp(`^127\\.0\\.0\\.1:${sshd.port} ${sshd.fingerprint().replace(/[+/]/g, '\\$&')} `, 'm'));
  assert.equal(audit.of('ssh.hostkey.trusted').length, 1);
  const login = audit.of('ssh.login.succeeded');
  assert.equal(login.length, 1);
  assert.equal(login[0]!.room, created.id);
  assert.equal(login[0]!.detail?.method, 'publickey');
  assert.equal(login[0]!.detail?.fingerprint, sshd.fingerprint());

  const room = server.app.rooms.get(created.id)!;
  assert.equal(room.pid, undefined, 'no local process');
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
  t.after(() => owner.close());
  await run(owner, 'echo "T=$TERM S=$(stty size)"', 'T=xterm-256color S=30 100');
  owner.socket.emit('term:resize', { cols: 90, rows: 20 });
  await waitFor(() => room.cols === 90, 'the room to take the new size');
  await run(owner, 'echo "R=$(stty size)"', 'R=20 90');
  // Colours, scrolling and an unfinished line: a late joiner must get all of it exactly.
  await run(owner, "printf '\\033[1;31mred\\033[0m\\n'; seq 1 60; printf 'DONE-%s' $((6*7))", 'DONE-42');

  const late = await joinMember(server.url, created.id, { name: 'late' });
  t.after(() => late.close());
  await waitFor(() => late.expectedOffset() === room.streamOffset && owner.expectedOffset() === room.streamOffset, 'both members at the end of the stream');
  await Promise.all([owner.settled(), late.settled()]);
  assert.deepEqual(late.violations, []);
  assert.deepEqual(diffTerminals(await room.mirrorScreen(), late.terminal), [], 'the late joiner sees the mirror\'s screen');

  const closed = await api(server, 'DELETE', `/api/rooms/${created.id}`, { token: created.ownerToken });
  assert.equal(closed.status, 204);
  await waitFor(() => audit.of('ssh.session.ended').length === 1, 'the session end in the audit');
  const ended = audit.of('ssh.session.ended')[0]!;
  assert.equal(ended.room, created.id);
  assert.equal(ended.detail?.reason, 'closed');
  assert.equal(ended.detail?.commands, 3, 'three lines were entered');
  // The close returns once the exit was sent; it reaches the member a little later.
  await waitFor(() => owner.exits.length > 0, 'term:exit at the owner');
  assert.equal(owner.exits.at(-1)?.reason, 'closed');
});

test('under hostKeyPolicy known-only the API never trusts a key; a line in the known-hosts file does', { skip }, async (t) => {
  const sshd = await withSshd(t);
  const { server } = await sshServer(t, sshd, { hostKeyPolicy: 'known-only' });
  const answer = await api(server, 'POST', '/api/rooms', { body: { profile: 'web1', trustHostKey: sshd.fingerprint() } });
  assert.equal(answer.status, 409, answer.text);
  assert.equal(answer.body.error.code, 'host-untrusted');
  assert.match(answer.body.error.message, /only known keys/);
  assert.equal(server.app.rooms.size, 0);
  assert.throws(() => statSync(join(server.dataDir, KNOWN_HOSTS_FILE)), /ENOENT/);

  // What the operator does instead (README.md, Profiles): add the line by hand.
  const { appendFileSync } = await import('node:fs');
  appendFileSync(join(server.dataDir, KNOWN_HOSTS_FILE), `# web1, checked with the host's admin\n127.0.0.1:${sshd.port} ${sshd.fingerprint()}\n`);
  const made = await api(server, 'POST', '/api/rooms', { body: { profile: 'web1' } });
  assert.equal(made.status, 201, made.text);
});

test('a changed host key is refused with both fingerprints, audited and announced, and cannot be trusted through the API', { skip }, async (t) => {
  const sshd = await withSshd(t);
  const { server, audit } = await sshServer(t, sshd);
  const first = await trustAndCreate(server);
  const before = sshd.fingerprint();
  await api(server, 'DELETE', `/api/rooms/${first.id}`, { token: first.ownerToken });

  await sshd.restartWithNewHostKey();
  const after = sshd.fingerprint();
  assert.notEqual(after, before);
  const answer = await api(server, 'POST', '/api/rooms', { body: { profile: 'web1' } });
  assert.equal(answer.status, 409, answer.text);
  assert.equal(answer.body.error.code, 'host-key-changed');
  assert.equal(answer.body.error.expected, before);
  assert.equal(answer.body.error.fingerprint, after);
  const again = await api(server, 'POST', '/api/rooms', { body: { profile: 'web1', trustHostKey: after } });
  assert.equal(again.status, 409, 'confirming the new key through the API changes nothing');
  assert.equal(again.body.error.code, 'host-key-changed');
  assert.equal(server.app.rooms.list().filter((room) => !room.exited).length, 0);
  const changed = audit.of('ssh.hostkey.changed');
  assert.equal(changed.length, 2);
  assert.equal(changed[0]!.detail?.expected, before);
  assert.equal(changed[0]!.detail?.fingerprint, after);
  assert.doesNotMatch(readFileSync(join(server.dataDir, KNOWN_HOSTS_FILE), 'utf8'), new RegExp(after.replace(/[+/]/g, '\\$&')));
});

test('killing sshd and the session\'s processes ends the room with a reason members see', { skip }, async (t) => {
  const sshd = await withSshd(t);
  const { server, audit } = await sshServer(t, sshd);
  const created = await trustAndCreate(server);
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
  t.after(() => owner.close());
  await run(owner, 'echo UP-$((1+1))', 'UP-2');
  sshd.killAll();
  await waitFor(() => owner.exits.length === 1, 'term:exit for the member', 15_000);
  assert.equal(owner.exits[0]!.reason, 'connection-closed');
  assert.equal(server.app.rooms.get(created.id)!.exited?.reason, 'connection-closed');
  await waitFor(() => audit.of('ssh.session.ended').length === 1, 'the session end in the audit');
  assert.equal(audit.of('ssh.session.ended')[0]!.detail?.reason, 'connection-closed');
  assert.equal(audit.of('room.closed').at(-1)?.detail?.reason, 'connection-closed');
});

test('a host that stops answering is noticed by keepalive@openssh.com and the room ends as host-gone', { skip }, async (t) => {
  const sshd = await withSshd(t);
  const { server } = await sshServer(t, sshd, {}, {}, { sshTiming: { KeepaliveIntervalMs: 200, KeepaliveCountMax: 2 } });
  const created = await trustAndCreate(server);
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
  t.after(() => owner.close());
  await run(owner, 'echo UP-$((2+2))', 'UP-4');
  // Frozen, not killed: the TCP connection stays open and only unanswered keepalives tell.
  sshd.freezeAll();
  await waitFor(() => owner.exits.length === 1, 'term:exit for the member', 15_000);
  assert.equal(owner.exits[0]!.reason, 'host-gone');
});

test('the far host\'s CPU, memory and process count reach members as room:telemetry, read over the same connection', { skip }, async (t) => {
  const sshd = await withSshd(t);
  const clock = new ManualClock();
  const { server } = await sshServer(t, sshd, {}, {}, { clock });
  const created = await trustAndCreate(server);
  const owner = await joinMember(server.url, created.id, { token: created.ownerToken });
  t.after(() => owner.close());
  // The clock is the test's: it is moved for the member's join as for the sampling.
  await waitFor(async () => {
    clock.advance(TelemetryPacing.IntervalMs);
    await owner.barrier();
    return owner.of('room:telemetry').length > 0;
  }, 'a telemetry sample', 30_000, 50);
  const sample = owner.of('room:telemetry').at(-1)!;
  assert.ok(sample.processes > 1, `processes: ${sample.processes}`);
  assert.ok(sample.memoryBytes > 0, `memory: ${sample.memoryBytes}`);
  assert.ok(sample.cpuPercent >= 0);
});

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name)).filter((path) => statSync(path).isFile());
}

export { filesUnder };
