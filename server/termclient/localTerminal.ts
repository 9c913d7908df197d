// LocalTerminal: the user's own terminal under `attach` and `share` — raw mode, its size, its keys — and the
// promise to give it back exactly as found on every way out (stty settings, screen, modes, cursor).

import { closeSync, openSync, writeSync } from 'node:fs';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import { ConfigError } from '../util/configError.js';

export interface LocalSize {
  cols: number;
  rows: number;
}

/** What the attach session needs of a terminal; the real one is TtyTerminal, tests may drive another. */
export interface LocalTerminalPort {
  size(): LocalSize;
  readonly onResize: (listener: () => void) => { dispose(): void };
  readonly onInput: (listener: (data: string) => void) => { dispose(): void };
  write(data: string): void;
}

/** Signals that end the client, with the exit status a shell reports for each (128 + its number). */
export const EXIT_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const satisfies Partial<Record<NodeJS.Signals, number>>;

/** What a terminal reports when it cannot say its size (no columns: a pipe, or a terminal that never answered). */
const FALLBACK_SIZE: LocalSize = { cols: 80, rows: 24 };

/**
 * The process's own terminal. `open` puts it in raw mode; `restore` (idempotent, synchronous, so it also
 * works from a signal handler and from `process.on('exit')`) writes the painter's closing sequences and
 * leaves raw mode, which puts back the termios settings Node saved when raw mode began.
 */
export class TtyTerminal extends Disposable implements LocalTerminalPort {
  private readonly resizeEmitter = this.register(new Emitter<void>());
  readonly onResize = this.resizeEmitter.event;
  private readonly inputEmitter = this.register(new Emitter<string>());
  readonly onInput = this.inputEmitter.event;
  private restored = false;
  /** The terminal hung up (its window closed): writes fail and its settings cannot be set any more. */
  private gone = false;
  private closing = '';

  /** Refuses (ConfigError) when stdin or stdout is not a terminal: raw mode and painting need one. */
  static open(): TtyTerminal {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new ConfigError('this needs a terminal: standard input and output must be a tty (not a pipe or a file)');
    }
    return new TtyTerminal();
  }

  private constructor() {
    super();
    const stdin = process.stdin;
    const stdout = process.stdout;
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const onData = (data: string): void => this.inputEmitter.fire(data);
    const onResize = (): void => this.resizeEmitter.fire();
    stdin.on('data', onData);
    stdout.on('resize', onResize);
    stdin.resume();
    // The last way out: whatever ends the process, the terminal is given back.
    const onExit = (): void => this.restore();
    process.on('exit', onExit);
    this.register(toDisposable(() => {
      stdin.off('data', onData);
      stdout.off('resize', onResize);
      process.off('exit', onExit);
      this.restore();
    }));
  }

  size(): LocalSize {
    const { columns, rows } = process.stdout;
    return columns > 0 && rows > 0 ? { cols: columns, rows } : FALLBACK_SIZE;
  }

  write(data: string): void {
    if (this.restored || data.length === 0) return;
    this.writeNow(data);
  }

  /** What `restore` writes before leaving raw mode (the painter's `leave()`); set once painting began. */
  setClosingSequence(sequence: string): void {
    this.closing = sequence;
  }

  restore(): void {
    if (this.restored) return;
    this.restored = true;
    this.writeNow(this.closing);
    try {
      process.stdin.setRawMode(false);
    } catch {
      // The terminal is gone (SIGHUP after the window closed): there is nothing left to restore.
      this.gone = true;
    }
    process.stdin.pause();
    if (this.gone) this.letGoOfDeadTerminal();
  }

  /**
   * Node resets a terminal's settings as the process exits and aborts (a core dump, status 134) when the
   * terminal hung up meanwhile; it skips descriptors that were closed or now name another file, so those of
   * the dead terminal are pointed at /dev/null.
   */
  private letGoOfDeadTerminal(): void {
    const streams = [process.stdin, process.stdout, process.stderr] as const;
    streams.forEach((stream, fd) => {
      if (!stream.isTTY) return;
      // Writes to a closed descriptor fail; nobody is left to read them.
      stream.on('error', () => undefined);
      try {
        closeSync(fd);
        // The lowest free descriptor is the one just closed: /dev/null takes its place, so a file or socket
        // opened later (share shutting down) cannot land on 0–2 and receive stray log writes.
        openSync('/dev/null', fd === 0 ? 'r' : 'w');
      } catch {
        // Already closed, or no /dev/null: nothing more to do for a terminal that is gone.
      }
    });
  }

  /**
   * Synchronous, whole writes: a terminal's stdout is synchronous in Node on POSIX anyway, and a restore from
   * a signal handler must be on the screen before the process ends.
   */
  private writeNow(data: string): void {
    if (data.length === 0) return;
    const bytes = Buffer.from(data, 'utf8');
    let written = 0;
    while (written < bytes.length) {
      try {
        written += writeSync(process.stdout.fd, bytes, written);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        // EIO or EPIPE: the terminal went away; what was left to write has no reader.
        this.gone = true;
        return;
      }
    }
  }
}
