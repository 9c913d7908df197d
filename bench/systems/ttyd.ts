// ttyd (only from a TTYD_BIN path; never downloaded or built) as a peer: every WebSocket spawns a pty running `tmux attach` to the shared session. Untested here: no ttyd on this machine.

import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import headless from '@xterm/headless';
import WebSocket from 'ws';
import type { BenchSystem, Session, Viewer, ViewerKind, Workload, Writer } from '../system.js';
import {
  asLatin1Bytes, endProcess, freePort, isAlive, MarkerScanner, processTree, ServerProcess, tmuxAvailable, TmuxServer, tmuxEnv,
} from './peerSupport.js';
import { withTimeout } from '../timing.js';

const { Terminal } = headless;

/** ttyd's command is fixed at its start, so it always attaches to this one session name. */
const SESSION_NAME = 'bench';
const TTYD_START_TIMEOUT_MS = 10_000;
/** Connecting, ttyd spawning the pty, and tmux drawing the first screen. */
const JOIN_TIMEOUT_MS = 10_000;
const TTYD_EXIT_GRACE_MS = 2_000;
const CLIENT_EXIT_GRACE_MS = 1_000;
/** `ttyd --version` answers at once. */
const VERSION_TIMEOUT_MS = 5_000;

/** ttyd 1.7's message types: the first byte of every WebSocket message (html/src/components/terminal/xterm/index.ts). */
const Command = {
  // Server to client.
  Output: '0',
  SetWindowTitle: '1',
  SetPreferences: '2',
  // Client to server.
  Input: '0',
  ResizeTerminal: '1',
  Pause: '2',
  Resume: '3',
} as const;

/**
 * ttyd's browser flow control for a full viewer: every `limit` bytes one write waits for xterm's callback;
 * past `highWater` such writes pending it sends PAUSE, below `lowWater` RESUME (ttyd's own defaults).
 */
const FlowControl = { limit: 100_000, highWater: 10, lowWater: 4 } as const;

/** One WebSocket to ttyd, speaking its `tty` subprotocol. received() counts bytes of terminal output. */
class TtydViewer implements Writer {
  private readonly scanner = new MarkerScanner();
  private readonly xterm: InstanceType<typeof Terminal> | undefined;
  private written = 0;
  private pending = 0;
  private closed = false;

  private constructor(private readonly ws: WebSocket, kind: ViewerKind, size: { cols: number; rows: number }, readonly label: string) {
    this.xterm = kind === 'full' ? new Terminal({ cols: size.cols, rows: size.rows, allowProposedApi: true }) : undefined;
    ws.on('message', (message: Buffer) => {
      if (message.length === 0 || String.fromCharCode(message[0]!) !== Command.Output) return;
      const payload = message.subarray(1);
      this.scanner.feed(payload.toString('latin1'), payload.length);
      if (this.xterm) this.parse(payload);
    });
    ws.on('close', (code) => this.scanner.fail(`${label}: WebSocket closed (${code})`));
  }

  static async connect(port: number, kind: ViewerKind, size: { cols: number; rows: number }, label: string): Promise<TtydViewer> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['tty']);
    const viewer = new TtydViewer(ws, kind, size, label);
    const attached = new Promise<void>((resolve, reject) => {
      ws.once('error', (error) => reject(new Error(`${label}: ${error.message}`)));
      ws.once('close', (code) => reject(new Error(`${label}: ttyd closed the WebSocket (${code})`)));
      ws.once('open', () => {
        // The first message spawns the pty at this size (no credential is configured, so the token is empty).
        ws.send(Buffer.from(JSON.stringify({ AuthToken: '', columns: size.cols, rows: size.rows })));
      });
      const firstOutput = (message: Buffer): void => {
        if (message.length > 0 && String.fromCharCode(message[0]!) === Command.Output) {
          ws.off('message', firstOutput);
          resolve();
        }
      };
      ws.on('message', firstOutput);
    });
    try {
      await withTimeout(attached, JOIN_TIMEOUT_MS, `${label}: joining ttyd`);
    } catch (error) {
      await viewer.close();
      throw error;
    }
    return viewer;
  }

  private parse(payload: Buffer): void {
    const xterm = this.xterm!;
    this.written += payload.length;
    if (this.written <= FlowControl.limit) {
      xterm.write(payload);
      return;
    }
    this.written = 0;
    this.pending++;
    xterm.write(payload, () => {
      this.pending = Math.max(this.pending - 1, 0);
      if (this.pending < FlowControl.lowWater) this.send(Command.Resume);
    });
    if (this.pending > FlowControl.highWater) this.send(Command.Pause);
  }

  private send(command: string, data = ''): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from(command + data, 'utf8'));
  }

  waitFor(text: string, timeoutMs: number): Promise<number> {
    return this.scanner.waitFor(asLatin1Bytes(text), timeoutMs, this.label);
  }

  received(): number {
    return this.scanner.received();
  }

  /**
   * Stops reading the TCP socket, as a frozen browser would. ttyd pings (libwebsockets, `--ping-interval`,
   * 5 s by default) and may hang up on a viewer paused longer: that is ttyd's own behaviour towards it.
   */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  type(data: string): void {
    this.send(Command.Input, data);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ws.resume();
    this.ws.terminate();
    this.xterm?.dispose();
  }
}

class TtydSession implements Session {
  private readonly viewers: TtydViewer[] = [];
  private closed = false;

  constructor(
    private readonly system: TtydSystem,
    private readonly port: number,
    private readonly size: { cols: number; rows: number },
    readonly writer: TtydViewer,
  ) {}

  async addViewers(count: number, kind: ViewerKind): Promise<Viewer[]> {
    const added: TtydViewer[] = [];
    for (let i = 0; i < count; i++) {
      const viewer = await TtydViewer.connect(this.port, kind, this.size, `ttyd viewer ${this.viewers.length + 1}`);
      this.viewers.push(viewer);
      added.push(viewer);
    }
    return added;
  }

  serverPids(): number[] {
    return this.system.serverPids();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const clients = this.system.clientPids();
    await Promise.all([this.writer, ...this.viewers].map((viewer) => viewer.close()));
    // ttyd kills each pty when its WebSocket closes; the tmux clients must be gone before the name is reused.
    await Promise.all(clients.map((pid) => endProcess(pid, CLIENT_EXIT_GRACE_MS, 'SIGHUP')));
    await this.system.sessionClosed();
  }
}

export class TtydSystem implements BenchSystem {
  readonly name = 'ttyd';
  private readonly tmux = new TmuxServer();
  private ttyd: { process: ServerProcess; port: number } | undefined;
  private open: TtydSession | undefined;

  private get bin(): string | undefined {
    return process.env.TTYD_BIN || undefined;
  }

  async available(): Promise<true | string> {
    const bin = this.bin;
    if (bin === undefined) return 'TTYD_BIN not set (ttyd is not in Debian; the benchmark never downloads or builds it)';
    try {
      accessSync(bin, constants.X_OK);
    } catch {
      return `TTYD_BIN=${bin} is not an executable file`;
    }
    const version = await ttydVersion(bin);
    if (typeof version === 'string') return version;
    if (version.major !== 1 || version.minor < 7) return `ttyd ${version.text}: the protocol used here is ttyd 1.7's`;
    return tmuxAvailable();
  }

  async start(workload: Workload, size: { cols: number; rows: number }): Promise<Session> {
    if (this.open) throw new Error('ttyd: one session at a time (its command attaches to one fixed tmux session)');
    await this.tmux.newSession(workload, size, SESSION_NAME);
    const { port } = await this.server();
    const writer = await TtydViewer.connect(port, 'full', size, 'ttyd writer');
    this.open = new TtydSession(this, port, size, writer);
    return this.open;
  }

  /** ttyd and every pty it spawned (one `tmux attach` per viewer), plus the tmux server. */
  serverPids(): number[] {
    const tmux = this.tmux.serverPid();
    const ttyd = this.ttyd?.process.pid;
    return [...(tmux !== undefined && isAlive(tmux) ? [tmux] : []), ...(ttyd !== undefined ? processTree(ttyd) : [])];
  }

  clientPids(): number[] {
    const ttyd = this.ttyd?.process.pid;
    return ttyd === undefined ? [] : processTree(ttyd).filter((pid) => pid !== ttyd);
  }

  async sessionClosed(): Promise<void> {
    this.open = undefined;
    await this.tmux.killSession(SESSION_NAME);
  }

  async dispose(): Promise<void> {
    await this.open?.close();
    if (this.ttyd) {
      const clients = this.clientPids();
      await this.ttyd.process.stop(TTYD_EXIT_GRACE_MS);
      await Promise.all(clients.map((pid) => endProcess(pid, CLIENT_EXIT_GRACE_MS, 'SIGHUP')));
      this.ttyd = undefined;
    }
    await this.tmux.dispose();
  }

  private async server(): Promise<{ process: ServerProcess; port: number }> {
    if (this.ttyd) return this.ttyd;
    const bin = this.bin;
    if (bin === undefined) throw new Error('ttyd: TTYD_BIN not set');
    const version = await ttydVersion(bin);
    if (typeof version === 'string') throw new Error(version);
    // Since 1.7.4 ttyd is read-only unless -W; before, -W did not exist and clients could always type.
    const writable = version.minor > 7 || version.patch >= 4 ? ['-W'] : [];
    const port = await freePort();
    const process_ = new ServerProcess('ttyd', [bin, '-i', '127.0.0.1', '-p', String(port), ...writable,
      ...this.tmux.attachCommand(SESSION_NAME, false)], tmuxEnv());
    try {
      await process_.waitUntilListening(`http://127.0.0.1:${port}/`, TTYD_START_TIMEOUT_MS);
    } catch (error) {
      await process_.stop(TTYD_EXIT_GRACE_MS);
      throw error;
    }
    this.ttyd = { process: process_, port };
    return this.ttyd;
  }
}

/** `ttyd --version` ("ttyd version 1.7.7-40e79c7"), or why it could not be read. */
function ttydVersion(bin: string): Promise<{ major: number; minor: number; patch: number; text: string } | string> {
  return new Promise((resolve) => {
    execFile(bin, ['--version'], { timeout: VERSION_TIMEOUT_MS }, (error, stdout, stderr) => {
      const text = `${stdout}${stderr}`.trim();
      const match = /(\d+)\.(\d+)\.(\d+)/.exec(text);
      if (error && !match) resolve(`TTYD_BIN=${bin} --version failed: ${error.message}`);
      else if (!match) resolve(`TTYD_BIN=${bin} --version: no version in ${JSON.stringify(text)}`);
      else resolve({ major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), text: match[0] });
    });
  });
}
