// What the peer systems (tmux, wetty, ttyd) share: a private tmux server holding the shared session, marker scanning, free ports, process trees.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StreamScanner } from '../streamScanner.js';
import { sleep, withTimeout } from '../timing.js';
import type { Workload } from '../system.js';

/** tmux commands (new-session, display, kill-server) return in milliseconds; past this the tmux server is stuck. */
const TMUX_COMMAND_TIMEOUT_MS = 5_000;
/** After kill-server, how long the tmux server gets to exit before SIGKILL. */
const TMUX_EXIT_GRACE_MS = 2_000;
/** How often a wait for a process to exit looks again. */
const EXIT_POLL_MS = 20;

/** Bounded by `timeoutMs`; rejects with `what` in the message so a failed start says where it stuck. */
/**
 * A port nobody listens on now: the OS picks it for a listener on port 0, which is closed again before
 * the peer binds it (a small race, acceptable on a benchmark machine; wetty and ttyd cannot report a port they chose).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS gave no port'))));
    });
  });
}

/** POSIX shell quoting, for the one command string tmux, wetty and ttyd hand to a shell or `env -S`. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((word) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** The environment for every tmux we run: without $TMUX, or `tmux attach` refuses to nest when the bench itself runs inside tmux. */
export function tmuxEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== 'TMUX' && key !== 'TMUX_PANE') env[key] = value;
  }
  env.TERM = 'xterm-256color';
  return env;
}

function run(file: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, env: tmuxEnv() }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message}${stderr ? ` (${stderr.trim()})` : ''}`));
      else resolve(stdout);
    });
  });
}

/** `true` when a tmux binary runs here, else why not. */
export async function tmuxAvailable(): Promise<true | string> {
  try {
    const version = await run('tmux', ['-V'], TMUX_COMMAND_TIMEOUT_MS);
    return /^tmux /.test(version) ? true : `unexpected \`tmux -V\`: ${version.trim()}`;
  } catch (error) {
    return `tmux not runnable: ${(error as Error).message}`;
  }
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Waits (bounded) for `pid` to go, then SIGKILLs it: every process a peer started ends, by its own pid. */
export async function endProcess(pid: number, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = performance.now() + graceMs;
  while (isAlive(pid) && performance.now() < deadline) await sleep(EXIT_POLL_MS);
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone between the check and the kill.
    }
  }
}

/** `root` and all its descendants, from /proc (the cost a peer pays per viewer lives in its children). */
export function processTree(root: number): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const ppid = Number(fields[1]);
      const siblings = childrenOf.get(ppid) ?? [];
      siblings.push(Number(name));
      childrenOf.set(ppid, siblings);
    } catch {
      // Gone between the listing and the read.
    }
  }
  const tree: number[] = [];
  const pending = isAlive(root) ? [root] : [];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    tree.push(pid);
    pending.push(...(childrenOf.get(pid) ?? []));
  }
  return tree;
}

let tmuxServers = 0;

/**
 * One private tmux server (its own `-L` socket, no config file), holding the shared sessions the peers'
 * viewers attach to. Only this server is ever touched: other tmux servers on the machine are never named.
 */
export class TmuxServer {
  readonly socketName = `ttyroom-bench-${process.pid}-${++tmuxServers}`;
  private pid: number | undefined;
  private socketPath: string | undefined;
  private sessions = 0;

  /** argv prefix that reaches this server. */
  get tmux(): string[] {
    return ['tmux', '-L', this.socketName];
  }

  /** The command a client runs to attach to `session`; read-only clients cannot type. */
  attachCommand(session: string, readOnly: boolean): string[] {
    return [...this.tmux, 'attach-session', ...(readOnly ? ['-r'] : []), '-t', session];
  }

  /**
   * Starts (the first time, the server too) a detached session of exactly `cols`×`rows` running the workload.
   * The status line is off so the pane is the whole terminal like ttyroom's; `window-size manual` (a window
   * option, set on this session's window) keeps the pane at that size while a client of another size attaches (wetty spawns every pty at 80×30 and resizes
   * it only after); `escape-time 0` so a typed ESC is not held back half a second. `name` is fixed by peers
   * whose server runs one fixed attach command (wetty, ttyd).
   */
  async newSession(workload: Workload, size: { cols: number; rows: number }, name = `bench${++this.sessions}`): Promise<string> {
    const shellCommand = `exec ${shellQuote(workload.command)}`;
    await run('tmux', ['-L', this.socketName, '-f', '/dev/null',
      'new-session', '-d', '-s', name, '-x', String(size.cols), '-y', String(size.rows), shellCommand,
      ';', 'set-option', '-g', 'status', 'off',
      // On the new window only: tmux 3.3a's server crashes ("server exited unexpectedly") on the next
      // `new-session -d` once `window-size manual` is set globally, so a second concurrent session failed.
      ';', 'set-option', '-w', '-t', `=${name}:`, 'window-size', 'manual',
      ';', 'set-option', '-g', 'escape-time', '0'], TMUX_COMMAND_TIMEOUT_MS);
    // Asked every time: a server whose last session closed has exited, and new-session started another.
    const [pid, socketPath] = (await run('tmux', ['-L', this.socketName, 'display-message', '-p', '#{pid} #{socket_path}'],
      TMUX_COMMAND_TIMEOUT_MS)).trim().split(' ');
    if (!Number.isInteger(Number(pid)) || Number(pid) <= 0 || !socketPath) throw new Error(`tmux -L ${this.socketName}: no server pid`);
    this.pid = Number(pid);
    this.socketPath = socketPath;
    return name;
  }

  async killSession(name: string): Promise<void> {
    if (this.pid === undefined || !isAlive(this.pid)) return;
    await run('tmux', ['-L', this.socketName, 'kill-session', '-t', name], TMUX_COMMAND_TIMEOUT_MS).catch(() => undefined);
  }

  /** The server's pid, once a session started it. */
  serverPid(): number | undefined {
    return this.pid;
  }

  /** kill-server on this socket only, then the server's own pid if it lingers. */
  async dispose(): Promise<void> {
    const pid = this.pid;
    this.pid = undefined;
    if (pid === undefined) return;
    // Also when the pid we know is gone: this socket's server may be a later one.
    await run('tmux', ['-L', this.socketName, 'kill-server'], TMUX_COMMAND_TIMEOUT_MS).catch(() => undefined);
    await endProcess(pid, TMUX_EXIT_GRACE_MS);
    // tmux 3.3 leaves its socket file behind on kill-server; this name is ours alone.
    if (this.socketPath) rmSync(this.socketPath, { force: true });
  }
}

/**
 * Counts what a viewer received and finds marker text in it (StreamScanner: across chunk boundaries, with the
 * arrival time of the chunk that completed it; text already in the recent history answers at once, since a
 * joining tmux client draws the screen in the very chunk that says it attached). Callers feed text in the
 * stream's own units (see `feed`).
 */
export class MarkerScanner {
  private units = 0;
  private readonly scanner = new StreamScanner();

  received(): number {
    return this.units;
  }

  /**
   * One chunk as it arrived: `text` is what is searched, `units` what counts toward `received()`
   * (bytes for byte streams decoded as latin1 so markers are matched byte for byte, or UTF-16 code units).
   */
  feed(text: string, units: number): void {
    this.units += units;
    this.scanner.push(text, performance.now());
  }

  /** See `Viewer.waitFor`; `text` here is already in the stream's encoding (see `feed`). */
  waitFor(text: string, timeoutMs: number, label: string): Promise<number> {
    return this.scanner.waitFor(text, timeoutMs, `${label} (received ${this.units})`);
  }

  /** Rejects every pending (and later) wait: the viewer is gone. */
  fail(reason: string): void {
    this.scanner.fail(reason);
  }
}

/** A marker as the latin1 view of its UTF-8 bytes, to match it in byte streams decoded as latin1. */
export function asLatin1Bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** How much of a server's own output is kept, to say why it failed to start. */
const OUTPUT_TAIL_CHARS = 2_000;
/** How often a starting server is asked whether it listens yet. */
const READY_POLL_MS = 50;

/**
 * A web-terminal server (wetty, ttyd) run as a child process, its output drained (a full pipe would stall it)
 * with the last part kept for error messages.
 */
export class ServerProcess {
  private readonly child: ChildProcess;
  private output = '';
  private exitedWith: string | undefined;

  constructor(readonly label: string, argv: string[], env: Record<string, string>) {
    this.child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.child.on('error', (error) => (this.exitedWith = error.message));
    this.child.on('exit', (code, signal) => (this.exitedWith ??= `exited with ${signal ?? code}`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Resolves with the response's headers once `url` answers HTTP at all; rejects with the server's own output if
   * it exits or stays silent.
   */
  async waitUntilListening(url: string, timeoutMs: number): Promise<Headers> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.exitedWith !== undefined) throw new Error(`${this.label} ${this.exitedWith}: ${this.output.trim()}`);
      try {
        return await withTimeout(fetch(url).then(async (response) => {
          await response.body?.cancel();
          return response.headers;
        }), READY_POLL_MS * 10, url);
      } catch {
        await sleep(READY_POLL_MS);
      }
    }
    throw new Error(`${this.label} did not listen on ${url} within ${timeoutMs} ms: ${this.output.trim()}`);
  }

  async stop(graceMs: number): Promise<void> {
    if (this.child.pid !== undefined && this.exitedWith === undefined) await endProcess(this.child.pid, graceMs);
  }
}
