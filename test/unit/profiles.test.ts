// Proves the profiles file is validated field by field (each mistake: one line naming the file and the field) and
// that an exec profile's argv is built only from values its rules accept, each inside one argv element.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { launchOf, parseProfilesFile, profileSummary, type ProfileDefinition } from '../../server/rooms/profiles.js';
import { ConfigError } from '../../server/util/configError.js';

const FILE = 'profiles.json';

function messageOf(source: string): string {
  try {
    parseProfilesFile(source, FILE);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`expected a ConfigError for ${source}`);
}

const exec = (extra: Record<string, unknown> = {}) => ({
  name: 'pod',
  type: 'exec',
  argv: ['kubectl', 'exec', '-it', '-n', '{namespace}', '{pod}', '--', 'sh'],
  params: { namespace: { pattern: '[a-z0-9-]{1,63}' }, pod: { pattern: '[a-z0-9.-]{1,253}' } },
  ...extra,
});
const file = (...profiles: unknown[]) => JSON.stringify({ profiles }, null, 2);
/** The contract's SSH example; a field given as undefined is left out. */
const ssh = (extra: Record<string, unknown> = {}) => ({
  name: 'web1', type: 'ssh', host: '10.0.0.5', port: 22, user: 'deploy', identityFile: '/etc/ttyroom/deploy_ed25519', hostKeyPolicy: 'ask', ...extra,
});

describe('parseProfilesFile', () => {
  test('reads the contract\'s shape: command as a line or an argv, exec with params', () => {
    const profiles = parseProfilesFile(file(
      { name: 'shell', type: 'command', command: 'bash -l', description: 'a login shell' },
      { name: 'top', type: 'command', argv: ['top', '-d', '1'] },
      exec(),
    ), FILE);
    assert.deepEqual(profiles.map((p) => [p.name, p.type]), [['shell', 'command'], ['top', 'command'], ['pod', 'exec']]);
    const shell = profiles[0]!;
    assert.ok(shell.type === 'command');
    assert.deepEqual([shell.file, ...shell.args], ['bash', '-l']);
  });

  test('reads the contract\'s ssh example; the port and policy have defaults; a password comes from a variable or a file', () => {
    const [web1, web2, web3] = parseProfilesFile(file(
      ssh(),
      ssh({ name: 'web2', port: undefined, hostKeyPolicy: undefined, identityFile: undefined, password: { env: 'WEB2_PASSWORD' } }),
      ssh({ name: 'web3', password: { file: '/run/secrets/web3' }, hostKeyPolicy: 'known-only' }),
    ), FILE);
    assert.deepEqual(web1, { type: 'ssh', name: 'web1', host: '10.0.0.5', port: 22, user: 'deploy', identityFile: '/etc/ttyroom/deploy_ed25519', hostKeyPolicy: 'ask' });
    assert.deepEqual(web2, { type: 'ssh', name: 'web2', host: '10.0.0.5', port: 22, user: 'deploy', password: { env: 'WEB2_PASSWORD' }, hostKeyPolicy: 'ask' });
    assert.ok(web3?.type === 'ssh' && web3.hostKeyPolicy === 'known-only' && 'file' in web3.password!);
    assert.deepEqual(profileSummary(web1!), { name: 'web1', type: 'ssh', params: [] }, 'no host, user, key file or password reaches a client');
  });

  const mistakes: ReadonlyArray<[string, string, RegExp]> = [
    ['a JSON syntax error', '{\n  "profiles": [\n    { "name": "x", }\n  ]\n}', /^--profiles profiles\.json: line 3, column 20: not valid JSON/],
    ['JSON that ends early', '{ "profiles": [', /line 1, column 16: not valid JSON \(the JSON ends too early\)/],
    ['no profiles array', '{}', /: profiles: must be an array/],
    ['an unknown top-level field', '{ "profiles": [], "extra": 1 }', /: extra: unknown field/],
    ['an unknown profile field', file({ name: 'a', type: 'command', command: 'sh', shell: true }), /: profiles\[0\]\.shell: unknown field/],
    ['an unknown param field', file(exec({ params: { namespace: { pattern: 'a', regex: 'b' }, pod: { pattern: 'b' } } })), /: profiles\[0\]\.params\.namespace\.regex: unknown field/],
    ['a duplicate name', file({ name: 'a', type: 'command', command: 'sh' }, { name: 'b', type: 'command', command: 'sh' }, { name: 'a', type: 'command', command: 'sh' }), /: profiles\[2\]\.name: "a" is already the name of profiles\[0\]/],
    ['the default name', file({ name: 'default', type: 'command', command: 'sh' }), /: profiles\[0\]\.name: "default" is the profile --command sets/],
    ['a bad name', file({ name: 'a b', type: 'command', command: 'sh' }), /: profiles\[0\]\.name: is letters, digits/],
    ['an invalid pattern', file({ name: 'a', type: 'command', command: 'sh' }, { name: 'b', type: 'command', command: 'sh' }, exec({ params: { namespace: { pattern: 'a' }, pod: { pattern: '[a-z' } } })), /^--profiles profiles\.json: profiles\[2\]\.params\.pod\.pattern: not a valid regular expression$/],
    ['a placeholder with no param', file(exec({ params: { namespace: { pattern: 'a' } } })), /: profiles\[0\]\.argv\[5\]: \{pod\} has no entry in params/],
    ['a param no placeholder uses', file(exec({ params: { namespace: { pattern: 'a' }, pod: { pattern: 'b' }, container: { pattern: 'c' } } })), /: profiles\[0\]\.params\.container: no \{placeholder\} in argv uses it/],
    ['a param with neither pattern nor values', file(exec({ params: { namespace: {}, pod: { pattern: 'b' } } })), /: profiles\[0\]\.params\.namespace: needs a pattern or values/],
    ['a program from a param', file(exec({ argv: ['{namespace}', '{pod}'] })), /: profiles\[0\]\.argv\[0\]: the program is the operator's to name/],
    ['a stray brace', file(exec({ argv: ['kubectl', '{namespace}', '{pod}', '{bad-name}'] })), /: profiles\[0\]\.argv\[3\]: a "\{" starts no \{param\} placeholder/],
    ['an allowlist entry starting with -', file(exec({ params: { namespace: { values: ['ok', '--privileged'] }, pod: { pattern: 'b' } } })), /: profiles\[0\]\.params\.namespace\.values\[1\]: must not start with "-"/],
    ['an unknown type', file({ name: 'a', type: 'docker' }), /: profiles\[0\]\.type: must be "command", "exec" or "ssh"/],
    ['an ssh profile without a host', file(ssh({ host: undefined })), /: profiles\[0\]\.host: must be a non-empty string/],
    ['an ssh host that is an option', file(ssh({ host: '-oProxyCommand=x' })), /: profiles\[0\]\.host: must be a host name or an IP address/],
    ['an ssh host with a space', file(ssh({ host: 'a b' })), /: profiles\[0\]\.host: must be a host name/],
    ['an ssh port out of range', file(ssh({ port: 70000 })), /: profiles\[0\]\.port: must be a whole number from 1 to 65535/],
    ['an ssh port as a string', file(ssh({ port: '22' })), /: profiles\[0\]\.port: must be a whole number/],
    ['an ssh profile without a user', file(ssh({ user: undefined })), /: profiles\[0\]\.user: must be a non-empty string/],
    ['an ssh user that is an option', file(ssh({ user: '-l' })), /: profiles\[0\]\.user: must be a user name/],
    ['an ssh profile with no credential', file(ssh({ identityFile: undefined })), /: profiles\[0\]: an ssh profile needs identityFile, password, or both/],
    ['a relative identityFile', file(ssh({ identityFile: 'keys/id' })), /: profiles\[0\]\.identityFile: must be an absolute path/],
    ['a password written into the file', file(ssh({ password: 'hunter2' })), /: profiles\[0\]\.password: is never written in the profiles file/],
    ['a password source with both env and file', file(ssh({ password: { env: 'A', file: '/b' } })), /: profiles\[0\]\.password: must be \{ "env"/],
    ['a password variable that is not a name', file(ssh({ password: { env: 'A B' } })), /: profiles\[0\]\.password\.env: must be an environment variable name/],
    ['an unknown hostKeyPolicy', file(ssh({ hostKeyPolicy: 'always' })), /: profiles\[0\]\.hostKeyPolicy: must be "ask" or "known-only"/],
    ['an unknown ssh field', file(ssh({ command: 'sh' })), /: profiles\[0\]\.command: unknown field/],
    ['command and argv both', file({ name: 'a', type: 'command', command: 'sh', argv: ['sh'] }), /: profiles\[0\]: a command profile has either command/],
    ['an unclosed quote', file({ name: 'a', type: 'command', command: 'sh -c \'x' }), /: profiles\[0\]\.command: has an unclosed ' quote/],
    ['an empty argv', file({ name: 'a', type: 'command', argv: [] }), /: profiles\[0\]\.argv: must be a non-empty array/],
    ['a non-string argv element', file({ name: 'a', type: 'command', argv: ['sh', 1] }), /: profiles\[0\]\.argv\[1\]: must be a string/],
  ];
  for (const [what, source, expected] of mistakes) {
    test(`${what}: one line naming the file and the field`, () => {
      const message = messageOf(source);
      assert.equal(message.split('\n').length, 1, message);
      assert.ok(message.startsWith(`--profiles ${FILE}: `), message);
      assert.match(message, expected);
    });
  }
});

describe('launchOf an exec profile', () => {
  const [profile] = parseProfilesFile(file(
    exec({ argv: ['kubectl', 'exec', '-n', '{namespace}', 'pod/{pod}', '--', 'sh'], params: { namespace: { values: ['dev', 'prod'], description: 'where' }, pod: { pattern: '^[a-z0-9.-]{1,253}$' } } }),
  ), FILE) as [ProfileDefinition];

  test('a valid value lands inside one argv element, never split', () => {
    assert.deepEqual(launchOf(profile, { namespace: 'dev', pod: 'web-1.a' }, undefined), {
      name: 'pod', file: 'kubectl', args: ['exec', '-n', 'dev', 'pod/web-1.a', '--', 'sh'],
    });
  });

  const refused: ReadonlyArray<[string, Record<string, string> | undefined, RegExp]> = [
    ['a shell word', { namespace: 'dev', pod: '; rm -rf /' }, /param "pod" does not match/],
    ['an option', { namespace: 'dev', pod: '--privileged' }, /param "pod" must not start with "-"/],
    ['a command substitution', { namespace: 'dev', pod: '$(id)' }, /param "pod" does not match/],
    ['a newline', { namespace: 'dev', pod: 'web\nid' }, /param "pod" must not hold control characters/],
    ['a partial match of the pattern', { namespace: 'dev', pod: 'web 1' }, /param "pod" does not match/],
    ['a value outside the allowlist', { namespace: 'kube-system', pod: 'web' }, /param "namespace" must be one of/],
    ['an empty value', { namespace: 'dev', pod: '' }, /param "pod" must not be empty/],
    ['an unknown param', { namespace: 'dev', pod: 'web', image: 'x' }, /unknown param "image"/],
    ['a missing param', { namespace: 'dev' }, /param "pod" is missing/],
    ['no params at all', undefined, /param "namespace" is missing/],
  ];
  for (const [what, params, expected] of refused) {
    test(`${what} is refused, naming the param`, () => {
      const launch = launchOf(profile, params, undefined);
      assert.equal(typeof launch, 'string', JSON.stringify(launch));
      assert.match(launch as string, expected);
    });
  }

  test('a pattern must match the whole value even when the operator did not anchor it', () => {
    const [loose] = parseProfilesFile(file(exec({ params: { namespace: { pattern: '[a-z]+' }, pod: { pattern: '[a-z]+' } } })), FILE) as [ProfileDefinition];
    assert.equal(typeof launchOf(loose, { namespace: 'dev', pod: 'web' }, undefined), 'object');
    assert.match(launchOf(loose, { namespace: 'dev', pod: 'web;id' }, undefined) as string, /param "pod" does not match/);
  });

  test('a command profile refuses any params; extra args go only to command profiles', () => {
    const command: ProfileDefinition = { type: 'command', name: 'shell', file: 'sh', args: ['-l'] };
    assert.match(launchOf(command, { x: 'y' }, undefined) as string, /takes no params/);
    assert.deepEqual(launchOf(command, {}, ['-c', 'id']), { name: 'shell', file: 'sh', args: ['-l', '-c', 'id'] });
    assert.match(launchOf(profile, { namespace: 'dev', pod: 'web' }, ['--privileged']) as string, /args are not accepted/);
  });

  test('the summary a client gets names params and allowlists, never the argv or a pattern', () => {
    const summary = profileSummary(profile);
    assert.deepEqual(summary, {
      name: 'pod', type: 'exec',
      params: [{ name: 'namespace', description: 'where', values: ['dev', 'prod'] }, { name: 'pod' }],
    });
    assert.doesNotMatch(JSON.stringify(summary), /kubectl|\^\[a-z/);
  });
});
