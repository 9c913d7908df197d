// OutputBatcher: leading-edge coalescing of PTY output, so an idle keystroke echo goes out at once
// and a flood goes out in few, large flushes.

import { Disposable, toDisposable } from '../shared/disposable.js';

export const BatchLimits = {
  /**
   * After a flush, further output is gathered for this long before the next flush: long enough to
   * merge a flood's many small reads into one emit per room, short enough to stay under a frame.
   */
  CoalesceMs: 8,
  /** Flush at once past this many code units, so a burst never waits and batches stay modest. */
  MaxBatch: 64 * 1024,
} as const;

export class OutputBatcher extends Disposable {
  private pending: string[] = [];
  private pendingLength = 0;
  private window: NodeJS.Timeout | undefined;

  constructor(private readonly flushTo: (data: string) => void) {
    super();
    this.register(toDisposable(() => {
      clearTimeout(this.window);
      this.pending = [];
      this.pendingLength = 0;
    }));
  }

  push(data: string): void {
    if (this.isDisposed || data.length === 0) return;
    if (this.window === undefined) {
      // Idle: nothing to coalesce with, so send now and open a window for what follows.
      this.flushTo(data);
      this.openWindow();
      return;
    }
    this.pending.push(data);
    this.pendingLength += data.length;
    if (this.pendingLength >= BatchLimits.MaxBatch) this.flush();
  }

  /** Sends whatever is gathered now (before a resize, an exit, or disposal). */
  flush(): void {
    if (this.isDisposed || this.pendingLength === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    this.flushTo(data);
  }

  private openWindow(): void {
    this.window = setTimeout(() => {
      this.window = undefined;
      if (this.pendingLength > 0) {
        this.flush();
        this.openWindow();
      }
    }, BatchLimits.CoalesceMs);
  }
}
