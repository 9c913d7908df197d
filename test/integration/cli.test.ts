// The `ttyroom` command: prints its URL first, serves, honours TTYROOM_* variables, refuses bad options with status 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = fileURLToPath(new URL('../../bin/ttyroom.js', import.meta.url));

test('serve --port 0 prints the URL as its first line, answers /healthz, and exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--command', 'bash --noprofile --norc'], {
    env: { ...process.env, TTYROOM_DATA_DIR: fileURLToPath(new URL('../../.ttyroom/test-cli', import.meta.url)) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const firstLine = stdout.split('\n')[0]!;
        if (stdout.includes('\n')) {
          const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(firstLine);
          if (match) resolve(match[0]);
          else reject(new Error(`first line has no URL: ${firstLine}`));
        }
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    assert.notEqual(url, 'http://127.0.0.1:0');
    assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { ok: true });
    const created = await fetch(`${url}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(created.status, 201);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('bad options and bad TTYROOM_* values exit with status 2 and one clear line', () => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['serve', '--port', 'abc'], {}, /--port must be a whole number/],
    [['serve', '--no-such-option'], {}, /unknown option --no-such-option/],
    [['serve', '--host'], {}, /--host needs a value/],
    [['serve'], { TTYROOM_PORT: '70000' }, /TTYROOM_PORT must be a whole number/],
    [['frobnicate'], {}, /unknown command "frobnicate"/],
  ];
  for (const [args, env, message] of cases) {
    const result = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 2, `${args.join(' ')}: status 2`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line`);
    assert.match(lines[0]!, message);
  }
});

test('a bad --profiles file (or TTYROOM_PROFILES) stops serve with status 2 and one line naming the file and the field', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ttyroom-profiles-'));
  try {
    const bad = join(folder, 'bad.json');
    writeFileSync(bad, JSON.stringify({ profiles: [{ name: 'pod', type: 'exec', argv: ['kubectl', '{pod}'], params: { pod: { pattern: '(' } } }] }));
    const syntax = join(folder, 'syntax.json');
    writeFileSync(syntax, '{\n  "profiles": [,]\n}\n');
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [['serve', '--port', '0', '--profiles', bad], {}, /^ttyroom: --profiles .*bad\.json: profiles\[0\]\.params\.pod\.pattern: not a valid regular expression$/],
      [['serve', '--port', '0'], { TTYROOM_PROFILES: syntax }, /^ttyroom: --profiles .*syntax\.json: line 2, column 16: not valid JSON/],
      [['serve', '--port', '0', '--profiles', join(folder, 'missing.json')], {}, /--profiles .*missing\.json: cannot be read \(ENOENT\)/],
    ];
    for (const [args, env, message] of cases) {
      const result = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10_000 });
      assert.equal(result.status, 2, `${args.join(' ')}: status 2; stderr: ${result.stderr}`);
      assert.equal(result.stdout, '', 'no URL: the server never started');
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')}: one line`);
      assert.match(lines[0]!, message);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('--help lists every option with its environment variable', () => {
  const result = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(result.status, 0);
  for (const name of ['--host', '--port', '--command', '--data-dir', '--scrollback', 'TTYROOM_PORT', 'TTYROOM_COMMAND']) {
    assert.ok(result.stdout.includes(name), `help mentions ${name}`);
  }
});
