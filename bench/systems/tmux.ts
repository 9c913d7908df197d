// tmux, the local reference peer: every member is a `tmux attach` client in its own pty, attached to one shared session.

import * as pty from 'node-pty';
import type { BenchSystem, Session, Viewer, ViewerKind, Workload, Writer } from '../system.js';
import { asLatin1Bytes, endProcess, isAlive, MarkerScanner, tmuxAvailable, TmuxServer, tmuxEnv } from './peerSupport.js';
import { withTimeout } from '../timing.js';

/** A tmux client draws the session within milliseconds of attaching; past this it did not attach. */
const ATTACH_TIMEOUT_MS = 5_000;
/** A tmux client exits at once on SIGHUP (its pty closing); past this it is SIGKILLed. */
const CLIENT_EXIT_GRACE_MS = 1_000;

/**
 * One `tmux attach` client in a pty of the session's size: what it writes to its pty is exactly what its
 * terminal receives. received() counts bytes. 'full' and 'light' are the same here: a tmux client is a
 * real terminal process either way (it keeps its own copy of the screen), and the load generator only scans it.
 */
export class TmuxClient implements Writer {
  private readonly scanner = new MarkerScanner();
  private readonly exited: Promise<void>;
  private alive = true;

  private constructor(private readonly term: pty.IPty, readonly label: string) {
    term.onData((chunk) => {
      const bytes = chunk as unknown as Buffer;
      this.scanner.feed(bytes.toString('latin1'), bytes.length);
    });
    this.exited = new Promise((resolve) => term.onExit(() => {
      this.alive = false;
      this.scanner.fail(`${label}: tmux client exited`);
      resolve();
    }));
  }

  /** Attaches and resolves once the client drew something (it is attached, not just started). */
  static async attach(argv: string[], size: { cols: number; rows: number }, label: string): Promise<TmuxClient> {
    const term = pty.spawn(argv[0]!, argv.slice(1), {
      name: 'xterm-256color', cols: size.cols, rows: size.rows, cwd: process.cwd(), env: tmuxEnv(),
      // Buffers, not strings: received() counts bytes and markers are matched byte for byte.
      encoding: null,
    });
    const client = new TmuxClient(term, label);
    const drew = new Promise<void>((resolve) => {
      const first = term.onData(() => {
        first.dispose();
        resolve();
      });
    });
    try {
      await withTimeout(Promise.race([drew, client.exited.then(() => {
        throw new Error(`${label}: \`${argv.join(' ')}\` exited before attaching`);
      })]), ATTACH_TIMEOUT_MS, `${label}: \`${argv.join(' ')}\``);
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  get pid(): number {
    return this.term.pid;
  }

  waitFor(text: string, timeoutMs: number): Promise<number> {
    return this.scanner.waitFor(asLatin1Bytes(text), timeoutMs, this.label);
  }

  received(): number {
    return this.scanner.received();
  }

  /** Stops reading the pty: the tmux client blocks writing to it, as a frozen terminal would. */
  pause(): void {
    this.term.pause();
  }

  resume(): void {
    this.term.resume();
  }

  type(data: string): void {
    this.term.write(data);
  }

  async close(): Promise<void> {
    if (!this.alive) return;
    const pid = this.term.pid;
    this.term.resume();
    this.term.kill('SIGHUP');
    await Promise.race([this.exited, endProcess(pid, CLIENT_EXIT_GRACE_MS, 'SIGHUP')]);
    if (isAlive(pid)) await endProcess(pid, 0, 'SIGKILL');
  }
}

class TmuxSession implements Session {
  private readonly viewers: TmuxClient[] = [];
  private closed = false;

  constructor(
    private readonly server: TmuxServer,
    private readonly name: string,
    private readonly size: { cols: number; rows: number },
    readonly writer: TmuxClient,
  ) {}

  async addViewers(count: number, _kind: ViewerKind): Promise<Viewer[]> {
    const added: TmuxClient[] = [];
    for (let i = 0; i < count; i++) {
      const label = `tmux viewer ${this.viewers.length + 1}`;
      const viewer = await TmuxClient.attach(this.server.attachCommand(this.name, true), this.size, label);
      this.viewers.push(viewer);
      added.push(viewer);
    }
    return added;
  }

  /** The tmux server plus every attached client: one client process per viewer is what tmux pays. */
  serverPids(): number[] {
    const server = this.server.serverPid();
    const clients = [this.writer, ...this.viewers].map((client) => client.pid).filter(isAlive);
    return server === undefined ? clients : [server, ...clients];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.writer, ...this.viewers].map((client) => client.close()));
    await this.server.killSession(this.name);
  }
}

export class TmuxSystem implements BenchSystem {
  readonly name = 'tmux';
  readonly sharesTerminal = true;
  private readonly server = new TmuxServer();
  private readonly sessions: TmuxSession[] = [];

  async available(): Promise<true | string> {
    return tmuxAvailable();
  }

  /** The writer's kind does not matter: a tmux client is a real terminal process either way (see TmuxClient). */
  async start(workload: Workload, size: { cols: number; rows: number }): Promise<Session> {
    const name = await this.server.newSession(workload, size);
    const writer = await TmuxClient.attach(this.server.attachCommand(name, false), size, 'tmux writer');
    const session = new TmuxSession(this.server, name, size, writer);
    this.sessions.push(session);
    return session;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.sessions.splice(0).map((session) => session.close()));
    await this.server.dispose();
  }
}
