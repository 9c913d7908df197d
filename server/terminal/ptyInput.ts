// PtyInput: writes members' keystrokes and pastes to the pty master through a bounded queue, and lets an
// interrupt key through to a program that has stopped reading its input.

import { closeSync, constants as fsConstants, openSync, readSync, writeSync } from 'node:fs';
import { InputLimits } from '../shared/flowControl.js';
import { Disposable, toDisposable } from '../shared/disposable.js';

/**
 * INTR, QUIT and SUSP at their default bindings (^C, ^\, ^Z). With ISIG the line discipline turns them into
 * signals and flushes pending input, but only once there is room in its buffer to take them in.
 */
const SIGNAL_KEYS: ReadonlySet<string> = new Set(['\x03', '\x1c', '\x1a']);

export type InputResult = 'ok' | 'full';

export class PtyInput extends Disposable {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  /** Bytes of `queue[0]` already written. */
  private headWritten = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  /** `masterFd` is written; `slavePath` is opened only to discard unread input (see interrupt). */
  constructor(private readonly masterFd: number, private readonly slavePath: string) {
    super();
    this.register(toDisposable(() => this.clear()));
  }

  /** Bytes accepted and not yet taken by the kernel. */
  get pending(): number {
    return this.queuedBytes;
  }

  /** Queues `data`; refused whole (never cut mid-character or mid-sequence) when the queue is full. */
  write(data: string | Uint8Array): InputResult {
    if (this.isDisposed) return 'ok';
    if (this.queuedBytes > 0 && typeof data === 'string' && SIGNAL_KEYS.has(data)) this.interrupt();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (bytes.length === 0) return 'ok';
    if (this.queuedBytes + bytes.length > InputLimits.MaxPendingBytes) return 'full';
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    if (this.retryTimer === undefined) this.pump();
    return 'ok';
  }

  /**
   * The program stopped reading and the user pressed ^C: the kernel's input buffer is full, so the key
   * would wait behind the paste forever (the line discipline acts on it only when it has room to read
   * it). We do what ISIG does when it takes the key: drop pending input, ours and the kernel's (read off
   * the terminal's slave side), so the key is the next thing the line discipline sees.
   */
  private interrupt(): void {
    this.clear();
    let fd: number;
    try {
      fd = openSync(this.slavePath, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
    } catch {
      // The terminal is gone (the program exited); there is nothing left to unblock.
      return;
    }
    const buffer = Buffer.allocUnsafe(InputLimits.DiscardReadBytes);
    try {
      for (let total = 0; total < InputLimits.MaxDiscardBytes;) {
        const count = readSync(fd, buffer, 0, buffer.length, null);
        if (count === 0) break;
        total += count;
      }
    } catch {
      // EAGAIN: the input buffer is empty, which is what we wanted.
    } finally {
      closeSync(fd);
    }
  }

  private clear(): void {
    this.queue = [];
    this.queuedBytes = 0;
    this.headWritten = 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /**
   * Writes what is queued, synchronously: the master fd is non-blocking (node-pty sets it so), so a write
   * either takes what the kernel has room for at once or fails with EAGAIN. A keystroke thus reaches the
   * program in the same turn it arrived, without a round trip through libuv's thread pool.
   */
  private pump(): void {
    while (!this.isDisposed) {
      const head = this.queue[0];
      if (head === undefined) return;
      let written: number;
      try {
        written = writeSync(this.masterFd, head, this.headWritten, head.length - this.headWritten);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.pump();
          }, InputLimits.RetryMs);
        } else {
          // EIO or EBADF: the terminal closed because the program exited; its input no longer matters.
          this.clear();
        }
        return;
      }
      this.headWritten += written;
      this.queuedBytes -= written;
      if (this.headWritten >= head.length) {
        this.queue.shift();
        this.headWritten = 0;
      }
    }
  }
}
