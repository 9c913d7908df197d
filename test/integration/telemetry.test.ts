// Room telemetry over real sockets: admitted members get CPU, memory and process count of the room's processes
// on the room's clock; one waiting for approval gets none.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TelemetryPacing } from '../../server/rooms/roomTelemetry.js';
import { procAvailable } from '../../server/terminal/processTree.js';
import { startServer } from '../helpers/server.js';
import { idOf, listShows } from '../helpers/collab.js';
import { joinMember, type Member } from '../helpers/member.js';
import { ManualClock } from '../helpers/manualClock.js';
import { waitFor } from '../helpers/wait.js';

/** Moves the room's clock one sampling interval at a time until `member` got a sample that satisfies `ok`. */
async function sampleUntil(clock: ManualClock, member: Member, ok: (s: { cpuPercent: number; processes: number; memoryBytes: number }) => boolean, what: string): Promise<void> {
  await waitFor(async () => {
    clock.advance(TelemetryPacing.IntervalMs);
    await member.barrier();
    return member.of('room:telemetry').some(ok);
  }, what, 30_000, 50);
}

test('a busy background job shows in room:telemetry for admitted members, never for one waiting for approval', { skip: !procAvailable() && 'no /proc' }, async (t) => {
  const clock = new ManualClock();
  const server = await startServer({}, process.env, { clock });
  t.after(() => server.close());
  const room = await server.createRoom({ approval: true });
  const owner = await joinMember(server.url, room.id, { token: room.ownerToken, name: 'lead' });
  t.after(() => owner.close());
  owner.socket.emit('term:input', 'yes > /dev/null & echo STARTED-$((1+1))\r');
  await waitFor(() => owner.outputText().includes('STARTED-2'), 'the background job to start');

  const waiting = await joinMember(server.url, room.id, { name: 'stranger' });
  t.after(() => waiting.close());
  assert.ok(waiting.reply.ok && waiting.reply.waiting === true);

  await sampleUntil(clock, owner, (s) => s.cpuPercent > 0 && s.processes >= 2 && s.memoryBytes > 0, 'a sample with the busy job');
  const sample = owner.of('room:telemetry').at(-1)!;
  assert.equal(sample.at, new Date(clock.now()).toISOString(), 'stamped on the room\'s clock');
  await waiting.barrier();
  assert.equal(waiting.of('room:telemetry').length, 0, 'nothing reaches a member waiting for approval');

  await listShows(clock, owner, (list) => list.some((m) => m.state === 'waiting'), 'the owner to see the joiner');
  owner.socket.emit('member:admit', { memberId: idOf(waiting), allow: true });
  await waitFor(() => waiting.snapshots === 1, 'the admitted joiner\'s snapshot');
  await sampleUntil(clock, waiting, (s) => s.processes >= 2, 'a sample for the admitted viewer');
});
