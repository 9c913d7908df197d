// ttyroom's benchmark members: a full one (socket.io-client + headless xterm, like a browser) and a light one that
// speaks engine.io v4 / socket.io v5 framing by hand over `ws` and only scans the stream, so one process holds thousands.

import { withTimeout } from './timing.js';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { ClientToServerEvents, JoinReply, ServerToClientEvents } from '../server/shared/events.js';
import { makeTerminal, type HeadlessTerminal } from '../test/helpers/screens.js';
import { nextLoopbackAddress } from './loopbackAddresses.js';
import { StreamScanner } from './streamScanner.js';
import { AckPolicy } from '../server/shared/flowControl.js';
import type { Writer } from './system.js';

/** How long a member may take to connect and get its join snapshot, even on a loaded machine. */
const JOIN_TIMEOUT_MS = 30_000;

export interface FullMember extends Writer {
  /** The visible screen's lines once everything received so far is parsed. */
  screen(): Promise<string[]>;
  /** Snapshots received: more than one means the server cut this member off and redrew it. */
  snapshots(): number;
}

/** A socket.io-client member whose headless xterm applies snapshot, output and resize in stream order. */
export async function joinFullMember(url: string, roomId: string, token: string, scrollback: number): Promise<FullMember> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    // Passed on to `ws`, hence to net.connect: spreads members over loopback addresses (see loopbackAddresses.ts).
    localAddress: nextLoopbackAddress(),
  } as Parameters<typeof io>[1]);
  const scanner = new StreamScanner();
  let terminal: HeadlessTerminal = makeTerminal(80, 24, scrollback);
  let received = 0;
  let snapshots = 0;
  let joined!: () => void;
  const gotSnapshot = new Promise<void>((resolve) => {
    joined = resolve;
  });
  // Acks what its terminal has parsed, as a browser does (AckPolicy): the server then paces it by its parser, and
  // cuts it off and redraws it when it falls too far behind, instead of piling the stream up in its xterm.
  let parsed = 0;
  let acked = 0;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  const ack = (): void => {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    if (parsed === acked) return;
    acked = parsed;
    socket.emit('term:ack', { offset: parsed });
  };
  const parsedUpTo = (offset: number, force: boolean): void => {
    parsed = offset;
    if (force || parsed - acked >= AckPolicy.MaxUnackedUnits) ack();
    else ackTimer ??= setTimeout(ack, AckPolicy.MaxDelayMs);
  };
  socket.on('term:snapshot', (snapshot) => {
    const at = performance.now();
    terminal.dispose();
    terminal = makeTerminal(snapshot.cols, snapshot.rows, scrollback);
    terminal.write(snapshot.data, () => parsedUpTo(snapshot.offset, true));
    received += snapshot.data.length;
    snapshots++;
    scanner.push(Buffer.from(snapshot.data).toString('utf8'), at);
    joined();
  });
  socket.on('term:output', ({ offset, data }) => {
    const at = performance.now();
    const target = terminal;
    target.write(data, () => {
      if (target === terminal) parsedUpTo(offset + data.length, false);
    });
    received += data.length;
    scanner.push(data, at);
  });
  socket.on('term:resize', ({ cols, rows }) => {
    const target = terminal;
    target.write('', () => target.resize(cols, rows));
  });
  try {
    await withTimeout(new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    }), JOIN_TIMEOUT_MS, 'connect');
    const reply: JoinReply = await withTimeout(socket.emitWithAck('room:join', { roomId, token, acks: true }), JOIN_TIMEOUT_MS, 'room:join');
    if (!reply.ok) throw new Error(`room:join refused: ${reply.code} ${reply.message}`);
    await withTimeout(gotSnapshot, JOIN_TIMEOUT_MS, 'the join snapshot');
  } catch (error) {
    // A member that never joined is nobody's to close: do it here, or it stays connected.
    socket.close();
    terminal.dispose();
    throw error;
  }
  // engine.io-client's WebSocket transport holds a `ws` WebSocket in Node; pausing it stops reading the TCP socket.
  const rawSocket = (): WebSocket | undefined => (socket.io.engine as unknown as { transport?: { ws?: WebSocket } }).transport?.ws;
  return {
    waitFor: (text, timeoutMs) => scanner.waitFor(text, timeoutMs, 'a full member'),
    received: () => received,
    type: (data) => {
      socket.emit('term:input', data);
    },
    pause: () => rawSocket()?.pause(),
    resume: () => rawSocket()?.resume(),
    screen: async () => {
      const current = terminal;
      await new Promise<void>((resolve) => current.write('', resolve));
      const buffer = current.buffer.active;
      const lines: string[] = [];
      for (let y = 0; y < current.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
      return lines;
    },
    snapshots: () => snapshots,
    close: async () => {
      clearTimeout(ackTimer);
      socket.close();
      terminal.dispose();
    },
  };
}

/** engine.io packet types (the first character of a text frame) and socket.io's (the second, after "4"). */
const EIO = { Open: '0', Ping: '2', Pong: '3', Message: '4' } as const;
const OUTPUT_FRAME = '42["term:output",';
/** A snapshot's header: its screen follows as one binary message (socket.io's binary attachment). */
const SNAPSHOT_FRAME = '451-["term:snapshot",';
const DATA_KEY = '"data":"';
/** What ends a frame whose payload object has `data` last: the closing quote, brace and bracket. */
const DATA_LAST_END = '"}]';

/**
 * The `data` string of an output or snapshot frame, still JSON-escaped: markers are letters, digits and dashes, which
 * read the same escaped, and skipping JSON.parse keeps a light member's cost to one substring and one scan.
 */
function escapedData(frame: string): string {
  if (frame.endsWith(DATA_LAST_END)) {
    const start = frame.indexOf(DATA_KEY);
    if (start >= 0) return frame.slice(start + DATA_KEY.length, -DATA_LAST_END.length);
  }
  const [, payload] = JSON.parse(frame.slice(2)) as [string, { data?: string }];
  return payload.data ?? '';
}

/**
 * A member over a raw WebSocket: answers pings, joins with an ack, types when its token lets it, and scans output
 * for markers without parsing the terminal stream. It scans JSON-escaped text, so `waitFor` texts must be plain (no quotes, backslashes or control
 * characters); `received()` counts the escaped characters of output data (code units for plain text).
 */
export async function joinLightMember(url: string, roomId: string, token: string): Promise<Writer> {
  const { host } = new URL(url);
  // No Origin header (a non-browser client is allowed); Host stays the server's address, as the origin gate wants.
  const ws = new WebSocket(`ws://${host}/socket.io/?EIO=4&transport=websocket`, { localAddress: nextLoopbackAddress(), perMessageDeflate: false });
  const scanner = new StreamScanner();
  let received = 0;
  let closed = false;
  const joined = new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.once('close', (code) => {
      closed = true;
      reject(new Error(`closed (${code}) before the join snapshot`));
    });
    let snapshotFollows = false;
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      const at = performance.now();
      if (isBinary) {
        if (!snapshotFollows) return;
        snapshotFollows = false;
        const screen = raw.toString('utf8');
        received += screen.length;
        scanner.push(screen, at);
        resolve();
        return;
      }
      const frame = raw.toString('utf8');
      if (frame.startsWith(OUTPUT_FRAME)) {
        const data = escapedData(frame);
        received += data.length;
        scanner.push(data, at);
      } else if (frame.startsWith(SNAPSHOT_FRAME)) {
        snapshotFollows = true;
      } else if (frame === EIO.Ping) {
        ws.send(EIO.Pong);
      } else if (frame.startsWith(EIO.Open)) {
        ws.send(`${EIO.Message}0`);
      } else if (frame.startsWith('40')) {
        ws.send(`${EIO.Message}20${JSON.stringify(['room:join', { roomId, token }])}`);
      } else if (frame.startsWith('430')) {
        const reply = (JSON.parse(frame.slice(3)) as [JoinReply])[0];
        if (!reply.ok) reject(new Error(`room:join refused: ${reply.code} ${reply.message}`));
      }
    });
  });
  await withTimeout(joined, JOIN_TIMEOUT_MS, 'a light member to join').catch((error: unknown) => {
    ws.terminate();
    throw error;
  });
  return {
    waitFor: (text, timeoutMs) => scanner.waitFor(text, timeoutMs, 'a light member'),
    received: () => received,
    type: (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(`${EIO.Message}2${JSON.stringify(['term:input', data])}`);
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close: async () => {
      if (closed) return;
      const gone = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.close();
      await withTimeout(gone, JOIN_TIMEOUT_MS, 'a light member to close').catch(() => ws.terminate());
    },
  };
}

