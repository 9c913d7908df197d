// Structured logs: JSON lines at the level asked for (--log-level, TTYROOM_LOG_LEVEL), a readable line for a person,
// and the audit's no-secrets rule (A8, I1): a token sent in a request, a header, a cookie, a query or a socket join
// never reaches a log line, and credential fields are redacted wherever they are logged.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureLogging, log, readableLine } from '../../server/util/logger.js';
import { parseConfig } from '../../server/config.js';
import { ConfigError } from '../../server/util/configError.js';
import { joinMember } from '../helpers/member.js';
import { startServer } from '../helpers/server.js';
import { startServerProcess, TEST_SHELL_LINE } from '../helpers/serverProcess.js';
import { waitFor } from '../helpers/wait.js';

function capture(level: 'trace' | 'debug' | 'info' | 'warn'): string[] {
  const lines: string[] = [];
  configureLogging({ level, format: 'json', write: (line) => lines.push(line) });
  return lines;
}

test('credential fields are redacted wherever a record holds them; the message and other fields stay', (t) => {
  t.after(() => configureLogging({}));
  const lines = capture('trace');
  const secret = 'SECRET-0123456789abcdef';
  log.info({
    token: secret,
    room: 'r1',
    request: { token: secret, ownerToken: secret, password: secret },
    headers: { authorization: `Bearer ${secret}`, cookie: `sid=${secret}` },
    req: { headers: { authorization: `Bearer ${secret}` } },
  }, 'a record with secrets in its fields');
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes(secret), lines[0]);
  const record = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(record.msg, 'a record with secrets in its fields');
  assert.equal(record.room, 'r1');
  assert.equal(record.token, '[redacted]');
  assert.deepEqual(record.headers, { authorization: '[redacted]', cookie: '[redacted]' });
});

test('a token sent to the server in a bearer header, a cookie, a query string or a socket join reaches no log line, even at trace', async (t) => {
  t.after(() => configureLogging({}));
  const lines = capture('trace');
  const server = await startServer({ metrics: { token: 'metrics-token-0123456789abcdef' } });
  try {
    const room = await server.createRoom();
    const guessed = 'GUESSED-TOKEN-0123456789';
    const secrets = [room.ownerToken, room.writeToken, guessed, 'metrics-token-0123456789abcdef', 'WRONG-METRICS-TOKEN-0123'];
    const headers = (token: string) => ({ Authorization: `Bearer ${token}`, Cookie: `connect.sid=${token}; token=${token}` });
    await fetch(`${server.url}/api/rooms/${room.id}/screen?token=${room.ownerToken}`, { headers: headers(room.ownerToken) });
    await fetch(`${server.url}/api/rooms/${room.id}?token=${guessed}`, { headers: headers(guessed) });
    await fetch(`${server.url}/api/rooms/${room.id}/audit`, { headers: headers(room.writeToken) });
    await fetch(`${server.url}/metrics?token=${guessed}`, { headers: headers('WRONG-METRICS-TOKEN-0123') });
    await fetch(`${server.url}/metrics`, { headers: headers('metrics-token-0123456789abcdef') });
    const member = await joinMember(server.url, room.id, { token: room.writeToken, io: { auth: { token: room.writeToken }, query: { token: room.writeToken } } });
    member.close();
    // The requests were logged (so the check below could fail), by path and status only.
    await waitFor(() => lines.some((line) => line.includes(`"msg":"GET /api/rooms/${room.id}/screen 200`)), `the request lines in ${lines.join("")}`);
    assert.ok(lines.some((line) => line.includes('"msg":"GET /metrics 401')), lines.join(''));
    for (const secret of secrets) {
      const leaked = lines.filter((line) => line.includes(secret));
      assert.deepEqual(leaked, [], `a log line holds ${secret}`);
    }
  } finally {
    await server.close();
  }
});

test('the log level: below it nothing is written, at it and above everything is', (t) => {
  t.after(() => configureLogging({}));
  const lines = capture('warn');
  log.debug({}, 'debug line');
  log.info({}, 'info line');
  log.warn({}, 'warn line');
  log.error({}, 'error line');
  assert.deepEqual(lines.map((line) => (JSON.parse(line) as { msg: string }).msg), ['warn line', 'error line']);
});

test('--log-level and TTYROOM_LOG_LEVEL are read and checked', () => {
  assert.equal(parseConfig(['--log-level', 'debug'], {}).config.logLevel, 'debug');
  assert.equal(parseConfig([], { TTYROOM_LOG_LEVEL: 'error' }).config.logLevel, 'error');
  assert.equal(parseConfig(['--log-level', 'warn'], { TTYROOM_LOG_LEVEL: 'error' }).config.logLevel, 'warn', 'the command line wins');
  assert.equal(parseConfig([], {}).config.logLevel, undefined, 'the default (info) when not set');
  assert.throws(() => parseConfig(['--log-level', 'loud'], {}), ConfigError);
  assert.throws(() => parseConfig(['--metrics-token', 'short'], {}), (error: Error) => error instanceof ConfigError && !error.message.includes('short'));
  assert.throws(() => parseConfig(['--metrics-allow', '10.0.0.0/99'], {}), ConfigError);
  assert.deepEqual(parseConfig(['--metrics-allow', 'loopback, 10.1.0.0/16'], {}).config.metrics, { allow: ['loopback', '10.1.0.0/16'] });
});

test('a log record read by a person: "ttyroom: message", warnings and errors say so, anything else unchanged', () => {
  assert.equal(readableLine('{"level":30,"time":"x","pid":1,"msg":"SIGTERM received, closing rooms"}'), 'ttyroom: SIGTERM received, closing rooms');
  assert.equal(readableLine('{"level":40,"msg":"mirror worker 0 stopped"}'), 'ttyroom: warning: mirror worker 0 stopped');
  assert.equal(readableLine('{"level":50,"msg":"cannot write"}'), 'ttyroom: error: cannot write');
  assert.equal(readableLine('ttyroom: a plain line'), 'ttyroom: a plain line');
  assert.equal(readableLine('{"no":"msg"}'), '{"no":"msg"}');
});

test('the server process writes JSON lines on stderr at --log-level (a request at debug), and none below it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-log-'));
  try {
    for (const [args, env, expectRequest] of [
      [['--log-level', 'debug'], {}, true],
      [[], { TTYROOM_LOG_LEVEL: 'warn' }, false],
      [[], {}, false],
    ] as const) {
      const server = await startServerProcess(['serve', '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE, ...args], env);
      try {
        assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
        server.child.kill('SIGTERM');
        await server.exited;
        const records = server.stderr().trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string });
        assert.equal(records.some((record) => record.msg.startsWith('GET /healthz 200')), expectRequest, `${args.join(' ')} ${JSON.stringify(env)}: ${server.stderr()}`);
        // The shutdown's own line is at info: there at debug and by default, not at warn.
        assert.equal(records.some((record) => record.msg === 'SIGTERM received, closing rooms' && record.level === 30), env.TTYROOM_LOG_LEVEL !== 'warn', server.stderr());
      } finally {
        server.stop();
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
