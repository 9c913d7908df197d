// Sign-in building blocks: the loopback rule, option checks, Basic header parsing, token shape, return paths.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAuthConfig, isLoopbackHost } from '../../server/auth/authMode.js';
import { credentialMatches, parseBasicHeader } from '../../server/auth/basicAuth.js';
import { safeReturnPath } from '../../server/auth/passportSetup.js';
import { isWellFormedToken } from '../../server/auth/capabilities.js';
import { parseConfig } from '../../server/config.js';
import { ConfigError } from '../../server/util/configError.js';

test('loopback hosts: 127.0.0.0/8, ::1 and localhost; nothing else', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'localhost.example.com', 'example.com', '::ffff:10.0.0.1', '']) assert.equal(isLoopbackHost(host), false, host);
});

test('parseConfig: --auth none needs loopback or --allow-unauthenticated; sign-in modes may listen anywhere', () => {
  assert.throws(() => parseConfig(['--host', '0.0.0.0'], {}), (error: Error) => error instanceof ConfigError && /--allow-unauthenticated/.test(error.message));
  assert.equal(parseConfig(['--host', '0.0.0.0', '--allow-unauthenticated'], {}).config.auth.mode, 'none');
  assert.equal(parseConfig(['--host', '::1'], {}).config.auth.mode, 'none');
  const basic = parseConfig(['--host', '0.0.0.0', '--auth', 'basic'], { TTYROOM_CREDENTIAL: 'ops:a:b:c' }).config.auth;
  assert.deepEqual(basic.credential, { user: 'ops', password: 'a:b:c' });
  const local = parseConfig(['--auth', 'local', '--data-dir', '/srv/tty', '--creators', 'local:alice, local:bob'], {}, '/').config.auth;
  assert.equal(local.usersFile, '/srv/tty/users.json');
  assert.deepEqual(local.creators, ['local:alice', 'local:bob']);
  assert.equal(parseConfig(['--help', '--host', '0.0.0.0'], {}).help, true, '--help answers anyway');
});

test('buildAuthConfig: an http issuer only on loopback; a secret never appears in a message', () => {
  const ok = buildAuthConfig({ auth: 'oidc', allowUnauthenticated: false, oidcIssuer: 'http://127.0.0.1:9000', oidcClientId: 'c', oidcClientSecret: 's3cr3t' }, '127.0.0.1', '/x');
  assert.equal(typeof ok, 'object');
  assert.match(String(buildAuthConfig({ auth: 'oidc', allowUnauthenticated: false, oidcIssuer: 'http://10.0.0.1', oidcClientId: 'c' }, '127.0.0.1', '/x')), /https/);
  const message = String(buildAuthConfig({ auth: 'basic', allowUnauthenticated: false, credential: 'nocolons3cr3t' }, '127.0.0.1', '/x'));
  assert.ok(!message.includes('s3cr3t'));
});

test('Basic headers: well formed, another scheme, or malformed', () => {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  assert.deepEqual(parseBasicHeader(`Basic ${b64('alice:pa:ss')}`), { user: 'alice', password: 'pa:ss' });
  assert.deepEqual(parseBasicHeader(`basic ${b64('ü:ö')}`), { user: 'ü', password: 'ö' });
  for (const other of [undefined, 'Bearer abc', 'Digest x', '']) assert.equal(parseBasicHeader(other), undefined, String(other));
  for (const bad of ['Basic', 'Basic ', 'Basic !!!', `Basic ${b64('nocolon')}`, `Basic ${b64(':nouser')}`, `Basic ${b64('nopass:')}`, `Basic ${b64(`a:${'x'.repeat(3000)}`)}`]) {
    assert.equal(parseBasicHeader(bad), 'malformed', bad.slice(0, 30));
  }
  assert.equal(credentialMatches({ user: 'a', password: 'b' }, { user: 'a', password: 'b' }), true);
  assert.equal(credentialMatches({ user: 'a', password: 'c' }, { user: 'a', password: 'b' }), false);
  assert.equal(credentialMatches({ user: 'x', password: 'b' }, { user: 'a', password: 'b' }), false);
});

test('token shape and return paths', () => {
  assert.equal(isWellFormedToken('A'.repeat(43)), true);
  for (const bad of [123, null, undefined, {}, 'short', 'A'.repeat(129), `${'A'.repeat(40)}+/=`, `${'A'.repeat(40)} x`]) assert.equal(isWellFormedToken(bad), false, String(bad));
  assert.equal(safeReturnPath('/r/abc?x=1'), '/r/abc?x=1');
  for (const bad of ['//evil.example', '/\\evil', 'https://evil.example', 'r/abc', '/r/\nabc', undefined, ['/'], '/'.repeat(3000)]) assert.equal(safeReturnPath(bad), '/', String(bad));
});
