// Scale-out, the rule for a join just after Redis returns: a room no node has listed again yet is `unavailable` (try again) for one expiry, then `not-found`.
// One in-process node on a real redis-server, its time driven by a ManualClock: the expiry passes when the test says so.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JoinReply } from '../../server/shared/events.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinMember } from '../helpers/member.js';
import { ManualClock } from '../helpers/manualClock.js';
import { redisMissing, startRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/** The directory's expiry (ms): long, so the node's real-time renewals (a third of it) never run during the test; the ManualClock passes it. */
const EXPIRY_MS = 600_000;
/** A room id in no node's directory entries: what a room of another node looks like before that node has written them again. */
const UNLISTED_ROOM = 'not-listed-yet';

async function joinCode(server: TestServer): Promise<string> {
  const member = await joinMember(server.url, UNLISTED_ROOM, { awaitSnapshot: false });
  member.close();
  const reply: JoinReply = member.reply;
  return reply.ok ? 'joined' : reply.code;
}

async function redisDown(server: TestServer): Promise<boolean> {
  const body = (await (await fetch(`${server.url}/readyz`)).json()) as { degraded?: string[] };
  return body.degraded?.includes('redis-down') === true;
}

test('just after Redis returns, a join of a room no node has listed again is unavailable for one expiry, then not-found', { skip: redisMissing() }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const clock = new ManualClock(Date.now());
  const server = await startServer({ redis: { url: redis.url, expiryMs: EXPIRY_MS } }, process.env, { clock });
  t.after(() => server.close());
  await waitFor(async () => !(await redisDown(server)), 'the node to reach Redis');
  assert.equal(await joinCode(server), 'not-found', 'with no outage behind it, a room in no directory is simply not found');

  await redis.stop();
  await waitFor(() => redisDown(server), 'the node to see Redis gone', 20_000);
  assert.equal(await joinCode(server), 'unavailable', 'while Redis is down nobody can tell');
  await redis.start();
  await waitFor(async () => !(await redisDown(server)), 'the node to see Redis back', 20_000);

  assert.equal(await joinCode(server), 'unavailable', 'just after Redis returned the room may be one not written again yet');
  clock.advance(EXPIRY_MS - 1);
  assert.equal(await joinCode(server), 'unavailable', 'still within the expiry');
  clock.advance(1);
  assert.equal(await joinCode(server), 'not-found', 'one expiry later every live node has written its rooms again');
});
