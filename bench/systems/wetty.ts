// wetty (from npm) as a peer: one wetty server whose every socket.io connection spawns a pty running `tmux attach` to the shared session.

import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import headless from '@xterm/headless';
import { io, type Socket } from 'socket.io-client';
import type { BenchSystem, Session, Viewer, ViewerKind, Workload, Writer } from '../system.js';
import {
  endProcess, freePort, isAlive, MarkerScanner, processTree, ServerProcess, shellQuote, tmuxAvailable, TmuxServer, tmuxEnv, withTimeout,
} from './peerSupport.js';

const { Terminal } = headless;

const WETTY_MAIN = fileURLToPath(new URL('../../node_modules/wetty/build/main.js', import.meta.url));
/** wetty's command is fixed at its start, so it always attaches to this one session name. */
const SESSION_NAME = 'bench';
/** wetty starts express and socket.io in about a second; a loaded CI machine gets more. */
const WETTY_START_TIMEOUT_MS = 20_000;
/** Connecting, wetty spawning the pty, and tmux drawing the first screen. */
const JOIN_TIMEOUT_MS = 10_000;
/** wetty exits at once on SIGTERM; past this it is SIGKILLed. */
const WETTY_EXIT_GRACE_MS = 2_000;
/** A pty's tmux client exits once wetty closes the pty; past this it is SIGKILLed. */
const CLIENT_EXIT_GRACE_MS = 1_000;
/**
 * wetty's flow control: its server pauses a pty once 2 MiB are unacknowledged, so a client must send
 * `commit` with this many code units each time it has consumed them (the value wetty's own browser client uses).
 */
const COMMIT_UNITS = 262_144;

/**
 * One socket.io connection to wetty, like its browser client: `resize` to the session's size after `login`,
 * `input` to type, `commit` for flow control. received() counts UTF-16 code units (wetty sends strings).
 */
class WettyViewer implements Writer {
  private readonly scanner = new MarkerScanner();
  private readonly xterm: InstanceType<typeof Terminal> | undefined;
  private uncommitted = 0;
  private closed = false;

  private constructor(private readonly socket: Socket, kind: ViewerKind, size: { cols: number; rows: number }, readonly label: string) {
    this.xterm = kind === 'full' ? new Terminal({ cols: size.cols, rows: size.rows, allowProposedApi: true }) : undefined;
    socket.on('data', (data: string) => {
      this.scanner.feed(data, data.length);
      if (this.xterm) {
        // Acknowledged once parsed, as wetty's browser client does after xterm's write callback.
        const acknowledge = this.account(data.length);
        this.xterm.write(data, acknowledge ? () => this.socket.emit('commit', COMMIT_UNITS) : undefined);
      } else if (this.account(data.length)) {
        this.socket.emit('commit', COMMIT_UNITS);
      }
    });
    socket.on('disconnect', (reason) => this.scanner.fail(`${label}: disconnected (${reason})`));
  }

  static async connect(port: number, kind: ViewerKind, size: { cols: number; rows: number }, label: string): Promise<WettyViewer> {
    const socket = io(`http://127.0.0.1:${port}`, {
      path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true, timeout: JOIN_TIMEOUT_MS,
    });
    const viewer = new WettyViewer(socket, kind, size, label);
    const attached = new Promise<void>((resolve, reject) => {
      socket.once('connect_error', (error) => reject(new Error(`${label}: ${error.message}`)));
      socket.once('logout', () => reject(new Error(`${label}: wetty's command exited at once`)));
      // wetty spawns every pty at 80×30; its client answers `login` with its own size.
      socket.once('login', () => {
        socket.emit('resize', { cols: size.cols, rows: size.rows });
        socket.once('data', () => resolve());
      });
    });
    try {
      await withTimeout(attached, JOIN_TIMEOUT_MS, `${label}: joining wetty`);
    } catch (error) {
      await viewer.close();
      throw error;
    }
    return viewer;
  }

  /** True when another COMMIT_UNITS have been consumed since the last commit. */
  private account(units: number): boolean {
    this.uncommitted += units;
    if (this.uncommitted < COMMIT_UNITS) return false;
    this.uncommitted -= COMMIT_UNITS;
    return true;
  }

  waitFor(text: string, timeoutMs: number): Promise<number> {
    return this.scanner.waitFor(text, timeoutMs, this.label);
  }

  received(): number {
    return this.scanner.received();
  }

  /**
   * Stops reading the WebSocket's TCP socket (engine.io's `ws` transport), as a frozen browser would.
   * socket.io pings every 3 s and gives up 7 s later, so a viewer paused that long is disconnected
   * by wetty (and its pty killed): that is wetty's own behaviour towards a frozen client.
   */
  pause(): void {
    this.rawWebSocket()?.pause();
  }

  resume(): void {
    this.rawWebSocket()?.resume();
  }

  type(data: string): void {
    this.socket.emit('input', data);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resume();
    this.socket.disconnect();
    this.xterm?.dispose();
  }

  private rawWebSocket(): { pause(): void; resume(): void } | undefined {
    // engine.io-client keeps the `ws` WebSocket of its transport here; not public API, hence the checks.
    const transport = (this.socket.io.engine as unknown as { transport?: { ws?: { pause?: unknown; resume?: unknown } } }).transport;
    const ws = transport?.ws;
    return ws && typeof ws.pause === 'function' && typeof ws.resume === 'function' ? ws as { pause(): void; resume(): void } : undefined;
  }
}

class WettySession implements Session {
  private readonly viewers: WettyViewer[] = [];
  private closed = false;

  constructor(
    private readonly system: WettySystem,
    private readonly port: number,
    private readonly size: { cols: number; rows: number },
    readonly writer: WettyViewer,
  ) {}

  async addViewers(count: number, kind: ViewerKind): Promise<Viewer[]> {
    const added: WettyViewer[] = [];
    for (let i = 0; i < count; i++) {
      const viewer = await WettyViewer.connect(this.port, kind, this.size, `wetty viewer ${this.viewers.length + 1}`);
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
    // wetty kills each pty on disconnect; its tmux clients must be gone before the next session reuses the name.
    await Promise.all(clients.map((pid) => endProcess(pid, CLIENT_EXIT_GRACE_MS, 'SIGHUP')));
    await this.system.sessionClosed();
  }
}

export class WettySystem implements BenchSystem {
  readonly name = 'wetty';
  private readonly tmux = new TmuxServer();
  private wetty: { process: ServerProcess; port: number } | undefined;
  private open: WettySession | undefined;

  async available(): Promise<true | string> {
    const tmux = await tmuxAvailable();
    if (tmux !== true) return tmux;
    if (!existsSync(WETTY_MAIN)) return `wetty not installed (${WETTY_MAIN})`;
    // wetty runs --command locally only as root on a localhost ssh host; for any other user it insists on ssh.
    if (process.getuid?.() !== 0) return 'wetty runs a local command only when run as root (otherwise it logs in over ssh)';
    return true;
  }

  async start(workload: Workload, size: { cols: number; rows: number }): Promise<Session> {
    // One session at a time: wetty's command names the one tmux session every connection attaches to.
    if (this.open) throw new Error('wetty: one session at a time (its command attaches to one fixed tmux session)');
    await this.tmux.newSession(workload, size, SESSION_NAME);
    const { port } = await this.server();
    const writer = await WettyViewer.connect(port, 'full', size, 'wetty writer');
    this.open = new WettySession(this, port, size, writer);
    return this.open;
  }

  /** wetty's node process and every pty it spawned (one `tmux attach` per viewer), plus the tmux server. */
  serverPids(): number[] {
    const tmux = this.tmux.serverPid();
    const wetty = this.wetty?.process.pid;
    return [...(tmux !== undefined && isAlive(tmux) ? [tmux] : []), ...(wetty !== undefined ? processTree(wetty) : [])];
  }

  /** The processes wetty spawned for its connections (not wetty itself). */
  clientPids(): number[] {
    const wetty = this.wetty?.process.pid;
    return wetty === undefined ? [] : processTree(wetty).filter((pid) => pid !== wetty);
  }

  async sessionClosed(): Promise<void> {
    this.open = undefined;
    await this.tmux.killSession(SESSION_NAME);
  }

  async dispose(): Promise<void> {
    await this.open?.close();
    if (this.wetty) {
      const clients = this.clientPids();
      await this.wetty.process.stop(WETTY_EXIT_GRACE_MS);
      await Promise.all(clients.map((pid) => endProcess(pid, CLIENT_EXIT_GRACE_MS, 'SIGHUP')));
      this.wetty = undefined;
    }
    await this.tmux.dispose();
  }

  /** Starts wetty the first time: its per-connection command is `tmux attach` to the shared session. */
  private async server(): Promise<{ process: ServerProcess; port: number }> {
    if (this.wetty) return this.wetty;
    const port = await freePort();
    const command = shellQuote(this.tmux.attachCommand(SESSION_NAME, false));
    const env = tmuxEnv();
    // wetty reads these as defaults; none may point it at ssh or another port.
    for (const key of ['SSHHOST', 'FORCESSH', 'COMMAND', 'PORT', 'BASE']) delete env[key];
    const process_ = new ServerProcess('wetty', [process.execPath, WETTY_MAIN,
      '--host', '127.0.0.1', '--port', String(port), '--command', command, '--log-level', 'warn'], env);
    try {
      await process_.waitUntilListening(`http://127.0.0.1:${port}/`, WETTY_START_TIMEOUT_MS);
    } catch (error) {
      await process_.stop(WETTY_EXIT_GRACE_MS);
      throw error;
    }
    this.wetty = { process: process_, port };
    return this.wetty;
  }
}
