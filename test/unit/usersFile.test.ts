// UsersFile: argon2id hashes in a 0600 JSON file, verify for known and unknown users, damaged files, live changes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PasswordHashing, UsersFile, UsersFileError, UsersFileLimits } from '../../server/auth/usersFile.js';

function withFile(run: (file: UsersFile, path: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttyroom-usersfile-'));
    try {
      await run(new UsersFile(join(dir, 'sub', 'users.json')), join(dir, 'sub', 'users.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('set writes an argon2id hash with our cost to a 0600 file; verify accepts only the right password', withFile(async (users, path) => {
  assert.equal(await users.set('alice', 'pass:word with spaces ü'), 'added');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const content = JSON.parse(readFileSync(path, 'utf8')) as { version: number; users: Record<string, { hash: string }> };
  assert.equal(content.version, 1);
  assert.match(content.users.alice!.hash, new RegExp(`^\\$argon2id\\$v=19\\$m=${PasswordHashing.MemoryCostKiB},p=${PasswordHashing.Parallelism},t=${PasswordHashing.TimeCost}\\$`));
  assert.equal(await users.verify('alice', 'pass:word with spaces ü'), true);
  for (const wrong of ['pass:word with spaces u', '', 'pass:word with spaces ü ', 'x'.repeat(UsersFileLimits.MaxPasswordLength + 1)]) {
    assert.equal(await users.verify('alice', wrong), false, JSON.stringify(wrong.slice(0, 30)));
  }
  assert.equal(await users.set('alice', 'new'), 'changed');
  assert.equal(await users.verify('alice', 'new'), true);
}));

test('an unknown or invalid user name is refused after checking a dummy hash (the same work as a known one)', withFile(async (users) => {
  await users.set('alice', 'secret');
  const internals = users as unknown as { dummyHash: Promise<string> | undefined };
  assert.equal(internals.dummyHash, undefined);
  assert.equal(await users.verify('bob', 'secret'), false);
  assert.match(await internals.dummyHash!, /^\$argon2id\$/, 'the unknown user cost a hash check');
  assert.equal(await users.verify('../alice', 'secret'), false);
  assert.equal(await users.verify('', 'secret'), false);
}));

test('bad names and passwords are refused with a clear error and nothing is written', withFile(async (users, path) => {
  await assert.rejects(users.set('al ice', 'x'), UsersFileError);
  await assert.rejects(users.set('a:b', 'x'), /not a valid user name/);
  await assert.rejects(users.set('alice', ''), /empty/);
  await assert.rejects(users.set('alice', 'x'.repeat(UsersFileLimits.MaxPasswordLength + 1)), /longer than/);
  assert.throws(() => statSync(path), /ENOENT/);
  assert.equal(users.remove('alice'), false);
}));

test('changes by another process are seen at the next read; a damaged file is an error, not an empty list', withFile(async (users, path) => {
  await users.set('alice', 'a');
  const other = new UsersFile(path);
  assert.equal(other.has('alice'), true);
  await users.set('bob', 'b');
  assert.equal(other.has('bob'), true, 'seen without restarting');
  assert.equal(users.remove('alice'), true);
  assert.equal(other.has('alice'), false);
  writeFileSync(path, '{ not json');
  assert.throws(() => other.read(), /not valid JSON/);
  assert.equal(await other.verify('bob', 'b'), false, 'nobody signs in with a damaged file');
  writeFileSync(path, JSON.stringify({ users: {} }));
  assert.throws(() => other.read(), /not a ttyroom users file/);
}));
