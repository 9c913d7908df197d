// E1/E2: a flood with one frozen member: bounded server memory, healthy members stay current, Ctrl-C gets through.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, JoinReply, ServerToClientEvents } from '../../server/shared/events.js';
import { MemberFlowControl } from '../../server/shared/flowControl.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { createRoomAt, processMemory, startServerProcess, TEST_SHELL_LINE } from '../helpers/serverProcess.js';
import { makeTerminal, type HeadlessTerminal } from '../helpers/screens.js';
import { waitFor } from '../helpers/wait.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const FLOOD = fileURLToPath(new URL('../fixtures/outputFlood.mjs', import.meta.url));
/**
 * A few hundred megabytes in `npm test`; E1's full gigabyte (docs/properties.md) is the same test with
 * TTYROOM_FLOOD_MB=1024 (about a minute).
 */
const FLOOD_MEGABYTES = Number(process.env.TTYROOM_FLOOD_MB ?? 256);
/**
 * Peak server memory over its idle baseline. Measured: about +110 MiB with flow control, +626 MiB for 256 MB
 * without it (the frozen member's queue holds the whole flood, as strings and as frames).
 */
const MAX_GROWTH_BYTES = 160 * 1024 * 1024;
/** E1: healthy viewers end less than a second behind. */
const MAX_FINAL_LAG_MS = 1_000;
/** E2: the prompt is back on every healthy screen within two seconds of Ctrl-C. */
const MAX_INTERRUPT_MS = 2_000;

async function connect(url: string): Promise<ClientSocket> {
  const socket: ClientSocket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

async function join(socket: ClientSocket, request: Parameters<ClientToServerEvents['room:join']>[0]): Promise<void> {
  const reply: JoinReply = await socket.emitWithAck('room:join', request);
  assert.ok(reply.ok, `join refused: ${JSON.stringify(reply)}`);
}

/** A member that takes everything in at once and acks it: what "healthy" means. Watches the flood's markers. */
class HealthyMember {
  received = 0;
  cutOffs = 0;
  lastTimestamp = 0;
  doneLagMs: number | undefined;
  maxLagMs = 0;
  private tail = '';

  constructor(readonly socket: ClientSocket) {
    socket.on('term:output', ({ offset, data }) => {
      this.received += data.length;
      this.scan(data);
      socket.emit('term:ack', { offset: offset + data.length });
    });
    socket.on('term:snapshot', ({ data }) => this.scan(Buffer.from(data).toString('utf8')));
    socket.on('term:behind', () => this.cutOffs++);
  }

  private scan(data: string): void {
    const text = this.tail + data;
    const now = Date.now();
    for (const match of text.matchAll(/@@(TS|DONE) (\d+)\r?\n/g)) {
      const lag = now - Number(match[2]);
      this.maxLagMs = Math.max(this.maxLagMs, lag);
      if (match[1] === 'DONE') this.doneLagMs ??= lag;
    }
    this.tail = text.slice(-32);
  }
}

test(`a ${FLOOD_MEGABYTES} MB flood with a frozen member: server memory stays bounded, healthy members end under 1 s behind, the frozen one is resynced`, async (t) => {
  const dataDir = mkdtempSync(joinPath(tmpdir(), 'ttyroom-flood-'));
  const server = await startServerProcess(['serve', '--port', '0', '--data-dir', dataDir, '--cwd', dataDir, '--command', TEST_SHELL_LINE]);
  const sockets: ClientSocket[] = [];
  try {
    const room = await createRoomAt(server.url);
    const writer = new HealthyMember(await connect(server.url));
    const viewer = new HealthyMember(await connect(server.url));
    sockets.push(writer.socket, viewer.socket);
    await join(writer.socket, { roomId: room.id, token: room.writeToken, acks: true });
    await join(viewer.socket, { roomId: room.id, acks: true });

    // The frozen member joins, then its socket stops being read: the kernel buffers fill and the server's back up.
    const frozen = await connect(server.url);
    sockets.push(frozen);
    let frozenReceived = 0;
    let frozenBehind = 0;
    let frozenSnapshots = 0;
    let frozenScreen = '';
    frozen.on('term:output', ({ data }) => {
      frozenReceived += data.length;
      // What the resync brings: its snapshot, then the stream from the snapshot's offset.
      if (frozenSnapshots > 1) frozenScreen += data;
    });
    frozen.on('term:behind', () => frozenBehind++);
    frozen.on('term:snapshot', ({ data }) => {
      frozenSnapshots++;
      frozenScreen = Buffer.from(data).toString('utf8');
    });
    await join(frozen, { roomId: room.id });
    const netSocket = (frozen.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
    netSocket.pause();

    const baseline = processMemory(server.child.pid!).rss;
    writer.socket.emit('term:input', `${process.execPath} ${FLOOD} ${FLOOD_MEGABYTES}\r`);
    await waitFor(() => writer.doneLagMs !== undefined && viewer.doneLagMs !== undefined, 'both healthy members to see the end of the flood', 180_000, 50);
    const { peak } = processMemory(server.child.pid!);
    const growth = peak - baseline;
    t.diagnostic(`server rss baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB (+${(growth / 2 ** 20).toFixed(0)} MiB)`);
    t.diagnostic(`healthy lag at the end: writer ${writer.doneLagMs} ms, viewer ${viewer.doneLagMs} ms; worst during the flood ${Math.max(writer.maxLagMs, viewer.maxLagMs)} ms; cut-offs ${writer.cutOffs + viewer.cutOffs}`);
    assert.ok(writer.received > FLOOD_MEGABYTES * 2 ** 20, 'the writer saw the whole flood live');
    assert.ok(growth < MAX_GROWTH_BYTES, `server memory grew by ${growth} bytes, bound ${MAX_GROWTH_BYTES}`);
    assert.ok(writer.doneLagMs! < MAX_FINAL_LAG_MS, `writer ended ${writer.doneLagMs} ms behind`);
    assert.ok(viewer.doneLagMs! < MAX_FINAL_LAG_MS, `viewer ended ${viewer.doneLagMs} ms behind`);

    // Reading again, the frozen member drains what was queued, then gets a fresh snapshot with the end on it.
    netSocket.resume();
    await waitFor(() => frozen.disconnected || (frozenSnapshots > 1 && frozenScreen.includes('@@DONE')), 'the frozen member to be resynced up to the end (or dropped)', 60_000, 50);
    t.diagnostic(`frozen member: ${(frozenReceived / 2 ** 20).toFixed(1)} Mi units of output, ${frozenBehind} cut-off(s), ${frozenSnapshots} snapshot(s), disconnected ${frozen.disconnected}`);
    assert.ok(frozenBehind >= 1 || frozen.disconnected, 'the frozen member was cut off from the live stream');
    assert.ok(frozenReceived < FLOOD_MEGABYTES * 2 ** 20 / 4, `the frozen member was not sent the flood (${frozenReceived} units)`);
  } finally {
    for (const socket of sockets) socket.close();
    server.stop();
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** A member that parses like a browser does and acks what it parsed. */
function screenMember(socket: ClientSocket): { terminal: () => HeadlessTerminal; text: () => string } {
  let terminal = makeTerminal(80, 24, 100);
  socket.on('term:snapshot', ({ cols, rows, data, offset }) => {
    terminal.dispose();
    terminal = makeTerminal(cols, rows, 100);
    terminal.write(data, () => socket.emit('term:ack', { offset }));
  });
  socket.on('term:output', ({ offset, data }) => {
    terminal.write(data, () => socket.emit('term:ack', { offset: offset + data.length }));
  });
  socket.on('term:resize', ({ cols, rows }) => {
    const target = terminal;
    target.write('', () => target.resize(cols, rows));
  });
  const text = (): string => {
    const buffer = terminal.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < terminal.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return lines.join('\n');
  };
  return { terminal: () => terminal, text };
}

test('Ctrl-C during `yes` with a frozen member: the prompt is back on every healthy screen within 2 s', async (t) => {
  const dataDir = mkdtempSync(joinPath(tmpdir(), 'ttyroom-flood-'));
  const server = await startServerProcess(['serve', '--port', '0', '--data-dir', dataDir, '--cwd', dataDir, '--command', TEST_SHELL_LINE]);
  const sockets: ClientSocket[] = [];
  try {
    const room = await createRoomAt(server.url);
    const writerSocket = await connect(server.url);
    const viewerSocket = await connect(server.url);
    const frozen = await connect(server.url);
    sockets.push(writerSocket, viewerSocket, frozen);
    const writer = screenMember(writerSocket);
    const viewer = screenMember(viewerSocket);
    await join(writerSocket, { roomId: room.id, token: room.writeToken, acks: true });
    await join(viewerSocket, { roomId: room.id, acks: true });
    await join(frozen, { roomId: room.id });
    (frozen.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws._socket.pause();

    writerSocket.emit('term:input', "PS1='READY-$((40+2))> '\r");
    await waitFor(() => writer.text().includes('READY-42> '), 'the prompt');
    let outputDuringFlood = 0;
    writerSocket.on('term:output', ({ data }) => {
      outputDuringFlood += data.length;
    });
    writerSocket.emit('term:input', 'yes\r');
    // Long enough for every queue on the way to be full: the pty, the mirror's and the frozen member's.
    await waitFor(() => outputDuringFlood > 4 * MemberFlowControl.BudgetUnits, 'the flood to be under way', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const pressed = Date.now();
    writerSocket.emit('term:input', '\x03');
    const promptBack = (text: string): boolean => /\^C\s*\n?READY-42> $/m.test(text.trimEnd() + ' ') || text.trimEnd().endsWith('READY-42>');
    await waitFor(() => promptBack(writer.text()) && promptBack(viewer.text()), 'the prompt on both healthy screens', 10_000, 5);
    const latency = Date.now() - pressed;
    t.diagnostic(`Ctrl-C to prompt on both healthy screens: ${latency} ms (after ${(outputDuringFlood / 2 ** 20).toFixed(0)} Mi units of yes)`);
    assert.ok(latency < MAX_INTERRUPT_MS, `prompt back after ${latency} ms`);
  } finally {
    for (const socket of sockets) socket.close();
    server.stop();
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
