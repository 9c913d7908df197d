// ttyd (only from a TTYD_BIN path; never downloaded or built) as two peers: `ttyd` runs the workload in its own pty per
// connection (one member, no shared screen), `ttyd+tmux` runs `tmux attach` to a shared session per connection.

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

const TTYD_START_TIMEOUT_MS = 10_000;
/** Connecting, ttyd spawning the pty, and the program (or tmux) writing its first output. */
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

/**
 * Whether viewers offer permessage-deflate. A browser would, and ttyd's libwebsockets accepts it; but `ws` inflates
 * on Node's threadpool, a hop a browser does not make, which measured here doubled ttyd's echo p50 (0.45 → 0.8 ms)
 * and would put a load-generator cost on ttyd's side of every ratio. ttyd is compared at its fastest: uncompressed,
 * like ttyroom's socket.io (perMessageDeflate off).
 */
const OFFER_DEFLATE = false;

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

  /**
   * Connects and resolves once attached: `readyOn` 'output' waits for the first output (a `tmux attach` drew the
   * screen, so it is a client of the session); 'spawned' for the preferences ttyd sends right after spawning the
   * pty (a program such as `cat` prints nothing until typed to).
   */
  static async connect(port: number, kind: ViewerKind, size: { cols: number; rows: number }, label: string,
    readyOn: 'output' | 'spawned'): Promise<TtydViewer> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['tty'], { perMessageDeflate: OFFER_DEFLATE });
    const viewer = new TtydViewer(ws, kind, size, label);
    const readyCommand = readyOn === 'output' ? Command.Output : Command.SetPreferences;
    const attached = new Promise<void>((resolve, reject) => {
      ws.once('error', (error) => reject(new Error(`${label}: ${error.message}`)));
      ws.once('close', (code) => reject(new Error(`${label}: ttyd closed the WebSocket (${code})`)));
      ws.once('open', () => {
        // The first message spawns the pty at this size (no credential is configured, so the token is empty).
        ws.send(Buffer.from(JSON.stringify({ AuthToken: '', columns: size.cols, rows: size.rows })));
      });
      const ready = (message: Buffer): void => {
        if (message.length > 0 && String.fromCharCode(message[0]!) === readyCommand) {
          ws.off('message', ready);
          resolve();
        }
      };
      ws.on('message', ready);
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

/** One ttyd process, started for one session: its command (fixed when it starts) is that session's program or `tmux attach`. */
class TtydServer {
  private constructor(readonly process: ServerProcess, readonly port: number) {}

  static async start(bin: string, command: string[]): Promise<TtydServer> {
    const version = await ttydVersion(bin);
    if (typeof version === 'string') throw new Error(version);
    // Since 1.7.4 ttyd is read-only unless -W; before, -W did not exist and clients could always type.
    const writable = version.minor > 7 || version.patch >= 4 ? ['-W'] : [];
    const port = await freePort();
    const server = new ServerProcess('ttyd', [bin, '-i', '127.0.0.1', '-p', String(port), ...writable, ...command], tmuxEnv());
    try {
      const headers = await server.waitUntilListening(`http://127.0.0.1:${port}/`, TTYD_START_TIMEOUT_MS);
      TtydSystem.serverHeader = headers.get('server') ?? TtydSystem.serverHeader;
    } catch (error) {
      await server.stop(TTYD_EXIT_GRACE_MS);
      throw error;
    }
    return new TtydServer(server, port);
  }

  /** ttyd and every process it spawned (one pty per connection: the program, or a `tmux attach` client). */
  pids(): number[] {
    const pid = this.process.pid;
    return pid === undefined ? [] : processTree(pid);
  }

  /** Stops ttyd by its pid, then every process it had spawned, by theirs. */
  async stop(): Promise<void> {
    const children = this.pids().filter((pid) => pid !== this.process.pid);
    await this.process.stop(TTYD_EXIT_GRACE_MS);
    await Promise.all(children.map((pid) => endProcess(pid, CLIENT_EXIT_GRACE_MS, 'SIGHUP')));
  }
}

class TtydSession implements Session {
  private readonly viewers: TtydViewer[] = [];
  private closed = false;

  constructor(
    private readonly ttyd: TtydServer,
    /** The shared tmux session the connections attach to; undefined when each connection runs the program itself. */
    private readonly shared: { tmux: TmuxServer; name: string } | undefined,
    private readonly size: { cols: number; rows: number },
    readonly writer: TtydViewer,
  ) {}

  async addViewers(count: number, kind: ViewerKind): Promise<Viewer[]> {
    if (count > 0 && !this.shared) throw new Error('ttyd runs the program once per connection: there is no shared terminal to view');
    const added: TtydViewer[] = [];
    for (let i = 0; i < count; i++) {
      const viewer = await TtydViewer.connect(this.ttyd.port, kind, this.size, `ttyd viewer ${this.viewers.length + 1}`, 'output');
      this.viewers.push(viewer);
      added.push(viewer);
    }
    return added;
  }

  /** ttyd with every pty it spawned, plus the tmux server when the session is shared through it. */
  serverPids(): number[] {
    const tmux = this.shared?.tmux.serverPid();
    return [...(tmux !== undefined && isAlive(tmux) ? [tmux] : []), ...this.ttyd.pids()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.writer, ...this.viewers].map((viewer) => viewer.close()));
    // ttyd SIGHUPs each pty when its WebSocket closes; stop() ends whatever is left, by pid.
    await this.ttyd.stop();
    if (this.shared) await this.shared.tmux.killSession(this.shared.name);
  }
}

/**
 * `mode` 'own': ttyd as people run it, the program in a pty per connection (the fastest a web terminal gets, and
 * nothing to share). 'tmux': every connection attaches to one tmux session, so there is a shared server-side screen
 * as in ttyroom. Each session gets its own ttyd process and port, so any number of sessions run at once.
 */
export class TtydSystem implements BenchSystem {
  /**
   * What the last ttyd started said in its HTTP `Server` header ("ttyd/1.7.7-… (libwebsockets/4.x…)"): the only
   * place its statically linked libwebsockets names its version, which shapes ttyd's send path.
   */
  static serverHeader: string | undefined;
  readonly name: string;
  readonly sharesTerminal: boolean;
  private readonly tmux = new TmuxServer();
  private readonly sessions = new Set<TtydSession>();
  /** ttyd servers started for sessions not opened yet (their writer is still connecting). */
  private readonly starting = new Set<TtydServer>();

  constructor(private readonly mode: 'own' | 'tmux') {
    this.name = mode === 'own' ? 'ttyd' : 'ttyd+tmux';
    this.sharesTerminal = mode === 'tmux';
  }

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
    return this.mode === 'tmux' ? tmuxAvailable() : true;
  }

  async start(workload: Workload, size: { cols: number; rows: number }, writerKind: ViewerKind = 'full'): Promise<Session> {
    const bin = this.bin;
    if (bin === undefined) throw new Error('ttyd: TTYD_BIN not set');
    const name = this.mode === 'tmux' ? await this.tmux.newSession(workload, size) : undefined;
    let ttyd: TtydServer | undefined;
    try {
      ttyd = await TtydServer.start(bin, name === undefined ? workload.command : this.tmux.attachCommand(name, false));
      this.starting.add(ttyd);
      const writer = await TtydViewer.connect(ttyd.port, writerKind, size, `${this.name} writer`, name === undefined ? 'spawned' : 'output');
      const session = new TtydSession(ttyd, name === undefined ? undefined : { tmux: this.tmux, name }, size, writer);
      this.sessions.add(session);
      return session;
    } catch (error) {
      await ttyd?.stop();
      if (name !== undefined) await this.tmux.killSession(name);
      throw error;
    } finally {
      if (ttyd) this.starting.delete(ttyd);
    }
  }

  async dispose(): Promise<void> {
    const sessions = [...this.sessions];
    this.sessions.clear();
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
    const starting = [...this.starting];
    this.starting.clear();
    await Promise.all(starting.map((ttyd) => ttyd.stop()));
    await this.tmux.dispose();
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
