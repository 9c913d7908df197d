// H3: 500 connection attempts a second from one address are throttled with 429 before any socket exists,
// while another address still connects; refusals are audited once per interval, not once each.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { io as connectClient } from 'socket.io-client';
import { startServer } from '../helpers/server.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { ManualClock } from '../helpers/manualClock.js';
import { enginePath, rawRequest, upgradeRequest, type RawResponse } from '../helpers/rawHttp.js';
import { AuditAggregation } from '../../server/audit/auditCounter.js';
import { ConnectionLimits } from '../../server/http/connectionLimiter.js';

const ATTEMPTS = 500;
/** Attempts in flight at once: enough to be a flood, few enough for the test process's file descriptors. */
const PARALLEL = 50;
/** Linux routes all of 127/8 to the loopback interface, so this is a second client address on one machine. */
const OTHER_ADDRESS = '127.0.0.2';

/** Half WebSocket upgrades, half polling handshakes: both open sessions, both are attempts. */
async function attempts(url: string, count: number): Promise<RawResponse[]> {
  const results: RawResponse[] = [];
  for (let start = 0; start < count; start += PARALLEL) {
    const batch = Array.from({ length: Math.min(PARALLEL, count - start) }, (_, i) => ((start + i) % 2 === 0
      ? upgradeRequest(url, enginePath('websocket'))
      : rawRequest(url, enginePath('polling'))));
    results.push(...await Promise.all(batch));
  }
  return results;
}

function connectFrom(url: string, localAddress: string): Promise<{ connected: boolean; serverSaw?: string; detail?: string }> {
  const socket = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true, localAddress } as Parameters<typeof connectClient>[1]);
  return new Promise((resolve) => {
    socket.on('connect', () => {
      socket.close();
      resolve({ connected: true });
    });
    socket.on('connect_error', (error) => {
      socket.close();
      resolve({ connected: false, detail: error.message });
    });
  });
}

test('H3: a burst of attempts from one address is cut at the burst allowance; other addresses still connect', async (t) => {
  const audit = new MemoryAuditLog();
  // Time stands still, so no token comes back during the flood and the count is exact.
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { audit, clock });
  t.after(() => server.close());
  const seen: string[] = [];
  server.app.io.on('connection', (socket) => seen.push(socket.handshake.address));

  const results = await attempts(server.url, ATTEMPTS);
  const admitted = results.filter((r) => r.status === 101 || r.status === 200);
  const refused = results.filter((r) => r.status === 429);
  assert.equal(admitted.length, ConnectionLimits.Burst, `statuses: ${JSON.stringify(countBy(results))}`);
  assert.equal(refused.length, ATTEMPTS - ConnectionLimits.Burst);
  for (const response of refused) {
    assert.match(String(response.headers['retry-after']), /^[1-9]\d*$/);
    assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, 'rate-limited');
  }

  const other = await connectFrom(server.url, OTHER_ADDRESS);
  assert.ok(other.connected, `a client from ${OTHER_ADDRESS} could not connect: ${other.detail}`);
  assert.ok(seen.includes(OTHER_ADDRESS), `addresses seen: ${seen.join(', ')}`);
  const stillRefused = await connectFrom(server.url, '127.0.0.1');
  assert.equal(stillRefused.connected, false, 'the flooding address is still throttled');

  // A second later the bucket has refilled by the sustained rate, and no more.
  clock.advance(1000);
  const later = await attempts(server.url, ConnectionLimits.RatePerSecond * 2);
  assert.equal(later.filter((r) => r.status !== 429).length, ConnectionLimits.RatePerSecond);

  clock.advance(AuditAggregation.IntervalMs);
  const records = audit.of('limit.refused').filter((record) => record.detail?.limit === 'connections-per-address');
  assert.equal(records.length, 1, JSON.stringify(records));
  assert.equal(records[0]!.address, '127.0.0.1');
  assert.equal(records[0]!.detail?.count, ATTEMPTS - ConnectionLimits.Burst + 1 + ConnectionLimits.RatePerSecond);
});

test('H3: the polls and upgrade of an open session are not counted as new attempts', async (t) => {
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { clock });
  t.after(() => server.close());
  // A polling client polls many times over its life; only its handshake and its upgrade are attempts.
  const sockets = Array.from({ length: ConnectionLimits.Burst / 2 }, () => connectClient(server.url, { transports: ['polling', 'websocket'], reconnection: false, forceNew: true }));
  t.after(() => sockets.forEach((socket) => socket.close()));
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve, reject) => {
    socket.on('connect', () => resolve());
    socket.on('connect_error', reject);
  })));
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (sockets.every((socket) => socket.io.engine.transport.name === 'websocket')) resolve();
      else setTimeout(check, 10);
    };
    check();
  });
  const next = await rawRequest(server.url, enginePath('polling'));
  assert.equal(next.status, 429, 'each polling client cost exactly a handshake and an upgrade');
});

function countBy(results: RawResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const result of results) counts[result.status] = (counts[result.status] ?? 0) + 1;
  return counts;
}
