// wetty (from npm) as a peer: one wetty server per session, whose every socket.io connection spawns a pty running `tmux attach` to that session.

import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import headless from '@xterm/headless';
import { io, type Socket } from 'socket.io-client';
import type { BenchSystem, Session, Viewer, ViewerKind, Workload, Writer } from '../system.js';
import {
  endProcess, freePort, isAlive, MarkerScanner, processTree, ServerProcess, shellQuote, tmuxAvailable, TmuxServer, tmuxEnv,
} from './peerSupport.js';
import { withTimeout } from '../timing.js';

const { Terminal } = headless;

const WETTY_MAIN = fileURLToPath(new URL('../../node_modules/wetty/build/main.js', import.meta.url));
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

/** One wetty server, started for one session: its per-connection command is `tmux attach` to that session alone. */
class WettyServer {
  private constructor(readonly process: ServerProcess, readonly port: number) {}

  static async start(command: string): Promise<WettyServer> {
    const port = await freePort();
    const env = tmuxEnv();
    // wetty reads these as defaults; none may point it at ssh or another port.
    for (const key of ['SSHHOST', 'FORCESSH', 'COMMAND', 'PORT', 'BASE']) delete env[key];
    const server = new ServerProcess('wetty', [process.execPath, WETTY_MAIN,
      '--host', '127.0.0.1', '--port', String(port), '--command', command, '--log-level', 'warn'], env);
    try {
      await server.waitUntilListening(`http://127.0.0.1:${port}/`, WETTY_START_TIMEOUT_MS);
    } catch (error) {
      await server.stop(WETTY_EXIT_GRACE_MS);
      throw error;
    }
    return new WettyServer(server, port);
  }

  /** wetty's node process and every pty it spawned (one `tmux attach` per viewer). */
  pids(): number[] {
    const pid = this.process.pid;
    return pid === undefined ? [] : processTree(pid);
  }

  /** The processes wetty spawned for its connections (not wetty itself). */
  clientPids(): number[] {
    return this.pids().filter((pid) => pid !== this.process.pid);
  }

  /** Stops wetty by its pid, then every client process it had spawned, by theirs. */
  async stop(): Promise<void> {
    const clients = this.clientPids();
    await this.process.stop(WETTY_EXIT_GRACE_MS);
    await Promise.all(clients.map((pid) => endProcess(pid, CLIENT_EXIT_GRACE_MS, 'SIGHUP')));
  }
}

class WettySession implements Session {
  private readonly viewers: WettyViewer[] = [];
  private closed = false;

  constructor(
    private readonly tmux: TmuxServer,
    private readonly name: string,
    private readonly wetty: WettyServer,
    private readonly size: { cols: number; rows: number },
    readonly writer: WettyViewer,
  ) {}

  async addViewers(count: number, kind: ViewerKind): Promise<Viewer[]> {
    const added: WettyViewer[] = [];
    for (let i = 0; i < count; i++) {
      const viewer = await WettyViewer.connect(this.wetty.port, kind, this.size, `wetty viewer ${this.viewers.length + 1}`);
      this.viewers.push(viewer);
      added.push(viewer);
    }
    return added;
  }

  /** The tmux server (shared by the sessions) plus this session's wetty and the pty processes it spawned. */
  serverPids(): number[] {
    const tmux = this.tmux.serverPid();
    return [...(tmux !== undefined && isAlive(tmux) ? [tmux] : []), ...this.wetty.pids()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.writer, ...this.viewers].map((viewer) => viewer.close()));
    await this.wetty.stop();
    await this.tmux.killSession(this.name);
  }
}

export class WettySystem implements BenchSystem {
  /** Named for what runs: wetty spawns `tmux attach` per connection, so the shared screen is tmux's. */
  readonly name = 'wetty+tmux';
  readonly sharesTerminal = true;
  private readonly tmux = new TmuxServer();
  /** Sessions not yet closed, and wetty servers started for sessions that failed to open. */
  private readonly sessions = new Set<WettySession>();
  private readonly orphans = new Set<WettyServer>();

  async available(): Promise<true | string> {
    const tmux = await tmuxAvailable();
    if (tmux !== true) return tmux;
    if (!existsSync(WETTY_MAIN)) return `wetty not installed (${WETTY_MAIN})`;
    // wetty runs --command locally only as root on a localhost ssh host; for any other user it insists on ssh.
    if (process.getuid?.() !== 0) return 'wetty runs a local command only when run as root (otherwise it logs in over ssh)';
    return true;
  }

  /**
   * wetty's command is fixed when it starts, so each session gets its own wetty server (own port) whose command
   * attaches to that session's tmux session: any number of sessions at once.
   */
  async start(workload: Workload, size: { cols: number; rows: number }, writerKind: ViewerKind = 'full'): Promise<Session> {
    const name = await this.tmux.newSession(workload, size);
    const wetty = await WettyServer.start(shellQuote(this.tmux.attachCommand(name, false)));
    this.orphans.add(wetty);
    try {
      const writer = await WettyViewer.connect(wetty.port, writerKind, size, 'wetty writer');
      const session = new WettySession(this.tmux, name, wetty, size, writer);
      this.sessions.add(session);
      return session;
    } catch (error) {
      await wetty.stop();
      await this.tmux.killSession(name);
      throw error;
    } finally {
      this.orphans.delete(wetty);
    }
  }

  async dispose(): Promise<void> {
    const sessions = [...this.sessions];
    this.sessions.clear();
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
    const orphans = [...this.orphans];
    this.orphans.clear();
    await Promise.all(orphans.map((wetty) => wetty.stop()));
    await this.tmux.dispose();
  }
}
