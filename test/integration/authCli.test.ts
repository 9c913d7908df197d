// Sign-in on the command line: the loopback rule for --auth none, option checks, and `ttyroom user add/remove`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from 'node-pty';
import { BIN } from '../helpers/serverProcess.js';
import { waitFor } from '../helpers/wait.js';
import { UsersFile } from '../../server/auth/usersFile.js';

function run(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 20_000,
  });
}

test('--auth none on a non-loopback address refuses to start (status 2, one line naming the opt-out)', () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
    const result = run(['serve', '--host', host, '--port', '0']);
    assert.equal(result.status, 2, `${host}: status 2`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${host}: one line`);
    assert.match(lines[0]!, /refusing to listen on .* without sign-in.*--allow-unauthenticated/);
    assert.equal(result.stdout, '', 'nothing was served');
  }
  const viaEnv = run(['serve', '--port', '0'], { env: { TTYROOM_HOST: '0.0.0.0', TTYROOM_AUTH: 'none' } });
  assert.equal(viaEnv.status, 2);
});

test('--allow-unauthenticated lets --auth none listen on every address', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-authcli-'));
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '0.0.0.0', '--port', '0', '--allow-unauthenticated', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    await waitFor(() => stdout.includes('\n') || child.exitCode !== null, 'the server line', 15_000);
    assert.match(stdout, /^ttyroom listening on http:\/\/0\.0\.0\.0:\d+\n/);
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('loopback addresses need no opt-out; --help says why the opt-out is dangerous', () => {
  const help = run(['serve', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--allow-unauthenticated .*DANGEROUS.*run commands/);
  assert.match(help.stdout, /--auth .*TTYROOM_AUTH/);
});

test('sign-in options that do not fit exit 2 with one line, and never repeat a secret', () => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['serve', '--auth', 'kerberos'], {}, /--auth .* must be one of none, basic, local, oidc/],
    [['serve', '--auth', 'basic'], {}, /--auth basic needs --credential/],
    [['serve', '--auth', 'basic'], { TTYROOM_CREDENTIAL: 'sekritnocolon' }, /must be user:password/],
    [['serve', '--credential', 'a:b'], {}, /only used with --auth basic/],
    [['serve', '--auth', 'oidc'], {}, /needs --oidc-issuer/],
    [['serve', '--auth', 'oidc', '--oidc-issuer', 'http://idp.example.com', '--oidc-client-id', 'x'], {}, /must be an https URL/],
    [['serve', '--auth', 'oidc', '--oidc-issuer', 'https://idp.example.com'], {}, /needs --oidc-client-id/],
    [['serve', '--auth', 'oidc', '--host', '0.0.0.0', '--oidc-issuer', 'https://idp.example.com', '--oidc-client-id', 'x'], {}, /needs --oidc-redirect-url/],
    [['serve', '--creators', 'local:alice'], {}, /needs sign-in/],
    [['serve', '--auth', 'local', '--creators', 'alice'], {}, /"alice" is not a user id/],
  ];
  for (const [args, env, message] of cases) {
    const result = run(args, { env });
    assert.equal(result.status, 2, `${args.join(' ')}: status 2 (${result.stderr})`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line`);
    assert.match(lines[0]!, message);
    assert.ok(!result.stderr.includes('sekrit'), 'the credential is not echoed');
  }
});

test('user add reads the password from stdin when piped, writes an argon2id hash to a 0600 file; remove takes the user out', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-users-'));
  try {
    const added = run(['user', 'add', 'alice', '--data-dir', dataDir], { input: 'correct horse\n' });
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stderr, /added alice/);
    const file = join(dataDir, 'users.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /"\$argon2id\$/);
    assert.ok(!text.includes('correct horse'));
    const users = new UsersFile(file);
    assert.equal(await users.verify('alice', 'correct horse'), true);
    assert.equal(await users.verify('alice', 'correct horse\n'), false, 'the line break is not part of it');

    const changed = run(['user', 'add', 'alice'], { env: { TTYROOM_USERS_FILE: file }, input: 'battery staple\n' });
    assert.equal(changed.status, 0);
    assert.match(changed.stderr, /changed the password of alice/);
    assert.equal(await users.verify('alice', 'battery staple'), true);

    const removed = run(['user', 'remove', 'alice', '--users-file', file]);
    assert.equal(removed.status, 0);
    assert.equal(users.has('alice'), false);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('user add/remove: clear errors and statuses, and nothing is changed', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-users-'));
  try {
    const cases: Array<[string[], string, number, RegExp]> = [
      [['user'], '', 2, /needs add or remove/],
      [['user', 'frob', 'alice'], '', 2, /unknown user command "frob"/],
      [['user', 'add'], '', 2, /needs a user name/],
      [['user', 'add', 'alice', 'hunter2'], '', 2, /takes no password argument/],
      [['user', 'add', 'al ice'], 'pw\n', 2, /not a valid user name/],
      [['user', 'add', 'alice'], '\n', 2, /password is empty/],
      [['user', 'add', 'alice'], '', 2, /password is empty/],
      [['user', 'remove', 'bob'], '', 1, /no user "bob"/],
      [['user', 'add', 'alice', '--bogus'], '', 2, /unknown option --bogus/],
    ];
    for (const [args, input, status, message] of cases) {
      const result = run([...args, '--data-dir', dataDir], { input });
      assert.equal(result.status, status, `${args.join(' ')}: status ${status} (${result.stderr})`);
      assert.equal(result.stderr.trim().split('\n').length, 1);
      assert.match(result.stderr, message);
      assert.ok(!result.stderr.includes('hunter2'));
    }
    assert.throws(() => statSync(join(dataDir, 'users.json')), /ENOENT/, 'no users file was written');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('user add on a terminal asks twice without echoing the password', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-users-'));
  const term = pty.spawn(process.execPath, [BIN, 'user', 'add', 'carol', '--data-dir', dataDir], { cols: 80, rows: 24, env: process.env as Record<string, string> });
  try {
    let screen = '';
    term.onData((data) => {
      screen += data;
    });
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    await waitFor(() => screen.includes('Password for carol: '), 'the first prompt', 15_000);
    term.write('s3cret-typed\r');
    await waitFor(() => screen.includes('Again: '), 'the second prompt', 15_000);
    term.write('s3cret-typed\r');
    assert.equal(await exited, 0, screen);
    assert.ok(!screen.includes('s3cret'), `the password was echoed: ${JSON.stringify(screen)}`);
    assert.equal(await new UsersFile(join(dataDir, 'users.json')).verify('carol', 's3cret-typed'), true);
  } finally {
    term.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
