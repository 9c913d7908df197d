// SshSession: a room's TerminalSession over an ssh2 shell channel — raw bytes out, bounded input, resizes, flow control, exit status and end cause.

import type { Client, ClientChannel } from 'ssh2';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import { InputLimits } from '../shared/flowControl.js';
import type { InputResult } from '../terminal/ptyInput.js';
import type { SessionEndCause, SessionExit, TelemetrySource, TerminalSession } from '../terminal/terminalSession.js';
import type { Clock } from '../util/clock.js';
import { HostSampler } from './hostTelemetry.js';

/** What a terminal sends for Enter; the login audit's command count is one per Enter (README.md, Profiles). */
const ENTER = 0x0d;

/** How the connection ended, when it was not the shell's exit: from ssh2's error levels and socket codes. */
export function causeOfError(error: Error & { level?: string; code?: string }): SessionEndCause {
  // 'client-timeout': keepalive@openssh.com went unanswered keepaliveCountMax times; a socket error is a host or a
  // network that went away; anything else (a protocol error, a disconnect message) is the connection closing.
  if (error.level === 'client-timeout' || error.level === 'client-socket') return 'host-gone';
  return 'connection-closed';
}

export class SshSession extends Disposable implements TerminalSession {
  private readonly dataEmitter = this.register(new Emitter<Uint8Array>());
  private readonly exitEmitter = this.register(new Emitter<SessionExit>());
  private readonly treeEndedEmitter = this.register(new Emitter<void>());
  readonly onData = this.dataEmitter.event;
  readonly onExit = this.exitEmitter.event;
  /** Nothing runs locally: fires once the connection is closed, right after onExit. */
  readonly onTreeEnded = this.treeEndedEmitter.event;
  readonly identity = undefined;
  readonly pid = undefined;

  private colsValue: number;
  private rowsValue: number;
  private paused = false;
  private status: { exitCode: number; signal?: string } | undefined;
  /** Why the connection failed, when it did (ssh2 reports the error before the channel's close). */
  private failure: SessionEndCause | undefined;
  /** We closed the channel (terminate): the end is ours, not the host's. */
  private hungUp = false;
  private exited: SessionExit | undefined;
  private connectionClosed = false;
  private treeEnded = false;
  private killTimer: NodeJS.Timeout | undefined;
  private killAt = Infinity;
  private resolveEnded!: () => void;
  private readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });
  private enters = 0;

  /** Takes over `client` (connected and signed in) and its `channel` (a shell with a pty of `cols`×`rows`). */
  constructor(private readonly client: Client, private readonly channel: ClientChannel, size: { cols: number; rows: number }) {
    super();
    this.colsValue = size.cols;
    this.rowsValue = size.rows;
    const forward = (data: Buffer): void => this.dataEmitter.fire(data);
    channel.on('data', forward);
    channel.stderr.on('data', forward);
    channel.on('exit', (code: number | null, signal?: string) => {
      this.status = code === null || code === undefined ? { exitCode: 0, ...(signal ? { signal } : {}) } : { exitCode: code };
    });
    channel.on('close', () => this.finish());
    client.on('error', (error: Error & { level?: string }) => {
      this.failure ??= causeOfError(error);
    });
    client.on('close', () => {
      this.connectionClosed = true;
      // The channel's close normally comes first; a connection that dropped may take its channel with it silently.
      this.finish();
      this.markTreeEnded();
    });
    this.register(toDisposable(() => {
      clearTimeout(this.killTimer);
      channel.removeAllListeners('data');
      channel.stderr.removeAllListeners('data');
      // A disposed session must not keep a connection open that nobody owns.
      client.destroy();
      this.markTreeEnded();
    }));
  }

  get cols(): number {
    return this.colsValue;
  }

  get rows(): number {
    return this.rowsValue;
  }

  /** Enter presses in the text members typed or pasted (each is a command line handed to the shell). */
  get commandCount(): number {
    return this.enters;
  }

  write(data: string | Uint8Array): InputResult {
    if (this.exited || this.isDisposed) return 'ok';
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (bytes.length === 0) return 'ok';
    // The channel queues what the host's window has no room for; past the cap, input is refused whole, as for a pty.
    if (this.channel.writableLength + bytes.length > InputLimits.MaxPendingBytes) return 'full';
    if (typeof data === 'string') {
      for (const byte of bytes) if (byte === ENTER) this.enters++;
    }
    this.channel.write(bytes);
    return 'ok';
  }

  get pendingInput(): number {
    return this.channel.writableLength;
  }

  resize(cols: number, rows: number): void {
    if (this.exited || this.isDisposed) return;
    this.colsValue = cols;
    this.rowsValue = rows;
    // window-change: rows first, then columns; the pixel sizes are unknown (0).
    this.channel.setWindow(rows, cols, 0, 0);
  }

  /** Stops reading: ssh2 then stops opening the channel's window, so the host's shell blocks on its writes. */
  pause(): void {
    if (this.paused || this.exited) return;
    this.paused = true;
    this.channel.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.channel.resume();
  }

  /** A source of the far host's CPU, memory and process count, read over exec channels of this connection. */
  telemetry(clock: Clock): TelemetrySource {
    return new HostSampler(this.client, clock, () => this.exited !== undefined || this.isDisposed);
  }

  /**
   * Closes the channel, which makes sshd hang up the remote terminal (the shell gets SIGHUP); `graceMs` later the
   * connection is cut whatever is left. Resolves once onExit fired and the connection is closed.
   */
  terminate(graceMs = 0): Promise<void> {
    if (!this.exited && !this.hungUp) {
      this.hungUp = true;
      this.channel.close();
    }
    const killAt = performance.now() + graceMs;
    if (killAt < this.killAt && !this.treeEnded) {
      this.killAt = killAt;
      clearTimeout(this.killTimer);
      this.killTimer = setTimeout(() => this.client.destroy(), graceMs);
    }
    return this.ended;
  }

  private finish(): void {
    if (this.exited) return;
    const cause = this.status === undefined && !this.hungUp ? this.failure ?? 'connection-closed' : undefined;
    // Closed by us with no status from the host: its terminal was hung up, as a pty's would be.
    const status = this.status ?? { exitCode: 0, ...(this.hungUp ? { signal: 'SIGHUP' } : {}) };
    this.exited = { ...status, ...(cause ? { cause } : {}) };
    this.exitEmitter.fire(this.exited);
    if (this.connectionClosed) this.markTreeEnded();
    else this.client.end();
  }

  private markTreeEnded(): void {
    if (this.treeEnded) return;
    this.treeEnded = true;
    clearTimeout(this.killTimer);
    this.resolveEnded();
    this.treeEndedEmitter.fire();
  }
}
