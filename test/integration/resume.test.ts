// E4: a member that drops off for 5 s and comes back with `resumeFrom` gets exactly what it missed while that
// is still held, a fresh snapshot otherwise; the browser's RoomClient does this by itself on reconnect.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startServer, type TestServer } from '../helpers/server.js';
import type { ClientSocket } from '../helpers/member.js';
import { diffTerminals, makeTerminal, type HeadlessTerminal } from '../helpers/screens.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { RoomClient } from '../../server/shared/roomClient.js';
import { HeadlessSink } from '../helpers/headlessSink.js';

/** E4 (docs/properties.md): the member is away this long while output keeps coming. */
const AWAY_MS = 5_000;
/** One numbered line every 20 ms for the whole test: about 250 lines while the member is away. */
const TICKER = ['bash', '--noprofile', '--norc', '-c', 'for i in $(seq 1 100000); do echo "tick $i"; sleep 0.02; done'];
/** Far less than 5 s of the ticker (about 3 KiB): the offset is gone from the history when the member returns. */
const TINY_RESUME_BUFFER_UNITS = 512;

/** A stream consumer that keeps its terminal across connections, like a browser tab does. */
class ResumingMember {
  readonly terminal: HeadlessTerminal = makeTerminal(80, 24, 1000);
  expected = -1;
  snapshots = 0;
  outputs = 0;
  violations: string[] = [];
  socket: ClientSocket | undefined;

  async connect(url: string, roomId: string, resumeFrom?: number): Promise<void> {
    const socket: ClientSocket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket = socket;
    socket.on('term:snapshot', ({ cols, rows, data, offset }) => {
      this.snapshots++;
      this.terminal.reset();
      this.terminal.resize(cols, rows);
      this.terminal.write(data);
      this.expected = offset;
    });
    socket.on('term:output', ({ offset, data }) => {
      this.outputs++;
      if (offset !== this.expected) this.violations.push(`output at ${offset}, expected ${this.expected}`);
      this.expected = offset + data.length;
      this.terminal.write(data);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const reply = await socket.emitWithAck('room:join', { roomId, ...(resumeFrom === undefined ? {} : { resumeFrom }) });
    assert.ok(reply.ok);
  }

  drop(): void {
    this.socket?.disconnect();
  }

  /** Joins, takes some ticks, drops off for AWAY_MS while output goes on; returns the offset it left at. */
  async joinThenGoAway(url: string, roomId: string): Promise<number> {
    await this.connect(url, roomId);
    await waitFor(() => this.expected > 200, 'some ticks');
    this.drop();
    const missedFrom = this.expected;
    await sleep(AWAY_MS);
    return missedFrom;
  }

  settled(): Promise<void> {
    return new Promise((resolve) => this.terminal.write('', resolve));
  }
}

async function sameAsMirror(server: TestServer, roomId: string, member: { terminal: HeadlessTerminal; settled(): Promise<void> }, offsetOf: () => number): Promise<void> {
  const room = server.app.rooms.get(roomId)!;
  // Stop the ticker so the stream has an end both sides can reach; the exited room keeps its final screen.
  const exited = new Promise<void>((resolve) => room.onExit(() => resolve()));
  process.kill(-room.pid!, 'SIGKILL');
  await exited;
  const end = room.streamOffset;
  await waitFor(() => offsetOf() === end, `the member to reach the end of the stream (${end})`);
  await member.settled();
  assert.deepEqual(diffTerminals((await room.mirrorScreen()), member.terminal), [], 'the member shows the mirror\'s screen');
}

test('back after 5 s with resumeFrom still held: exactly the missed chunks, no snapshot, same screen as the mirror', async () => {
  const server = await startServer({ command: TICKER });
  const member = new ResumingMember();
  try {
    const created = await server.createRoom();
    const missedFrom = await member.joinThenGoAway(server.url, created.id);
    const room = server.app.rooms.get(created.id)!;
    assert.ok(room.streamOffset - missedFrom > 1_000, 'output went on while the member was away');

    await member.connect(server.url, created.id, missedFrom);
    await waitFor(() => member.outputs > 0 && member.expected >= room.streamOffset, 'the missed output');
    assert.equal(member.snapshots, 1, 'no second snapshot: the gap was filled from the history');
    assert.deepEqual(member.violations, [], 'the stream continued at exactly the offset the member asked for, without gaps or repeats');
    await sameAsMirror(server, created.id, member, () => member.expected);
  } finally {
    member.drop();
    await server.close();
  }
});

test('back after 5 s when the history no longer holds the offset: a fresh snapshot, then the live stream', async () => {
  const server = await startServer({ command: TICKER, resumeBufferUnits: TINY_RESUME_BUFFER_UNITS });
  const member = new ResumingMember();
  try {
    const created = await server.createRoom();
    const missedFrom = await member.joinThenGoAway(server.url, created.id);
    await member.connect(server.url, created.id, missedFrom);
    await waitFor(() => member.snapshots === 2, 'a fresh snapshot');
    assert.deepEqual(member.violations, []);
    await sameAsMirror(server, created.id, member, () => member.expected);
  } finally {
    member.drop();
    await server.close();
  }
});

test('resumeFrom beyond the end of the stream is not trusted: a snapshot instead', async () => {
  const server = await startServer({ command: TICKER });
  const member = new ResumingMember();
  try {
    const created = await server.createRoom();
    await member.connect(server.url, created.id, 1e12);
    await waitFor(() => member.snapshots > 0, 'the snapshot');
    assert.equal(member.snapshots, 1);
    assert.ok(member.expected < 1e12);
    await waitFor(() => member.outputs > 2, 'live output after the snapshot');
    assert.deepEqual(member.violations, []);
  } finally {
    member.drop();
    await server.close();
  }
});

test('RoomClient resumes by itself after its connection drops: no new snapshot, nothing missed', async () => {
  const server = await startServer({ command: TICKER });
  const sink = new HeadlessSink();
  const socket: ClientSocket = io(server.url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
  const client = new RoomClient(socket, sink, { roomId: (await server.createRoom()).id });
  const roomId = server.app.rooms.list()[0]!.id;
  try {
    const joins: number[] = [];
    client.onJoined(() => joins.push(Date.now()));
    await waitFor(() => joins.length === 1 && client.parsedOffset > 200, 'the first join and some ticks');
    // The transport dies under the client (a network drop); socket.io reconnects by itself.
    socket.io.engine.close();
    await waitFor(() => joins.length === 2, 'the automatic rejoin');
    await waitFor(() => client.parsedOffset > 0 && client.state === 'connected', 'the stream to continue');
    assert.equal(sink.replaces, 1, 'the rejoin resumed the stream instead of taking a new snapshot');
    await sameAsMirror(server, roomId, sink, () => client.parsedOffset);
  } finally {
    client.dispose();
    await server.close();
  }
});
