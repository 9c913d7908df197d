// PtySession: one node-pty child — spawn with an allowlisted environment, paced reads, EOF-drained exit, teardown.

import { readSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import * as pty from 'node-pty';
import { Disposable, toDisposable } from '../util/disposable.js';
import { Emitter } from '../util/emitter.js';
import { PtyInput, type InputResult } from './ptyInput.js';

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
  /** Between SIGHUP to the process group and SIGKILL when a room is closed. */
  DefaultKillGraceMs: 2_000,
} as const;

export interface PtySpawnOptions {
  file: string;
  args: string[];
  cols: number;
  rows: number;
  cwd: string;
  env: Record<string, string>;
}

export interface PtyExit {
  exitCode: number;
  /** Signal name when the child was ended by a signal. */
  signal?: string;
}

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

export class PtySession extends Disposable {
  private readonly process: pty.IPty;
  private readonly dataEmitter = this.register(new Emitter<string>());
  private readonly exitEmitter = this.register(new Emitter<PtyExit>());
  /** Fires for every chunk the child writes, decoded as UTF-8 (never splitting a code point). */
  readonly onData = this.dataEmitter.event;
  /** Fires once, after the output has been read to EOF (or the drain gave up). */
  readonly onExit = this.exitEmitter.event;

  private paused = false;
  private exited: PtyExit | undefined;
  private childGone = false;
  private eofReached = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private drainDeadline: NodeJS.Timeout | undefined;
  private finishDrain: (() => void) | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly input: PtyInput;

  constructor(options: PtySpawnOptions) {
    super();
    this.process = pty.spawn(options.file, options.args, {
      name: 'xterm-256color',
      cols: options.cols,
      rows: options.rows,
      cwd: options.cwd,
      env: options.env,
      encoding: 'utf8',
    });
    this.guardExitDrain();
    this.input = this.register(this.createInput());
    this.register(this.process.onData((data) => {
      if (this.childGone) this.armDrainIdle();
      this.dataEmitter.fire(data);
    }));
    this.register(this.process.onExit(({ exitCode, signal }) => {
      this.clearDrainTimers();
      this.exited = { exitCode, ...(signal ? { signal: signalName(signal) } : {}) };
      this.exitEmitter.fire(this.exited);
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
  write(data: string): InputResult {
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
   * Ends the child's whole process group: SIGHUP first (what closing a terminal sends), SIGKILL after
   * `graceMs`. Resolves when the child has exited.
   */
  terminate(graceMs: number = PtyTiming.DefaultKillGraceMs): Promise<void> {
    if (this.exited) return Promise.resolve();
    const exited = new Promise<void>((resolve) => {
      const sub = this.onExit(() => {
        sub.dispose();
        resolve();
      });
    });
    // While draining after the child exited, its pid may be reused: just wait for the drain to end.
    if (!this.childGone) {
      this.signalGroup('SIGHUP');
      this.killTimer ??= setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    }
    return exited.finally(() => {
      clearTimeout(this.killTimer);
      this.killTimer = undefined;
    });
  }

  private signalGroup(signal: NodeJS.Signals): void {
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
    const decoder = new StringDecoder('utf8');
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
      const text = decoder.write(buffer.subarray(0, count));
      if (text) this.dataEmitter.fire(text);
    }
    const rest = decoder.end();
    if (rest) this.dataEmitter.fire(rest);
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
    clearTimeout(this.killTimer);
    if (!this.exited && !this.childGone) {
      // Disposal without terminate(): end the group at once so nothing outlives its owner.
      this.signalGroup('SIGHUP');
      this.signalGroup('SIGKILL');
    }
    // Once the child exited, its pid may already belong to another process: never signal it again.
    // Closes the master fd now; node-pty also reaps the child through its exit watcher.
    (this.process as unknown as { _socket?: PtyReadStream })._socket?.destroy();
  }
}
