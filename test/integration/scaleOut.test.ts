// Scale-out on Redis: two real `ttyroom serve --redis` processes and a real redis-server; members on the node that does not own the room.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RoomSummary } from '../../server/shared/events.js';
import { createRoomAt, processMemory } from '../helpers/serverProcess.js';
import { roomsAt, startNode, stopNode, TEST_EXPIRY_SECONDS, type ClusterNode as Node } from '../helpers/clusterNodes.js';
import { joinMember, type ClientSocket, type Member } from '../helpers/member.js';
import { diffTerminals } from '../helpers/screens.js';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { scrape } from '../helpers/metrics.js';
import { lrzszMissing, markedFile, TransferSide, uploadFile } from '../helpers/transfer.js';

const skip = redisMissing();
const noLrzsz = lrzszMissing();
/** Files moved by ZMODEM across the nodes (bytes): several 64 KiB chunks each way, and not a round number. */
const TRANSFER_BYTES = 2 * 1024 * 1024 + 17;
/** A transfer through a pty, two nodes and Redis on a loaded two-core machine: generous, the test waits on events. */
const TRANSFER_DEADLINE_MS = 60_000;
const FLOOD = fileURLToPath(new URL('../fixtures/outputFlood.mjs', import.meta.url));
/** The flood a frozen member on B must not be sent (MB): a few times the cut-off budget, quick on two busy nodes. */
const FLOOD_MEGABYTES = 32;

/** A path in a node's data directory (the describe block's `join` joins rooms). */
function inDataDir(node: Node, name: string): string {
  return join(node.dataDir, name);
}

async function readyz(url: string): Promise<{ status: number; body: { ready: boolean; reasons: string[]; degraded?: string[] } }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as { ready: boolean; reasons: string[]; degraded?: string[] } };
}

/** Types a line into the room and waits until `member` saw the shell's answer (the sum, never the echo). */
async function run(writer: Member, watcher: Member, marker: string): Promise<void> {
  writer.socket.emit('term:input', `echo ${marker}-$((40+2))\r`);
  await waitFor(() => watcher.outputText().includes(`${marker}-42`), `${marker}-42 on the watcher`, 20_000);
}

/** How long a resuming member waits before asking again after `unavailable` (ms): a client's retry pace, not a synchronisation. */
const RETRY_MS = 200;

/**
 * A viewer that reconnects by itself and joins again from the offset it has (what the browser's room client does),
 * retrying while the join is `unavailable`. Records every gap or repeat in its stream.
 */
function resumingViewer(url: string, roomId: string): { socket: ClientSocket; text: () => string; violations: string[]; joins: () => number; snapshots: () => number } {
  const socket: ClientSocket = io(url, { transports: ['websocket'], reconnectionDelay: RETRY_MS, reconnectionDelayMax: RETRY_MS, forceNew: true });
  let expected = -1;
  let text = '';
  let joins = 0;
  let snapshots = 0;
  const violations: string[] = [];
  socket.on('term:snapshot', ({ offset }) => {
    expected = offset;
    snapshots++;
  });
  socket.on('term:output', ({ offset, data }) => {
    if (offset !== expected) violations.push(`output at ${offset}, expected ${expected}`);
    expected = offset + data.length;
    text += data;
  });
  const tryJoin = (): void => {
    void socket.emitWithAck('room:join', expected < 0 ? { roomId } : { roomId, resumeFrom: expected }).then((reply) => {
      if (reply.ok) joins++;
      else if (reply.code === 'unavailable' && socket.connected) setTimeout(tryJoin, RETRY_MS);
      else violations.push(`join refused: ${reply.code}`);
    });
  };
  socket.on('connect', tryJoin);
  return { socket, text: () => text, violations, joins: () => joins, snapshots: () => snapshots };
}

describe('scale-out on Redis: two nodes', { skip }, () => {
  let redis: TestRedis;
  let a: Node;
  let b: Node;
  const members: Member[] = [];
  const join = async (...args: Parameters<typeof joinMember>): Promise<Member> => {
    const member = await joinMember(...args);
    members.push(member);
    return member;
  };

  before(async () => {
    redis = await startRedis();
    a = await startNode(redis);
    b = await startNode(redis);
  });

  after(async () => {
    for (const member of members) member.close();
    if (a) stopNode(a);
    if (b) stopNode(b);
    await redis?.stop();
  });

  test('a room created on A is listed on B, and a late join on B is exact, cell by cell', async () => {
    const room = await createRoomAt(a.url, { name: 'spread' });
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A');
    const writer = await join(a.url, room.id, { token: room.writeToken });
    const early = await join(b.url, room.id);
    assert.equal(early.reply.ok, true, JSON.stringify(early.reply));
    // A screenful with colour, cursor moves and a scrolled history, so a wrong snapshot shows.
    writer.socket.emit('term:input', 'for i in $(seq 1 40); do printf "\\033[3%dmline %d\\033[0m\\n" $((i % 7)) $i; done; printf "\\033[5;10Hmoved"; echo\r');
    await run(writer, early, 'first');
    const lateA = await join(a.url, room.id);
    const lateB = await join(b.url, room.id);
    await run(writer, lateB, 'second');
    await waitFor(() => lateA.outputText().includes('second-42') && early.outputText().includes('second-42'), 'every member to see the second line');
    for (const member of [writer, early, lateA, lateB]) await member.settled();
    // lateA's screen is A's mirror at its join plus the stream: the reference for B's members.
    assert.deepEqual(diffTerminals(lateA.terminal, lateB.terminal), [], 'late joiner on B differs from A\'s mirror');
    assert.deepEqual(diffTerminals(writer.terminal, early.terminal), [], 'early viewer on B differs from the writer on A');
    for (const member of [early, lateB]) assert.deepEqual(member.violations, []);
  });

  test('input from a writer on B reaches the shell on A; an owner on B grants and takes back the keyboard', async () => {
    const room = await createRoomAt(a.url, { name: 'floor' });
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A');
    const watcher = await join(a.url, room.id);
    const writerB = await join(b.url, room.id, { token: room.writeToken });
    assert.equal(writerB.reply.ok && writerB.reply.role, 'writer');
    await run(writerB, watcher, 'fromb');
    const owner = await join(b.url, room.id, { token: room.ownerToken });
    const viewer = await join(b.url, room.id, { name: 'promoted' });
    assert.equal(viewer.reply.ok && viewer.reply.role, 'viewer');
    viewer.socket.emit('term:input', 'echo refused-$((1+1))\r');
    await waitFor(() => viewer.errors.some((error) => error.code === 'forbidden'), 'the viewer to be refused');
    const viewerId = viewer.reply.ok ? viewer.reply.memberId : '';
    owner.socket.emit('member:role', { memberId: viewerId, role: 'writer' });
    await waitFor(() => viewer.roles.includes('writer'), 'the viewer on B to be made a writer by the owner on B');
    await run(viewer, watcher, 'granted');
    owner.socket.emit('member:role', { memberId: viewerId, role: 'viewer' });
    await waitFor(() => viewer.roles.at(-1) === 'viewer', 'the keyboard to be taken back');
    assert.ok(!watcher.outputText().includes('refused-2'), 'input refused on B reached the shell');
  });

  test('sz on A: a writer on B receives the file byte for byte, as binary, as a member on A would', { skip: noLrzsz }, async (t) => {
    const room = await createRoomAt(a.url, { name: 'download' });
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A');
    const file = markedFile(TRANSFER_BYTES, 'ACROSS-NODES');
    writeFileSync(inDataDir(a, 'down.bin'), file);
    const writer = await join(b.url, room.id, { token: room.writeToken, extra: { transfers: true } });
    const side = new TransferSide(writer);
    t.after(() => side.dispose());
    writer.socket.emit('term:input', `sz ${inDataDir(a, 'down.bin')}\r`);
    await waitFor(() => side.ends.length > 0, 'the download to end', TRANSFER_DEADLINE_MS);
    assert.deepEqual(side.ends.map((end) => end.outcome), ['completed']);
    assert.deepEqual(side.offers, [{ name: 'down.bin', size: TRANSFER_BYTES }]);
    const got = side.received.get('down.bin');
    assert.ok(got?.equals(file), 'the file arrived on B byte for byte');
    const chunks = writer.of('transfer:data');
    assert.ok(chunks.length > 0 && chunks.every((chunk) => chunk instanceof Uint8Array), 'transfer:data reached B\'s member as binary');
    await run(writer, writer, 'afterdown');
  });

  test('rz on A: the file a writer on B uploads reaches A byte for byte', { skip: noLrzsz }, async (t) => {
    const room = await createRoomAt(a.url, { name: 'upload' });
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A');
    const upload = markedFile(TRANSFER_BYTES, 'UPLOAD-ACROSS');
    const writer = await join(b.url, room.id, { token: room.writeToken, extra: { transfers: true } });
    const side = new TransferSide(writer, { files: [uploadFile('up.bin', upload)] });
    t.after(() => side.dispose());
    writer.socket.emit('term:input', `cd ${a.dataDir} && rz\r`);
    await waitFor(() => side.ends.length > 0, 'the upload to end', TRANSFER_DEADLINE_MS);
    assert.deepEqual(side.starts.map((start) => start.direction), ['upload']);
    assert.deepEqual(side.ends.map((end) => end.outcome), ['completed']);
    const written = (): Buffer | undefined => {
      try {
        return readFileSync(inDataDir(a, 'up.bin'));
      } catch {
        return undefined;
      }
    };
    await waitFor(() => written()?.length === upload.length, 'rz on A to write the whole file');
    assert.ok(written()!.equals(upload), 'the file arrived on A byte for byte');
    await run(writer, writer, 'afterup');
  });

  test('/metrics (parsed) of both nodes say Redis is up; relayed members are counted on both sides as they come and go', async () => {
    for (const node of [a, b]) assert.equal((await scrape(node.url, undefined)).value('ttyroom_redis_up'), 1);
    const room = await createRoomAt(a.url, { name: 'counted' });
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A');
    const outgoing = async () => (await scrape(b.url, undefined)).value('ttyroom_relayed_members', { direction: 'outgoing' });
    const incoming = async () => (await scrape(a.url, undefined)).value('ttyroom_relayed_members', { direction: 'incoming' });
    const [outBefore, inBefore] = [await outgoing(), await incoming()];
    const viewer = await join(b.url, room.id);
    assert.equal(await outgoing(), outBefore + 1);
    await waitFor(async () => (await incoming()) === inBefore + 1, 'A to count the member relayed from B');
    const membersOnA = async () => (await (await fetch(`${a.url}/api/rooms/${room.id}`)).json() as RoomSummary).members;
    assert.equal(await membersOnA(), 1);
    // Leaving on B ends the member on A: nothing is left behind on the room's node.
    viewer.close();
    await waitFor(async () => (await incoming()) === inBefore && (await membersOnA()) === 0, 'the member to leave the room on A');
    assert.equal(await outgoing(), outBefore);
  });

  test('a frozen viewer on B is cut off by A from what B reports of its queue, and resynced on B once it reads again', async (t) => {
    const room = await createRoomAt(a.url, { name: 'flood' });
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A');
    const writer = await join(a.url, room.id, { token: room.writeToken, acks: true });
    // The writer acks everything at once: a healthy member. It may still be cut off and resynced itself when this
    // test process is slow to read (a loaded machine), so the end is looked for in snapshots too.
    let tail = '';
    let doneAt: number | undefined;
    const lookForEnd = (text: string): void => {
      const match = /@@DONE (\d+)\r?\n/.exec(text);
      if (match && doneAt === undefined) doneAt = Date.now() - Number(match[1]);
    };
    writer.socket.on('term:output', ({ offset, data }) => {
      writer.socket.emit('term:ack', { offset: offset + data.length });
      tail = (tail + data).slice(-64);
      lookForEnd(tail);
    });
    writer.socket.on('term:snapshot', ({ data }) => lookForEnd(Buffer.from(data).toString('utf8')));
    const frozen: ClientSocket = io(b.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    let received = 0;
    let behind = 0;
    let snapshots = 0;
    let screen = '';
    frozen.on('term:output', ({ data }) => {
      received += data.length;
      if (snapshots > 1) screen += data;
    });
    frozen.on('term:behind', () => behind++);
    frozen.on('term:snapshot', ({ data }) => {
      snapshots++;
      screen = Buffer.from(data).toString('utf8');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        frozen.once('connect', () => resolve());
        frozen.once('connect_error', reject);
      });
      const reply = await frozen.emitWithAck('room:join', { roomId: room.id });
      assert.equal(reply.ok, true);
      const netSocket = (frozen.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
      netSocket.pause();
      const baseline = processMemory(a.process.child.pid!).rss;
      writer.socket.emit('term:input', `${process.execPath} ${FLOOD} ${FLOOD_MEGABYTES}\r`);
      await waitFor(() => doneAt !== undefined, 'the writer on A to see the whole flood', 120_000, 50);
      const doneLagMs = doneAt!;
      const { peak } = processMemory(a.process.child.pid!);
      t.diagnostic(`the writer on A saw the end of the flood ${doneLagMs} ms after it was written`);
      t.diagnostic(`A's rss: baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB during a ${FLOOD_MEGABYTES} MB flood with a frozen viewer on B`);
      netSocket.resume();
      await waitFor(() => snapshots > 1 && screen.includes('@@DONE'), 'the frozen viewer on B to be resynced up to the end', 60_000, 50);
      t.diagnostic(`frozen viewer on B: ${(received / 2 ** 20).toFixed(1)} Mi units of output, ${behind} cut-off(s), ${snapshots} snapshot(s)`);
      assert.ok(behind >= 1, 'the frozen viewer on B was never cut off');
      assert.ok(received < FLOOD_MEGABYTES * 2 ** 20 / 4, `the frozen viewer on B was sent ${received} units of the flood`);
    } finally {
      frozen.close();
    }
  });

  test('Redis stopped and started again: each node keeps its own rooms, says so, and both recover without a restart', async () => {
    const room = await createRoomAt(a.url, { name: 'outage' });
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A');
    const local = await join(a.url, room.id, { token: room.writeToken });
    const relayed = resumingViewer(b.url, room.id);
    await waitFor(() => relayed.joins() === 1, 'the relayed viewer on B to join');
    await run(local, local, 'before');
    await waitFor(() => relayed.text().includes('before-42'), 'the relayed viewer to see the line before the outage');
    await redis.stop();
    for (const node of [a, b]) {
      await waitFor(async () => (await readyz(node.url)).body.degraded?.includes('redis-down') === true, 'readyz to say redis-down', 20_000);
      const state = await readyz(node.url);
      assert.equal(state.status, 200, 'a node without Redis still serves its own rooms: it stays ready');
      assert.equal((await scrape(node.url, undefined)).value('ttyroom_redis_up'), 0);
    }
    await run(local, local, 'alone');
    await waitFor(() => relayed.socket.disconnected || relayed.joins() > 1, 'B to close the relayed viewer\'s transport');
    const created = await createRoomAt(b.url, { name: 'during' });
    const onB = await join(b.url, created.id, { token: created.writeToken });
    await run(onB, onB, 'stillb');
    await redis.start();
    for (const node of [a, b]) {
      await waitFor(async () => (await readyz(node.url)).body.degraded === undefined, 'readyz to drop redis-down', 20_000);
      assert.equal((await scrape(node.url, undefined)).value('ttyroom_redis_up'), 1);
    }
    // The new Redis is empty: both nodes listed their rooms again.
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A again');
    await waitFor(async () => (await roomsAt(a.url)).some((listed) => listed.id === created.id), 'A to list the room of B');
    const writerB = await join(b.url, room.id, { token: room.writeToken });
    assert.equal(writerB.reply.ok, true, JSON.stringify(writerB.reply));
    await run(writerB, local, 'after');
    // The relayed viewer came back by itself and resumed from its offset: what was typed during the outage, no gap.
    await waitFor(() => relayed.text().includes('alone-42') && relayed.text().includes('after-42'), 'the relayed viewer to resume', 20_000);
    assert.deepEqual(relayed.violations, []);
    assert.equal(relayed.snapshots(), 1, 'the relayed viewer resumed from its offset, not from a new screen');
    relayed.socket.close();
  });

  test('kill -9 of A: its members on B hear node-lost within the expiry, and B stops listing its rooms', async () => {
    const room = await createRoomAt(a.url, { name: 'doomed' });
    await waitFor(async () => (await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to list the room of A');
    const viewer = await join(b.url, room.id);
    assert.equal(viewer.reply.ok, true);
    a.process.child.kill('SIGKILL');
    await a.process.exited;
    const killedAt = Date.now();
    await waitFor(() => viewer.exits.length > 0, 'term:exit on B', 20_000);
    const tookMs = Date.now() - killedAt;
    assert.equal(viewer.exits[0]!.reason, 'node-lost');
    // Expiry plus one renewal interval (a third of it), plus slack for a loaded machine.
    assert.ok(tookMs < TEST_EXPIRY_SECONDS * 1000 * 4, `node-lost took ${tookMs} ms`);
    await waitFor(async () => !(await roomsAt(b.url)).some((listed) => listed.id === room.id), 'B to drop the room of A');
  });

  test('kill -9 of a node whose members were relayed into a room of B: the room drops them within the expiry', async () => {
    const c = await startNode(redis);
    try {
      const room = await createRoomAt(b.url, { name: 'survivor' });
      await waitFor(async () => (await roomsAt(c.url)).some((listed) => listed.id === room.id), 'C to list the room of B');
      const viewer = await join(c.url, room.id, { name: 'on-c' });
      assert.equal(viewer.reply.ok, true);
      const membersOnB = async () => (await (await fetch(`${b.url}/api/rooms/${room.id}`)).json() as RoomSummary).members;
      assert.equal(await membersOnB(), 1);
      c.process.child.kill('SIGKILL');
      await c.process.exited;
      const killedAt = Date.now();
      await waitFor(async () => (await membersOnB()) === 0, 'B to drop the member of the dead node', 20_000);
      const tookMs = Date.now() - killedAt;
      assert.ok(tookMs < TEST_EXPIRY_SECONDS * 1000 * 4, `dropping took ${tookMs} ms`);
    } finally {
      stopNode(c);
    }
  });
});
