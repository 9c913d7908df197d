// PtySession: one node-pty child — spawn with an allowlisted environment, paced raw-byte reads, EOF-drained exit, ending its whole session.

import { readSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as pty from 'node-pty';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import { PtyInput, type InputResult } from './ptyInput.js';
import type { SessionExit, TerminalSession } from './terminalSession.js';
import {
  identify, killSession, procAvailable, ProcessTiming, readProcStat, sessionMembers, signalSession, type ProcessIdentity,
} from './processTree.js';
import { log } from '../util/logger.js';

export const PtyTiming = {
  /**
   * After the child exits we keep reading until EOF so the tail of a fast program's output is not
   * lost (node-pty #726). If a background job keeps the terminal open, EOF never comes: we stop
   * waiting after this long without any data while reads are flowing.
   */
  DrainIdleMs: 250,
  /** Upper bound on the drain above, for a background job that writes forever after the shell left. */
  DrainMaxMs: 5_000,
  /** Read size for the final synchronous drain after a premature EOF (see drainAfterEnd). */
  DrainReadBytes: 64 * 1024,
  /** The kernel's pty buffers hold far less than this; the bound only guards against a runaway writer. */
  DrainMaxBytes: 4 * 1024 * 1024,
} as const;

export interface PtySpawnOptions {
  file: string;
  args: string[];
  cols: number;
  rows: number;
  cwd: string;
  env: Record<string, string>;
  /**
   * Between SIGHUP and SIGKILL when the session is ended: on terminate(), and for whatever the shell
   * left running when it exited on its own.
   */
  killGraceMs: number;
}

export type PtyExit = SessionExit;

/** The environment variables a room's shell may inherit from the server; everything else is dropped. */
const INHERITED_ENV = ['HOME', 'USER', 'SHELL', 'PATH', 'LANG'] as const;
/** When the server has no UTF-8 locale set, CJK and emoji output would break; this one always exists. */
const FALLBACK_LANG = 'C.UTF-8';

/**
 * Builds the child's environment from an explicit allowlist: TERM, HOME, USER, SHELL, PATH, LANG and
 * LC_*. The server's own environment (tokens, cloud credentials, TTYROOM_* options) never leaks.
 */
export function childEnvironment(source: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = { TERM: 'xterm-256color' };
  for (const key of INHERITED_ENV) {
    const value = source[key];
    if (value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith('LC_') && value !== undefined) env[key] = value;
  }
  // POSIX treats an empty LANG as unset, which would mean the C locale.
  if (!env.LANG) env.LANG = FALLBACK_LANG;
  return env;
}

function signalName(signal: number | undefined): string | undefined {
  if (!signal) return undefined;
  const entry = Object.entries(osConstants.signals).find(([, number]) => number === signal);
  return entry ? entry[0] : `SIG${signal}`;
}

/** The part of node-pty's private read stream we rely on; checked at runtime before use. */
interface PtyReadStream {
  destroy(error?: Error): unknown;
  on(event: 'end', listener: () => void): unknown;
}

export class PtySession extends Disposable implements TerminalSession {
  private readonly process: pty.IPty;
  private readonly dataEmitter = this.register(new Emitter<Uint8Array>());
  private readonly exitEmitter = this.register(new Emitter<PtyExit>());
  private readonly treeEndedEmitter = this.register(new Emitter<void>());
  /** Fires for every chunk the child writes, as raw bytes (the room decodes them; see TerminalSession.onData). */
  readonly onData = this.dataEmitter.event;
  /** Fires once, after the output has been read to EOF (or the drain gave up). */
  readonly onExit = this.exitEmitter.event;
  /**
   * Fires once, after onExit, when no process of the shell's session is left: they left on their own,
   * or were sent SIGKILL after the grace period (or at disposal).
   */
  readonly onTreeEnded = this.treeEndedEmitter.event;
  /**
   * The shell's pid and start time, read right after the fork, while node-pty cannot have reaped it
   * yet. Undefined without /proc: then only the process group is signalled, and only before the exit.
   */
  readonly identity: ProcessIdentity | undefined;

  private readonly killGraceMs: number;
  private paused = false;
  private exited: PtyExit | undefined;
  private childGone = false;
  private eofReached = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private drainDeadline: NodeJS.Timeout | undefined;
  private finishDrain: (() => void) | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly input: PtyInput;

  private hungUp = false;
  private treeEnded = false;
  private ending: Promise<void> | undefined;
  /** performance.now() at which what is left of the session gets SIGKILL; only ever moves earlier. */
  private killAt = Infinity;
  /** Ends the current wait of the ending loop early (the shell exited, a shorter grace, or disposal). */
  private wake: (() => void) | undefined;
  private resolveExited!: () => void;
  private readonly exitedOrDisposed = new Promise<void>((resolve) => {
    this.resolveExited = resolve;
  });

  constructor(options: PtySpawnOptions) {
    super();
    this.killGraceMs = options.killGraceMs;
    this.process = pty.spawn(options.file, options.args, {
      name: 'xterm-256color',
      cols: options.cols,
      rows: options.rows,
      cwd: options.cwd,
      env: options.env,
      // Raw bytes: a ZMODEM transfer shares the stream and is not UTF-8 (node-pty then hands out Buffers).
      encoding: null,
    });
    this.identity = procAvailable() ? identify(this.process.pid) : undefined;
    this.guardExitDrain();
    this.input = this.register(this.createInput());
    this.register(this.process.onData((data: string | Buffer) => {
      if (this.childGone) this.armDrainIdle();
      this.dataEmitter.fire(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    }));
    this.register(this.process.onExit(({ exitCode, signal }) => {
      this.clearDrainTimers();
      this.exited = { exitCode, ...(signal ? { signal: signalName(signal) } : {}) };
      this.resolveExited();
      this.exitEmitter.fire(this.exited);
      this.wake?.();
      // Whatever the shell left running (a `nohup` job, a job in its own process group that the
      // kernel's hangup missed) is ended too: a room must not leave processes behind that no one owns.
      void this.endTree(this.killGraceMs);
    }));
    this.register(toDisposable(() => this.teardown()));
  }

  get pid(): number {
    return this.process.pid;
  }

  get cols(): number {
    return this.process.cols;
  }

  get rows(): number {
    return this.process.rows;
  }

  /** Input for the child; 'full' when it is not reading and the pending input is at its cap. */
  write(data: string | Uint8Array): InputResult {
    if (this.exited || this.childGone || this.isDisposed) return 'ok';
    return this.input.write(data);
  }

  /** Input bytes accepted and not yet taken by the kernel. */
  get pendingInput(): number {
    return this.input.pending;
  }

  /** Our own writer instead of node-pty's, which queues without bound and busy-loops on EAGAIN (#956). */
  private createInput(): PtyInput {
    const internals = this.process as unknown as { _fd?: number; _pty?: string };
    if (typeof internals._fd !== 'number' || typeof internals._pty !== 'string') {
      throw new Error('node-pty internals changed: cannot reach the pty master fd and slave path (node-pty #956)');
    }
    return new PtyInput(internals._fd, internals._pty);
  }

  resize(cols: number, rows: number): void {
    if (this.exited || this.isDisposed) return;
    try {
      this.process.resize(cols, rows);
    } catch {
      // The pty fd can close between the exit check and the ioctl; a late resize of a dead pty is moot.
    }
  }

  /** Stops reading the pty: the kernel buffer fills and the child blocks on write. */
  pause(): void {
    if (this.paused || this.exited) return;
    this.paused = true;
    this.process.pause();
    this.clearDrainIdle();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.process.resume();
    if (this.childGone) this.armDrainIdle();
  }

  /**
   * Ends the shell's whole session: SIGHUP to its process group (what closing a terminal sends), then,
   * `graceMs` later, SIGKILL to every process still in the session — background jobs in their own
   * process groups, `nohup` jobs and anything that ignores SIGHUP included. Resolves once the shell
   * exited (onExit fired) and nothing of the session is left. Calling it again, or while the session
   * is already being ended, only ever shortens the grace.
   */
  terminate(graceMs: number = this.killGraceMs): Promise<void> {
    if (!this.exited && !this.hungUp) {
      this.hungUp = true;
      this.signalGroup('SIGHUP');
    }
    return this.endTree(graceMs);
  }

  private endTree(graceMs: number): Promise<void> {
    const killAt = performance.now() + graceMs;
    if (killAt < this.killAt) {
      this.killAt = killAt;
      this.wake?.();
    }
    this.ending ??= this.runEnding();
    return this.ending;
  }

  private async runEnding(): Promise<void> {
    try {
      // The grace period: wait for the shell to exit, then for the rest of its session to follow.
      let hungUpSurvivors = false;
      while (!this.isDisposed && performance.now() < this.killAt) {
        if (this.exited) {
          if (!this.identity) return;
          // The kernel hung up only the terminal's foreground group; tell the rest that the terminal is gone.
          const signalled = hungUpSurvivors ? this.survivorCount() : signalSession(this.identity, 'SIGHUP') ?? 0;
          hungUpSurvivors = true;
          if (signalled === 0) return;
        }
        await this.nap(this.exited ? Math.min(ProcessTiming.SweepPollMs, this.killAt - performance.now()) : this.killAt - performance.now());
      }
      if (this.isDisposed) return;
      // Past the grace period: SIGKILL for everything left, the shell included.
      if (this.identity) {
        const result = await killSession(this.identity);
        if (result.survivors.length > 0) {
          log.error({ pid: this.pid, survivors: result.survivors.map((s) => s.pid) }, `${result.survivors.length} process(es) of shell ${this.pid}'s session survived SIGKILL (stuck in the kernel?): ${result.survivors.map((s) => s.pid).join(' ')}`);
        }
      } else {
        this.signalGroup('SIGKILL');
      }
      await this.exitedOrDisposed;
      // Something may have been started in the session between the last look and the shell's death.
      if (this.identity && !this.isDisposed) await killSession(this.identity);
    } finally {
      this.markTreeEnded();
    }
  }

  private survivorCount(): number {
    return this.identity ? sessionMembers(this.identity)?.length ?? 0 : 0;
  }

  /** Waits `ms`, or less when woken; never keeps the process alive past disposal (teardown wakes it). */
  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wake = done;
    });
  }

  private markTreeEnded(): void {
    if (this.treeEnded) return;
    this.treeEnded = true;
    this.treeEndedEmitter.fire();
  }

  /**
   * True while the shell's pid still names our shell (running, or exited but not yet reaped). node-pty
   * reaps the child before it tells us, so from then on the pid may belong to anyone: the start time
   * read at spawn tells the two apart. Without /proc we only know that node-pty has not reported yet.
   */
  private isStillOurs(): boolean {
    if (this.identity) return readProcStat(this.identity.pid)?.startTime === this.identity.startTime;
    return !this.exited && !this.childGone;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (!this.isStillOurs()) return;
    try {
      // node-pty makes the child a session leader, so its pid is also its process-group id.
      process.kill(-this.process.pid, signal);
    } catch {
      // ESRCH: the group is already gone, which is what we wanted.
    }
  }

  /**
   * Two ways the tail of a fast program's output gets lost on Linux (node-pty #726), both handled here:
   * - node-pty destroys its read stream 200 ms after the child exits, whatever the kernel still
   *   holds; with a paused or busy reader that drops the tail. We turn that destroy into "drain
   *   until EOF", and destroy for real only when the drain is done.
   * - the stream can see EOF (read() = 0) while the kernel still holds output; reading the master fd
   *   again returns the rest and then EIO. So on 'end' we read the fd synchronously to EIO.
   */
  private guardExitDrain(): void {
    const internals = this.process as unknown as { _socket?: PtyReadStream; _fd?: number };
    const stream = internals._socket;
    if (!stream || typeof stream.destroy !== 'function' || typeof internals._fd !== 'number') {
      throw new Error('node-pty internals changed: cannot guard the exit drain (node-pty #726)');
    }
    const fd = internals._fd;
    const realDestroy = stream.destroy.bind(stream);
    stream.destroy = (error?: Error) => {
      if (this.isDisposed || this.eofReached || this.finishDrain) return realDestroy(error);
      this.childGone = true;
      this.finishDrain = () => realDestroy(error);
      this.drainDeadline = setTimeout(() => this.finishDrain?.(), PtyTiming.DrainMaxMs);
      if (!this.paused) this.armDrainIdle();
      return stream;
    };
    stream.on('end', () => {
      this.drainAfterEnd(fd);
      this.eofReached = true;
      this.finishDrain?.();
    });
  }

  private drainAfterEnd(fd: number): void {
    const buffer = Buffer.allocUnsafe(PtyTiming.DrainReadBytes);
    let total = 0;
    while (total < PtyTiming.DrainMaxBytes) {
      let count: number;
      try {
        count = readSync(fd, buffer, 0, buffer.length, null);
      } catch {
        // EIO: the other side is closed and everything is read. EAGAIN: nothing more is there.
        break;
      }
      if (count === 0) break;
      total += count;
      this.dataEmitter.fire(Buffer.from(buffer.subarray(0, count)));
    }
  }

  private armDrainIdle(): void {
    this.clearDrainIdle();
    this.drainTimer = setTimeout(() => this.finishDrain?.(), PtyTiming.DrainIdleMs);
  }

  private clearDrainIdle(): void {
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  private clearDrainTimers(): void {
    this.clearDrainIdle();
    clearTimeout(this.drainDeadline);
    this.drainDeadline = undefined;
  }

  private teardown(): void {
    this.clearDrainTimers();
    if (!this.treeEnded) {
      // Disposed before the session was ended: end it at once, so nothing outlives its owner.
      this.signalGroup('SIGKILL');
      if (this.identity) signalSession(this.identity, 'SIGKILL');
      this.markTreeEnded();
    }
    this.wake?.();
    this.resolveExited();
    // Closes the master fd now; node-pty also reaps the child through its exit watcher.
    (this.process as unknown as { _socket?: PtyReadStream })._socket?.destroy();
  }
}
