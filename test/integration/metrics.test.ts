// GET /metrics (J10 in docs/properties.md): parsed by a Prometheus text parser, its families move as real rooms with a
// real pty, real sockets and a slow member run; it refuses callers without its token or outside its allowlist, is
// absent when neither is configured, and holds no token, name or keystroke.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinMember, type Member } from '../helpers/member.js';
import { scrape } from '../helpers/metrics.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { MemberFlowControl } from '../../server/shared/flowControl.js';
import { TelemetryPacing } from '../../server/rooms/roomTelemetry.js';

const TOKEN = 'metrics-token-for-the-tests-0123456789';

async function withServer(metrics: { token?: string; allow?: string[] } | undefined, run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer(metrics === undefined ? {} : { metrics });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

test('/metrics parses and its families move as rooms run: members by role, bytes out, echo, refused input, a cut-off and its resync, snapshots, telemetry', async () => {
  await withServer({ token: TOKEN }, async (server) => {
    const members: Member[] = [];
    try {
      const before = await scrape(server.url, TOKEN);
      assert.equal(before.value('ttyroom_rooms_open'), 0);
      assert.equal(before.value('ttyroom_members', { role: 'writer' }), 0);
      assert.ok(before.series('nodejs_eventloop_lag_seconds').length === 1, 'the event-loop lag is there (default metrics)');
      assert.equal(before.series('ttyroom_mirror_backlog_code_units').length, server.app.mirrors.workerBacklogs().length, 'one backlog series per mirror worker');

      const room = await server.createRoom();
      const writer = await joinMember(server.url, room.id, { token: room.writeToken, name: 'Writer Name' });
      members.push(writer);
      let now = await scrape(server.url, TOKEN);
      assert.equal(now.value('ttyroom_rooms_open'), 1);
      assert.ok(now.value('ttyroom_snapshots_sent_total') >= 1, 'the join snapshot was counted');
      assert.ok(now.count('ttyroom_snapshot_duration_seconds') >= 1, "the join's snapshot was timed");
      await waitFor(async () => (await scrape(server.url, TOKEN)).value('ttyroom_members', { role: 'writer' }) === 1, 'one writer in the members gauge');

      // Output flows: the bytes counter moves by at least what the writer received; the echo is timed.
      const sentBefore = (await scrape(server.url, TOKEN)).value('ttyroom_stream_sent_bytes_total', { kind: 'output' });
      const typed = 'echo KEYSTROKE-MARKER-$((6*7))';
      writer.socket.emit('term:input', `${typed}\r`);
      await waitFor(() => writer.outputText().includes('KEYSTROKE-MARKER-42'), 'the echo');
      now = await scrape(server.url, TOKEN);
      assert.ok(now.value('ttyroom_stream_sent_bytes_total', { kind: 'output' }) - sentBefore >= 'KEYSTROKE-MARKER-42'.length * 2, 'the typed line and its result went out');
      assert.ok(now.count('ttyroom_echo_latency_seconds') >= 1, 'the echo was timed');

      // A viewer that paces with acks and never acks: cut off once the output passes its budget.
      const slow = await joinMember(server.url, room.id, { name: 'Slow Viewer', acks: true });
      members.push(slow);
      await waitFor(async () => (await scrape(server.url, TOKEN)).value('ttyroom_members', { role: 'viewer' }) === 1, 'one viewer in the members gauge');
      slow.socket.emit('term:input', 'ls\r');
      await waitFor(async () => (await scrape(server.url, TOKEN)).value('ttyroom_input_refused_total', { reason: 'role' }) === 1, "the viewer's input refused for its role");
      const behind = new Promise<number>((resolve) => slow.socket.once('term:behind', ({ offset }) => resolve(offset)));
      const floodUnits = MemberFlowControl.BudgetUnits * 2;
      writer.socket.emit('term:input', `head -c ${floodUnits} /dev/zero | tr '\\0' x; echo; echo FLOOD-DONE\r`);
      const cutAt = await behind;
      await waitFor(async () => (await scrape(server.url, TOKEN)).value('ttyroom_member_cutoffs_total') === 1, 'the cut-off counted');
      assert.equal((await scrape(server.url, TOKEN)).value('ttyroom_member_resyncs_total'), 0, 'no resync before it drained');
      const snapshotsBefore = (await scrape(server.url, TOKEN)).value('ttyroom_snapshots_sent_total');
      // It catches up (acks what it was sent before the cut): the room resyncs it from a fresh snapshot.
      slow.socket.emit('term:ack', { offset: cutAt });
      await waitFor(async () => (await scrape(server.url, TOKEN)).value('ttyroom_member_resyncs_total') === 1, 'the resync counted', 20_000);
      assert.ok((await scrape(server.url, TOKEN)).value('ttyroom_snapshots_sent_total') > snapshotsBefore, "the resync's snapshot was counted");

      // Telemetry of the sampled room, by room id only.
      await waitFor(async () => (await scrape(server.url, TOKEN)).value('ttyroom_room_processes', { room: room.id }) >= 1, "the room's telemetry", TelemetryPacing.IntervalMs * 4);
      now = await scrape(server.url, TOKEN);
      assert.ok(now.value('ttyroom_room_memory_bytes', { room: room.id }) > 0);
      assert.deepEqual(now.series('ttyroom_room_cpu_ratio').map((series) => Object.keys(series.labels)), [['room']]);

      // No token, no name, nothing typed.
      for (const secret of [room.ownerToken, room.writeToken, TOKEN, 'KEYSTROKE-MARKER', 'Writer Name', 'Slow Viewer']) {
        assert.ok(!now.text.includes(secret), `the metrics hold ${JSON.stringify(secret)}`);
      }

      slow.close();
      await waitFor(async () => (await scrape(server.url, TOKEN)).value('ttyroom_members', { role: 'viewer' }) === 0, 'the viewer gone from the gauge');
    } finally {
      for (const member of members) member.close();
    }
  });
});

test('/metrics is absent (404, as any unknown path) when neither --metrics-token nor --metrics-allow is set', async () => {
  await withServer(undefined, async (server) => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 404);
  });
});

test('/metrics with a token: none or a wrong one gets 401 with WWW-Authenticate, the right one 200', async () => {
  await withServer({ token: TOKEN }, async (server) => {
    const none = await fetch(`${server.url}/metrics`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.ok(!(await none.text()).includes('ttyroom_'), 'no numbers in the refusal');
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN.slice(0, -1)}` } })).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { Authorization: TOKEN } })).status, 401, 'the scheme is needed');
    assert.equal((await fetch(`${server.url}/metrics?token=${TOKEN}`)).status, 401, 'never from the query string');
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200);
  });
});

test('/metrics with an allowlist: an address in it gets 200 without a token, one outside it 403 (401 when a token is also configured)', async () => {
  await withServer({ allow: ['127.0.0.0/8'] }, async (server) => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 200);
  });
  await withServer({ allow: ['10.0.0.0/8', '::1'] }, async (server) => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 403);
  });
  await withServer({ allow: ['10.0.0.0/8'], token: TOKEN }, async (server) => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200, 'the token lets a caller in from anywhere');
  });
});
