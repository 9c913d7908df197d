// The remote layer's pieces without a host: sealed passwords (AES-256-GCM, bound to their profile, key file 0600), the
// known-hosts store (unknown / trusted / changed), fingerprints in OpenSSH's form, and the far host's /proc readings.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { Aes, CredentialError, CredentialFiles, CredentialStore, loadServerKey } from '../../server/remote/credentials.js';
import { fingerprintOf, hostEntryName, KNOWN_HOSTS_FILE, KnownHosts } from '../../server/remote/knownHosts.js';
import { hostCpuPercent, parseHostStats } from '../../server/remote/hostTelemetry.js';

function folder(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ttyroom-remote-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('sealed passwords', () => {
  test('a password round-trips, the file holds no plaintext, and a fresh nonce makes each sealing differ', (t) => {
    const dir = folder(t);
    const store = new CredentialStore(dir, loadServerKey(dir, undefined));
    store.put('web1', 'correct horse battery staple');
    const first = readFileSync(store.file, 'utf8');
    assert.doesNotMatch(first, /correct horse|Y29ycmVjdCBob3Jz/, 'neither the text nor its base64');
    assert.equal(store.open('web1'), 'correct horse battery staple');
    store.put('web1', 'correct horse battery staple');
    assert.notEqual(readFileSync(store.file, 'utf8'), first);
    assert.equal(statSync(store.file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, CredentialFiles.KeyFile)).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, CredentialFiles.KeyFile)).length, Aes.KeyBytes);
  });

  test('another key, an entry moved to another profile, or an altered byte cannot be opened', (t) => {
    const dir = folder(t);
    const store = new CredentialStore(dir, loadServerKey(dir, undefined));
    store.put('web1', 'secret-1');
    assert.throws(() => new CredentialStore(dir, Buffer.alloc(Aes.KeyBytes, 7)).open('web1'), CredentialError);
    const contents = JSON.parse(readFileSync(store.file, 'utf8'));
    contents.entries.web2 = contents.entries.web1;
    writeFileSync(store.file, JSON.stringify(contents));
    assert.throws(() => store.open('web2'), /cannot be opened/, 'bound to its profile name');
    const data = Buffer.from(contents.entries.web1.data, 'base64');
    data[0] = data[0]! ^ 1;
    contents.entries.web1.data = data.toString('base64');
    writeFileSync(store.file, JSON.stringify(contents));
    assert.throws(() => store.open('web1'), /cannot be opened/);
  });

  test('the server key comes from TTYROOM_SECRET_KEY (hex or base64) without a key file; a key file others can read is refused', (t) => {
    const dir = folder(t);
    const hex = 'ab'.repeat(32);
    assert.deepEqual(loadServerKey(dir, hex), Buffer.from(hex, 'hex'));
    assert.deepEqual(loadServerKey(dir, Buffer.alloc(32, 3).toString('base64')), Buffer.alloc(32, 3));
    assert.throws(() => statSync(join(dir, CredentialFiles.KeyFile)), /ENOENT/);
    assert.throws(() => loadServerKey(dir, 'short'), /must be 32 bytes/);
    const key = loadServerKey(dir, undefined);
    assert.deepEqual(loadServerKey(dir, undefined), key, 'the same key on the next start');
    chmodSync(join(dir, CredentialFiles.KeyFile), 0o644);
    assert.throws(() => loadServerKey(dir, undefined), /readable by others/);
  });
});

describe('known hosts', () => {
  test('fingerprints are OpenSSH\'s SHA256 form: unpadded base64 of the key blob\'s SHA-256', () => {
    // The SHA-256 of the empty string: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= in padded base64.
    assert.equal(fingerprintOf(new Uint8Array()), 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU');
    assert.equal(hostEntryName('::1', 2222), '[::1]:2222');
  });

  test('unknown until added, trusted after, changed for another key of the same host and port; other ports are other hosts', (t) => {
    const dir = folder(t);
    const hosts = new KnownHosts(dir);
    const key = `SHA256:${'a'.repeat(43)}`;
    const other = `SHA256:${'b'.repeat(43)}`;
    assert.deepEqual(hosts.check('10.0.0.5', 22, key), { kind: 'unknown' });
    hosts.add('10.0.0.5', 22, key, 'test');
    assert.deepEqual(hosts.check('10.0.0.5', 22, key), { kind: 'trusted' });
    assert.deepEqual(hosts.check('10.0.0.5', 22, other), { kind: 'changed', expected: key });
    assert.deepEqual(hosts.check('10.0.0.5', 2222, key), { kind: 'unknown' });
    // A line the operator wrote by hand counts; comments and junk are ignored.
    writeFileSync(join(dir, KNOWN_HOSTS_FILE), `# by hand\nnot a line\n10.0.0.6:22 ${other}\n`, { flag: 'a' });
    assert.deepEqual(hosts.check('10.0.0.6', 22, other), { kind: 'trusted' });
  });
});

describe('far-host telemetry', () => {
  const reading = (user: number, idle: number, processes: number) => [
    `cpu  ${user} 0 100 ${idle} 10 0 0 0 0 0`,
    `cpu0 ${user / 2} 0 50 ${idle / 2} 5 0 0 0 0 0`,
    `cpu1 ${user / 2} 0 50 ${idle / 2} 5 0 0 0 0 0`,
    'intr 12345 0 0',
    'processes 98765',
    'procs_running 2',
    'MemTotal:        4000000 kB',
    'MemFree:          500000 kB',
    'MemAvailable:    3000000 kB',
    `processes ${processes}`,
    '',
  ].join('\n');

  test('memory in use is MemTotal − MemAvailable; the process count is ours, not /proc/stat\'s fork counter', () => {
    const counters = parseHostStats(reading(1000, 5000, 123))!;
    assert.equal(counters.memoryUsedBytes, 1_000_000 * 1024);
    assert.equal(counters.processes, 123);
    assert.equal(counters.cores, 2);
    assert.equal(counters.totalTicks, 1000 + 100 + 5000 + 10);
  });

  test('CPU is the busy share of the ticks between readings, times the cores (100 = one core busy)', () => {
    const before = parseHostStats(reading(1000, 5000, 10))!;
    const after = parseHostStats(reading(1200, 5200, 10))!;
    // 400 ticks passed, 200 of them idle: half of two cores = one core busy.
    assert.equal(hostCpuPercent(before, after), 100);
    assert.equal(hostCpuPercent(undefined, after), 0, 'the first reading is the baseline');
  });

  test('output that is not a Linux /proc gives no reading', () => {
    assert.equal(parseHostStats('sh: /proc/stat: No such file or directory\nprocesses 0\n'), undefined);
    assert.equal(parseHostStats(reading(1, 1, 1).replace(/^MemAvailable.*$/m, '')), undefined);
  });
});
