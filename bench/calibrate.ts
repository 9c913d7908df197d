// Calibration: how fast this machine reads a PTY, parses terminal output in a headless xterm, and moves WebSocket
// messages over loopback — the ceilings every system's throughput is bounded by, measured in the same run.

import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import WebSocket, { WebSocketServer } from 'ws';
import { makeTerminal } from '../test/helpers/screens.js';
import { mixedBlock } from './workloadProgram.mjs';
import { floodBytes, uniqueMarker } from './workloads.js';

const PROGRAM = fileURLToPath(new URL('./workloadProgram.mjs', import.meta.url));
/** One WebSocket message: large, like a batch of terminal output, so the rate is the transport's and not per-message cost. */
const WS_MESSAGE_BYTES = 1024 * 1024;
/** Blocks (64 KiB each) handed to xterm before waiting for it to parse them: 8 MiB, well under its 50 MB discard limit. */
const PARSE_PENDING_BLOCKS = 128;
/** Any calibration step that takes longer than this is broken, not slow. */
const STEP_TIMEOUT_MS = 120_000;

export interface Calibration {
  /** Median round trip of a key through a PTY running `cat` and back, in-process: the floor under every echo figure. */
  ptyEchoMs: number;
  ptyMBps: number;
  parseMBps: number;
  webSocketMBps: number;
}

const MB = 1e6;

/** Reads `bytes` of the mixed flood from a PTY and throws it away; MB/s from spawn to the marker. */
async function ptyRate(bytes: number): Promise<number> {
  const marker = uniqueMarker('calibrate-pty');
  const started = performance.now();
  const child = pty.spawn(process.execPath, [PROGRAM, 'flood', String(bytes), marker], { cols: 80, rows: 24, name: 'xterm-256color' });
  let tail = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('PTY calibration timed out')), STEP_TIMEOUT_MS);
      child.onData((data) => {
        tail = (tail + data).slice(-marker.length * 2);
        if (tail.includes(marker)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return floodBytes(bytes) / MB / ((performance.now() - started) / 1000);
  } finally {
    child.kill('SIGKILL');
  }
}

/** Probes for the PTY echo floor: enough for a stable median in well under a second. */
const ECHO_PROBES = 200;

async function ptyEcho(): Promise<number> {
  const child = pty.spawn('cat', [], { cols: 80, rows: 24, name: 'xterm-256color' });
  const latencies: number[] = [];
  try {
    for (let i = 0; i < ECHO_PROBES; i++) {
      const token = `c${i}x`;
      const sent = performance.now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('PTY echo calibration timed out')), STEP_TIMEOUT_MS);
        let seen = '';
        const listener = child.onData((data) => {
          seen += data;
          if (seen.includes(token)) {
            clearTimeout(timer);
            listener.dispose();
            resolve();
          }
        });
        child.write(token);
      });
      latencies.push(performance.now() - sent);
    }
  } finally {
    child.kill('SIGKILL');
  }
  latencies.sort((a, b) => a - b);
  return latencies[Math.floor(latencies.length / 2)]!;
}

/** Parses the same flood in a headless xterm configured like ttyroom's mirror; MB/s (bytes as UTF-8). */
async function parseRate(bytes: number): Promise<number> {
  const block = mixedBlock();
  const blocks = Math.ceil(bytes / Buffer.byteLength(block));
  const terminal = makeTerminal(80, 24, 10_000);
  const started = performance.now();
  for (let i = 0; i < blocks; i++) {
    // xterm discards writes past 50 MB pending: wait for the parser every few MB, as a flow-controlled reader does.
    if (i % PARSE_PENDING_BLOCKS === PARSE_PENDING_BLOCKS - 1) await new Promise<void>((resolve) => terminal.write(block, resolve));
    else terminal.write(block);
  }
  await new Promise<void>((resolve) => terminal.write('', resolve));
  const seconds = (performance.now() - started) / 1000;
  terminal.dispose();
  return (blocks * Buffer.byteLength(block)) / MB / seconds;
}

/** A ws server on 127.0.0.1:0 sends `bytes` in 1 MiB messages to one client; MB/s until the client has them all. */
async function webSocketRate(bytes: number): Promise<number> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const message = Buffer.alloc(WS_MESSAGE_BYTES, 'x');
  const count = Math.ceil(bytes / WS_MESSAGE_BYTES);
  try {
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    const [socket] = (await once(server, 'connection')) as [WebSocket];
    await once(client, 'open');
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('WebSocket calibration timed out')), STEP_TIMEOUT_MS);
      client.on('message', (data: Buffer) => {
        received += data.length;
        if (received >= count * WS_MESSAGE_BYTES) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const started = performance.now();
    for (let i = 0; i < count; i++) socket.send(message);
    await done;
    const seconds = (performance.now() - started) / 1000;
    client.close();
    return (count * WS_MESSAGE_BYTES) / MB / seconds;
  } finally {
    for (const client of server.clients) client.terminate();
    server.close();
  }
}

export async function calibrate(bytes: number): Promise<Calibration> {
  return { ptyEchoMs: await ptyEcho(), ptyMBps: await ptyRate(bytes), parseMBps: await parseRate(bytes), webSocketMBps: await webSocketRate(bytes) };
}
