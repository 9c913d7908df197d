// Scale-out on Redis: a node that stalls past the directory's expiry (SIGSTOP, as a frozen event loop) is taken for dead by the others, and when it runs again it ends its side of what they ended.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RoomSummary } from '../../server/shared/events.js';
import { createRoomAt } from '../helpers/serverProcess.js';
import { joinMember } from '../helpers/member.js';
import { redisMissing } from '../helpers/redis.js';
import { roomsAt, TEST_EXPIRY_SECONDS, twoNodesPerSuite } from '../helpers/clusterNodes.js';
import { waitFor } from '../helpers/wait.js';

const skip = redisMissing();

async function membersAt(url: string, roomId: string): Promise<number> {
  const response = await fetch(`${url}/api/rooms/${roomId}`);
  assert.equal(response.status, 200);
  return ((await response.json()) as RoomSummary).members;
}

describe('scale-out on Redis: a node that stalls past the expiry', { skip }, () => {
  const nodes = twoNodesPerSuite();

  test('its members on B hear node-lost; when it runs again it drops their stand-ins and lists its room again', async () => {
    const { a, b } = nodes;
    const room = await createRoomAt(a.url, { name: 'stalled' });
    const viewer = nodes.track(await joinMember(b.url, room.id));
    assert.equal(viewer.reply.ok, true, JSON.stringify(viewer.reply));
    assert.equal(await membersAt(a.url, room.id), 1, 'the member on B is in the room on A');

    a.process.child.kill('SIGSTOP');
    await waitFor(() => viewer.exits.length > 0, 'B to end its member with node-lost', TEST_EXPIRY_SECONDS * 1000 * 10);
    assert.equal(viewer.exits[0]!.reason, 'node-lost');
    a.process.child.kill('SIGCONT');

    // B ended the member and told A so; the message waits in A's Redis connection until A runs, and must not be
    // lost on the way: A keeping the stand-in would show a member in the room for good.
    await waitFor(async () => (await membersAt(a.url, room.id)) === 0, 'A to drop the member B ended', TEST_EXPIRY_SECONDS * 1000 * 10);
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A again');
    const again = nodes.track(await joinMember(b.url, room.id));
    assert.equal(again.reply.ok, true, JSON.stringify(again.reply));
    assert.equal(await membersAt(a.url, room.id), 1);
  });
});
