// AuditCounter: turns a stream of repeated refusals by one actor into one audit record per interval.

import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import type { AuditEntry, Auditor } from './auditLog.js';

export const AuditAggregation = {
  /** A member holding a key down must not write a line per key; one line per this long says enough. */
  IntervalMs: 10_000,
} as const;

/**
 * Counts occurrences and records `entry` with `detail.count` once per interval (the first occurrence
 * starts the interval), and once more on dispose for whatever is still uncounted.
 */
export class AuditCounter extends Disposable {
  private count = 0;
  private since = 0;
  private timer: IDisposable | undefined;

  constructor(
    private readonly auditor: Auditor,
    private readonly clock: Clock,
    private readonly entry: () => AuditEntry,
    private readonly intervalMs: number = AuditAggregation.IntervalMs,
  ) {
    super();
    this.register(toDisposable(() => this.flush()));
  }

  note(): void {
    if (this.isDisposed) return;
    if (this.count === 0) {
      this.since = this.clock.now();
      this.timer = this.clock.setTimer(this.intervalMs, () => this.flush());
    }
    this.count++;
  }

  private flush(): void {
    this.timer?.dispose();
    this.timer = undefined;
    if (this.count === 0) return;
    const entry = this.entry();
    this.auditor.record({ ...entry, detail: { ...entry.detail, count: this.count, since: new Date(this.since).toISOString() } });
    this.count = 0;
  }
}
