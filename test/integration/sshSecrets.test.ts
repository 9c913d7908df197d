// SSH credentials through the real command: a wrong password is an audited failure that leaves the secret nowhere (audit,
// stderr, any file of the data directory) but sealed in the credential file; bad SSH profiles stop the start with one line.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startServerProcess } from '../helpers/serverProcess.js';
import { startSshd, sshdMissing, type TestSshd } from '../helpers/sshd.js';
import { storedAuditEvents } from '../helpers/audit.js';
import { CredentialFiles, CredentialStore, loadServerKey } from '../../server/remote/credentials.js';

const skip = sshdMissing();
/** Random enough that finding it anywhere means it leaked, and printable so a text search finds it too. */
const PASSWORD = `wrong-pw-${Math.random().toString(36).slice(2)}-Zq`;

function folder(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeProfiles(dir: string, profiles: unknown[]): string {
  const file = join(dir, 'profiles.json');
  writeFileSync(file, JSON.stringify({ profiles }));
  return file;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name)).filter((path) => statSync(path).isFile());
}

async function post(url: string, body: unknown): Promise<{ status: number; body: { error?: { code: string; fingerprint?: string; message: string } } }> {
  const response = await fetch(`${url}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() as never };
}

async function serveOnce(t: TestContext, sshd: TestSshd, dataDir: string, profiles: string, env: NodeJS.ProcessEnv): Promise<{ stderr(): string; url: string; stop(): Promise<void> }> {
  const server = await startServerProcess(['serve', '--port', '0', '--data-dir', dataDir, '--profiles', profiles], env);
  t.after(() => server.stop());
  return {
    url: server.url,
    stderr: server.stderr,
    async stop() {
      server.child.kill('SIGTERM');
      await server.exited;
    },
  };
}

test('a wrong password is an audited failure; the password is nowhere but sealed in the credential file, which holds no plaintext', { skip }, async (t) => {
  const sshd = await startSshd();
  t.after(() => sshd.stop());
  const dir = folder(t, 'ttyroom-sshpw-');
  const dataDir = join(dir, 'data');
  const profiles = writeProfiles(dir, [{ name: 'web1', type: 'ssh', host: '127.0.0.1', port: sshd.port, user: sshd.user, password: { env: 'WEB1_PASSWORD' } }]);
  const server = await serveOnce(t, sshd, dataDir, profiles, { WEB1_PASSWORD: PASSWORD });

  const first = await post(server.url, { profile: 'web1' });
  assert.equal(first.status, 409);
  const refused = await post(server.url, { profile: 'web1', trustHostKey: first.body.error!.fingerprint });
  assert.equal(refused.status, 502, JSON.stringify(refused.body));
  assert.equal(refused.body.error!.code, 'ssh-auth-failed');
  assert.match(refused.body.error!.message, /tried password/);
  assert.doesNotMatch(JSON.stringify(refused.body), new RegExp(PASSWORD));
  await server.stop();

  const failures = storedAuditEvents(dataDir).filter((event) => event.event === 'ssh.login.failed');
  assert.equal(failures.length, 1);
  assert.match(String(failures[0]!.detail?.reason), /tried password/);
  assert.equal(failures[0]!.detail?.user, sshd.user);
  assert.doesNotMatch(JSON.stringify(storedAuditEvents(dataDir)), new RegExp(PASSWORD), 'not in the audit');
  assert.doesNotMatch(server.stderr(), new RegExp(PASSWORD), 'not in the server\'s stderr');
  assert.doesNotMatch(sshd.log(), new RegExp(PASSWORD), 'not in sshd\'s log either');
  const needle = Buffer.from(PASSWORD, 'utf8');
  for (const file of filesUnder(dataDir)) assert.equal(readFileSync(file).indexOf(needle), -1, `not in ${file}`);

  const sealed = join(dataDir, CredentialFiles.CredentialsFile);
  assert.equal(statSync(sealed).mode & 0o777, 0o600);
  assert.equal(statSync(join(dataDir, CredentialFiles.KeyFile)).mode & 0o777, 0o600);
  // The file does hold this password, sealed: the server key opens it.
  assert.equal(new CredentialStore(dataDir, loadServerKey(dataDir, undefined)).open('web1'), PASSWORD);

  // Without the variable the next start uses the sealed password: the same refusal, not a start-up error.
  const again = await serveOnce(t, sshd, dataDir, profiles, { WEB1_PASSWORD: undefined });
  const retried = await post(again.url, { profile: 'web1' });
  assert.equal(retried.status, 502, JSON.stringify(retried.body));
  await again.stop();
});

/** Runs `ttyroom serve` to its end (it must not start) and returns its exit status and stderr. */
function serveFails(args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stderr: run.stderr };
}

test('bad ssh profiles stop the server with status 2 and one line naming the profile and field', { skip }, async (t) => {
  const dir = folder(t, 'ttyroom-sshbad-');
  const dataDir = join(dir, 'data');
  const keyWithPassphrase = join(dir, 'locked_ed25519');
  spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', keyWithPassphrase]);
  const notAKey = join(dir, 'not-a-key');
  writeFileSync(notAKey, 'hello\n');
  const base = { name: 'web1', type: 'ssh', host: '127.0.0.1', user: 'deploy' };
  const cases: ReadonlyArray<[string, unknown, RegExp, NodeJS.ProcessEnv?]> = [
    ['a key file that does not exist', { ...base, identityFile: join(dir, 'missing') }, /profiles\[0\]\.identityFile: .*missing cannot be read \(ENOENT\)$/],
    ['a key with a passphrase', { ...base, identityFile: keyWithPassphrase }, /profiles\[0\]\.identityFile: .* is protected by a passphrase/],
    ['a file that is no key', { ...base, identityFile: notAKey }, /profiles\[0\]\.identityFile: .* is not a private key/],
    ['a password variable that is unset, nothing stored', { ...base, password: { env: 'NO_SUCH_PASSWORD_VARIABLE' } }, /profile "web1": password: variable NO_SUCH_PASSWORD_VARIABLE is not set and no password is stored for it yet$/],
    ['an empty password variable', { ...base, password: { env: 'EMPTY_PASSWORD' } }, /profiles\[0\]\.password: variable EMPTY_PASSWORD is empty$/, { EMPTY_PASSWORD: '' }],
    ['a password in the file', { ...base, password: 'hunter2' }, /profiles\[0\]\.password: is never written in the profiles file/],
    ['a bad server key', { ...base, password: { env: 'SOME_PASSWORD' } }, /TTYROOM_SECRET_KEY must be 32 bytes/, { SOME_PASSWORD: 'x', TTYROOM_SECRET_KEY: 'too-short' }],
  ];
  for (const [what, profile, expected, env] of cases) {
    const profiles = writeProfiles(dir, [profile]);
    const { status, stderr } = serveFails(['--data-dir', dataDir, '--profiles', profiles], env);
    assert.equal(status, 2, `${what}: ${stderr}`);
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${what}: one line: ${stderr}`);
    assert.match(lines[0]!, expected, what);
    assert.doesNotMatch(stderr, /hunter2/, `${what}: the line never repeats a password`);
  }
});
