// Proves a room's shell gets an allowlisted environment: TERM, HOME, USER, SHELL, PATH, LANG and LC_* only, never the server's secrets.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { childEnvironment } from '../../server/terminal/ptySession.js';

/** What a server process might plausibly run with: the allowed variables plus secrets and loader hooks. */
const SERVER_ENV: NodeJS.ProcessEnv = {
  HOME: '/home/ada',
  USER: 'ada',
  SHELL: '/bin/bash',
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'en_GB.UTF-8',
  LC_ALL: 'en_GB.UTF-8',
  LC_CTYPE: 'de_DE.UTF-8',
  TERM: 'dumb',
  TTYROOM_SECRET: 'ttyroom-secret-value',
  TTYROOM_PORT: '7681',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  GITHUB_TOKEN: 'ghp_example',
  NODE_OPTIONS: '--require /tmp/evil.js',
  LD_PRELOAD: '/tmp/evil.so',
  LD_LIBRARY_PATH: '/tmp',
  SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
  DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus',
  COLORTERM: 'truecolor',
};

const DROPPED = [
  'TTYROOM_SECRET',
  'TTYROOM_PORT',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'GITHUB_TOKEN',
  'NODE_OPTIONS',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'SSH_AUTH_SOCK',
  'DBUS_SESSION_BUS_ADDRESS',
  'COLORTERM',
] as const;

describe('childEnvironment', () => {
  test('passes exactly the allowlisted variables, with TERM set to xterm-256color', () => {
    assert.deepEqual(childEnvironment(SERVER_ENV), {
      TERM: 'xterm-256color',
      HOME: '/home/ada',
      USER: 'ada',
      SHELL: '/bin/bash',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_GB.UTF-8',
      LC_ALL: 'en_GB.UTF-8',
      LC_CTYPE: 'de_DE.UTF-8',
    });
  });

  for (const name of DROPPED) {
    test(`${name} is dropped`, () => {
      const env = childEnvironment(SERVER_ENV);
      assert.equal(Object.hasOwn(env, name), false, `${name} leaked into the child environment`);
    });
  }

  test('no secret value appears anywhere in the child environment', () => {
    const values = Object.values(childEnvironment(SERVER_ENV));
    for (const name of DROPPED) {
      assert.equal(values.includes(SERVER_ENV[name]!), false, `the value of ${name} leaked`);
    }
  });

  test('TERM from the server is replaced, and TERM is set even when the source has none', () => {
    assert.equal(childEnvironment({ TERM: 'vt100' }).TERM, 'xterm-256color');
    assert.equal(childEnvironment({}).TERM, 'xterm-256color');
  });

  test("LANG defaults to 'C.UTF-8' when unset", () => {
    assert.equal(childEnvironment({ PATH: '/bin' }).LANG, 'C.UTF-8');
  });

  test('an empty source yields only TERM and the LANG fallback', () => {
    assert.deepEqual(childEnvironment({}), { TERM: 'xterm-256color', LANG: 'C.UTF-8' });
  });

  test('a set LANG is kept, not overridden by the fallback', () => {
    assert.equal(childEnvironment({ LANG: 'ja_JP.UTF-8' }).LANG, 'ja_JP.UTF-8');
  });

  test('variables that merely resemble allowed names are dropped', () => {
    const env = childEnvironment({ HOMEDIR: '/x', PATH_EXTRA: '/x', lc_all: 'C', XLC_FOO: 'x', LANGUAGE: 'de', MY_LANG: 'x' });
    assert.deepEqual(env, { TERM: 'xterm-256color', LANG: 'C.UTF-8' });
  });

  test('undefined entries are not copied as the string "undefined"', () => {
    const env = childEnvironment({ HOME: undefined, LC_TIME: undefined });
    assert.deepEqual(env, { TERM: 'xterm-256color', LANG: 'C.UTF-8' });
  });

  test('the source object is not modified', () => {
    const source: NodeJS.ProcessEnv = { PATH: '/bin', TERM: 'dumb' };
    childEnvironment(source);
    assert.deepEqual(source, { PATH: '/bin', TERM: 'dumb' });
  });
});
