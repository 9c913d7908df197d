// OutputBatcher: leading-edge coalescing of PTY output, so a keystroke echo goes out at once and a flood goes
// out in few, large flushes.

import { BatchLimits } from '../shared/flowControl.js';
import { Disposable, toDisposable } from '../shared/disposable.js';

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
      // Nothing to coalesce with, so send now; a large read opens a window for what follows.
      this.flushTo(data);
      if (data.length >= BatchLimits.WindowAfterUnits) this.openWindow();
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
