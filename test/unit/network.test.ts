// Origin normalization, Host parsing, default origins, --trust-proxy parsing and the client address walk,
// the per-address connection limiter (burst, refill, /64 keys, bounded table) and the refusal tally.

import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { linkOrigin, normalizeOrigin, OriginPolicy, parseHostHeader, parseOriginList, servedOrigins } from '../../server/http/originPolicy.js';
import { networkInterfaces } from 'node:os';
import { ClientAddress, parseTrustProxy, plainAddress } from '../../server/net/clientAddress.js';
import { ConnectionLimiter, ConnectionLimits, limitKey } from '../../server/http/connectionLimiter.js';
import { RefusalTally } from '../../server/audit/refusalTally.js';
import { Auditor } from '../../server/audit/auditLog.js';
import { ManualClock } from '../helpers/manualClock.js';
import { MemoryAuditLog } from '../helpers/audit.js';

describe('normalizeOrigin', () => {
  const cases: ReadonlyArray<[string, string | undefined]> = [
    ['http://localhost:7681', 'http://localhost:7681'],
    ['HTTP://LocalHost:7681', 'http://localhost:7681'],
    ['http://localhost:80', 'http://localhost'],
    ['https://example.com:443', 'https://example.com'],
    ['https://example.com/', 'https://example.com'],
    ['http://[::1]:7681', 'http://[::1]:7681'],
    ['http://localhost:7681/path', undefined],
    ['http://localhost:7681?x', undefined],
    ['http://localhost:7681#x', undefined],
    ['http://user@localhost:7681', undefined],
    ['ws://localhost:7681', undefined],
    ['file:///etc/passwd', undefined],
    ['null', undefined],
    ['*', undefined],
    ['*.example.com', undefined],
    ['http://*.example.com', undefined],
    ['localhost:7681', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of cases) test(JSON.stringify(input), () => assert.equal(normalizeOrigin(input), expected));
});

test('parseOriginList: normalized, deduplicated; any bad entry is named', () => {
  assert.deepEqual(parseOriginList(' https://a.example , HTTPS://A.example:443,http://b.example:8080'), ['https://a.example', 'http://b.example:8080']);
  assert.match(parseOriginList('https://a.example,https://*.example') as string, /"https:\/\/\*\.example" is not an origin/);
  assert.equal(typeof parseOriginList(''), 'string');
  assert.equal(typeof parseOriginList(' , '), 'string');
});

describe('parseHostHeader', () => {
  const cases: ReadonlyArray<[string, { hostname: string; port: number | undefined } | undefined]> = [
    ['localhost:7681', { hostname: 'localhost', port: 7681 }],
    ['LOCALHOST', { hostname: 'localhost', port: undefined }],
    ['[::1]:7681', { hostname: '[::1]', port: 7681 }],
    ['127.0.0.1:80', { hostname: '127.0.0.1', port: 80 }],
    ['a@b:1', undefined],
    ['a/b:1', undefined],
    ['a:1:2', undefined],
    ['a:99999', undefined],
    ['a: 1', undefined],
    ['', undefined],
    ['a b', undefined],
  ];
  for (const [input, expected] of cases) test(JSON.stringify(input), () => assert.deepEqual(parseHostHeader(input), expected));
});

test('servedOrigins: the listening host; loopback adds its other spellings; a name stays alone', () => {
  assert.deepEqual(servedOrigins('http', '127.0.0.1', 7681).sort(), ['http://127.0.0.1:7681', 'http://[::1]:7681', 'http://localhost:7681'].sort());
  assert.deepEqual(servedOrigins('https', '::1', 443).sort(), ['https://127.0.0.1', 'https://[::1]', 'https://localhost'].sort());
  assert.deepEqual(servedOrigins('http', '192.168.1.5', 8080), ['http://192.168.1.5:8080']);
  assert.deepEqual(servedOrigins('http', 'fe80::1', 8080), ['http://[fe80::1]:8080']);
  assert.deepEqual(servedOrigins('https', 'term.example.com', 7681), ['https://term.example.com:7681']);
  const wildcard = servedOrigins('http', '0.0.0.0', 7681);
  assert.ok(wildcard.includes('http://127.0.0.1:7681') && wildcard.includes('http://localhost:7681'));
});

test('OriginPolicy: Host must be the authority of an allowed origin; a missing port means the scheme default', () => {
  const policy = new OriginPolicy({ configured: ['https://a.example', 'http://b.example:8080'], served: () => assert.fail('not asked when configured') });
  assert.equal(policy.allowsHost('a.example'), true);
  assert.equal(policy.allowsHost('A.EXAMPLE:443'), true);
  assert.equal(policy.allowsHost('a.example:80'), false);
  assert.equal(policy.allowsHost('b.example:8080'), true);
  assert.equal(policy.allowsHost('b.example'), false);
  assert.equal(policy.allowsHost(undefined), false);
  assert.equal(policy.allowsOrigin('https://a.example'), true);
  assert.equal(policy.allowsOrigin('http://a.example'), false);
  assert.equal(policy.allowsOrigin('https://a.example.evil'), false);
  let port = 1000;
  const served = new OriginPolicy({ configured: undefined, served: () => servedOrigins('http', '127.0.0.1', port) });
  assert.equal(served.allowsHost('localhost:1000'), true);
  port = 2000;
  served.reset();
  assert.equal(served.allowsHost('localhost:1000'), false);
  assert.equal(served.allowsHost('localhost:2000'), true);
});

describe('parseTrustProxy', () => {
  test('hop counts, addresses, ranges and names', () => {
    assert.deepEqual(parseTrustProxy('2'), { hops: 2 });
    assert.deepEqual(parseTrustProxy('loopback, 10.0.0.0/8,::1,fd00::/8'), { ranges: ['loopback', '10.0.0.0/8', '::1', 'fd00::/8'] });
  });
  for (const bad of ['', ',', '11', 'proxy.example', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '1.2.3', '10.0.0.0/x', '-1']) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.equal(typeof parseTrustProxy(bad), 'string'));
  }
});

function request(peer: string, forwarded?: string): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } } as unknown as IncomingMessage;
}

test('ClientAddress: without trust the peer, whatever X-Forwarded-For says', () => {
  const addresses = new ClientAddress(undefined);
  assert.equal(addresses.of(request('203.0.113.9', '1.2.3.4')), '203.0.113.9');
  assert.equal(addresses.of(request('::ffff:127.0.0.1', '1.2.3.4')), '127.0.0.1');
  assert.equal(addresses.trusts('127.0.0.1', 0), false);
});

test('ClientAddress: walks back through trusted hops only', () => {
  const loopback = new ClientAddress({ ranges: ['loopback', '10.0.0.0/8'] });
  assert.equal(loopback.of(request('127.0.0.1', '198.51.100.7')), '198.51.100.7');
  // The client wrote the left part itself; only what our proxies appended counts.
  assert.equal(loopback.of(request('127.0.0.1', '6.6.6.6, 198.51.100.7')), '198.51.100.7');
  assert.equal(loopback.of(request('127.0.0.1', '198.51.100.7, 10.1.2.3')), '198.51.100.7');
  // A peer that is not a trusted proxy speaks for nobody.
  assert.equal(loopback.of(request('203.0.113.9', '198.51.100.7')), '203.0.113.9');
  assert.equal(loopback.of(request('::ffff:127.0.0.1', '198.51.100.7')), '198.51.100.7');
  // Garbage from a trusted proxy: the proxy is the last address known.
  assert.equal(loopback.of(request('127.0.0.1', 'not-an-address')), '127.0.0.1');
  assert.equal(loopback.of(request('127.0.0.1')), '127.0.0.1');
  const oneHop = new ClientAddress({ hops: 1 });
  assert.equal(oneHop.of(request('203.0.113.9', '6.6.6.6, 198.51.100.7')), '198.51.100.7');
  assert.equal(plainAddress('::FFFF:10.0.0.1'), '10.0.0.1');
});

test('limitKey: IPv4 as is, IPv6 by /64', () => {
  assert.equal(limitKey('127.0.0.1'), '127.0.0.1');
  assert.equal(limitKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(limitKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(limitKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(limitKey('::1'), '0:0:0:0::/64');
  assert.equal(limitKey('unknown'), 'unknown');
});

test('ConnectionLimiter: burst, then the sustained rate; addresses apart; Retry-After at least a second', () => {
  const clock = new ManualClock();
  const limiter = new ConnectionLimiter(clock);
  for (let i = 0; i < ConnectionLimits.Burst; i++) assert.equal(limiter.tryAdmit('10.0.0.1').ok, true);
  const refused = limiter.tryAdmit('10.0.0.1');
  assert.deepEqual(refused, { ok: false, retryAfterSeconds: 1 });
  assert.equal(limiter.tryAdmit('10.0.0.2').ok, true);
  clock.advance(1000 / ConnectionLimits.RatePerSecond);
  assert.equal(limiter.tryAdmit('10.0.0.1').ok, true);
  assert.equal(limiter.tryAdmit('10.0.0.1').ok, false);
  // Another address of the same IPv6 /64 shares a bucket.
  for (let i = 0; i < ConnectionLimits.Burst; i++) limiter.tryAdmit(`2001:db8::${i.toString(16)}`);
  assert.equal(limiter.tryAdmit('2001:db8::ffff').ok, false);
});

test('ConnectionLimiter: the table is bounded and idle buckets are swept', () => {
  const clock = new ManualClock();
  const limits = { ...ConnectionLimits, MaxTrackedAddresses: 100 };
  const limiter = new ConnectionLimiter(clock, limits);
  for (let i = 0; i < 1000; i++) limiter.tryAdmit(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(limiter.size, 100);
  // The least recently seen address was forgotten; the most recent ones are kept.
  clock.advance(limits.SweepIntervalMs);
  limiter.tryAdmit('10.9.9.9');
  assert.equal(limiter.size, 1, 'full buckets are the same as none and were dropped');
});

test('RefusalTally: one record per address per interval with the count; bounded addresses', () => {
  const clock = new ManualClock();
  const log = new MemoryAuditLog();
  const tally = new RefusalTally(new Auditor(log, clock), clock, { event: 'origin.refused' }, 1000, 2);
  tally.note('a', { origin: 'x' });
  tally.note('a', { origin: 'y' });
  tally.note('b');
  tally.note('c');
  tally.note('d');
  assert.equal(log.records.length, 0);
  clock.advance(1000);
  assert.deepEqual(log.records.map((r) => [r.address, r.detail?.count, r.detail?.origin, r.detail?.otherAddresses]), [
    ['a', 2, 'y', undefined],
    ['b', 1, undefined, undefined],
    [undefined, 2, undefined, true],
  ]);
  tally.note('a');
  tally.dispose();
  assert.equal(log.records.length, 4, 'dispose writes what is still uncounted');
  assert.equal(clock.pending, 0);
});

test('links handed out name where others reach the server: the published origin, an external address, never 0.0.0.0', () => {
  const base = { scheme: 'http' as const, port: 7681, listening: 'http://0.0.0.0:7681' };
  assert.equal(linkOrigin({ ...base, host: '0.0.0.0', configured: ['https://term.example.com', 'http://10.0.0.5:7681'] }), 'https://term.example.com');
  assert.equal(linkOrigin({ ...base, host: '127.0.0.1', configured: undefined, listening: 'http://127.0.0.1:7681' }), 'http://127.0.0.1:7681');
  const external = Object.values(networkInterfaces()).flatMap((list) => list ?? []).filter((info) => !info.internal);
  const wildcard = linkOrigin({ ...base, host: '0.0.0.0', configured: undefined });
  if (external.length === 0) {
    assert.equal(wildcard, base.listening, 'no external interface: the listening address is all there is');
  } else {
    const host = new URL(wildcard).hostname.replace(/^\[|\]$/g, '');
    assert.ok(external.some((info) => info.address.replace(/%.*$/, '') === host), `${wildcard} is an external address of this machine`);
    assert.equal(new URL(wildcard).port, '7681');
  }
});
