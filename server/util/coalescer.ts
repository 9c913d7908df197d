// Coalescer: leading-edge batching on the injected clock. The first call runs at once; further calls within the
// window are gathered into one run at its end, so a burst of N changes costs two runs, not N.

import type { Clock } from './clock.js';
import type { IDisposable } from '../shared/disposable.js';

export class Coalescer implements IDisposable {
  private window: IDisposable | undefined;
  private pending = false;
  private disposed = false;

  constructor(private readonly clock: Clock, private readonly windowMs: number, private readonly run: () => void) {}

  /** Something changed: run now if the window is closed, else once when it closes. */
  notify(): void {
    if (this.disposed) return;
    if (this.window) {
      this.pending = true;
      return;
    }
    this.run();
    this.window = this.clock.setTimer(this.windowMs, () => {
      this.window = undefined;
      if (!this.pending || this.disposed) return;
      this.pending = false;
      this.notify();
    });
  }

  dispose(): void {
    this.disposed = true;
    this.window?.dispose();
    this.window = undefined;
  }
}
