// Retention: removes what the store holds past the retention age, at start and then on a timer.

import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import type { PruneResult, Store } from './store.js';

export const RetentionTiming = {
  /** A day in ms: the unit of --retention-days. */
  DayMs: 24 * 3600 * 1000,
  /** Sweeps this often, in ms: an hour is fine-grained enough for an age counted in days, and costs nothing. */
  SweepIntervalMs: 3600 * 1000,
} as const;

/**
 * Every sweep deletes rooms closed more than `days` ago (with their sessions and recordings' index rows) and
 * audit events older than that; the store tells the recordings' owner which files went. 0 days keeps all.
 */
export class Retention extends Disposable {
  private timer: IDisposable | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly days: number,
  ) {
    super();
    this.register(toDisposable(() => this.timer?.dispose()));
    if (days > 0) {
      this.sweep();
      this.schedule();
    }
  }

  /** The moment before which records go. */
  get cutoff(): number {
    return this.clock.now() - this.days * RetentionTiming.DayMs;
  }

  sweep(): PruneResult | undefined {
    if (this.isDisposed || this.days <= 0) return undefined;
    return this.store.prune(this.cutoff);
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(RetentionTiming.SweepIntervalMs, () => {
      this.sweep();
      this.schedule();
    });
  }
}
