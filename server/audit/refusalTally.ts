// RefusalTally: aggregates refusals of requests that have no connection to hang an AuditCounter on, one record per address per interval, in a bounded table.

import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import { AuditAggregation } from './auditCounter.js';
import type { AuditDetail, AuditEntry, Auditor } from './auditLog.js';

export const RefusalTallyLimits = {
  /**
   * Addresses counted separately within one interval. A flood from more addresses than this is counted
   * together in one record without an address, so memory and log lines stay bounded.
   */
  MaxAddresses: 1_000,
} as const;

interface Tally {
  count: number;
  since: number;
  /** The last refusal's facts (e.g. the refused origin); earlier ones are only counted. */
  detail: AuditDetail;
}

/** The record for addresses past MaxAddresses. */
const OTHER_ADDRESSES = '';

/**
 * Counts refusals per address and writes one record per address with `detail.count` and `since` when
 * the interval that the first of them started ends, and on dispose for whatever is still uncounted.
 */
export class RefusalTally extends Disposable {
  private readonly tallies = new Map<string, Tally>();
  private timer: IDisposable | undefined;

  constructor(
    private readonly auditor: Auditor,
    private readonly clock: Clock,
    private readonly entry: Omit<AuditEntry, 'address' | 'detail'> & { detail?: AuditDetail },
    private readonly intervalMs: number = AuditAggregation.IntervalMs,
    private readonly maxAddresses: number = RefusalTallyLimits.MaxAddresses,
    /** How a refusal's facts join the earlier ones of its address (default: the last one's facts stand). */
    private readonly merge: (earlier: AuditDetail, next: AuditDetail) => AuditDetail = (_earlier, next) => next,
  ) {
    super();
    this.register(toDisposable(() => this.flush()));
  }

  note(address: string, detail: AuditDetail = {}): void {
    if (this.isDisposed) return;
    const key = this.tallies.has(address) || this.tallies.size < this.maxAddresses ? address : OTHER_ADDRESSES;
    const tally = this.tallies.get(key);
    if (tally) {
      tally.count++;
      tally.detail = this.merge(tally.detail, detail);
    } else {
      this.tallies.set(key, { count: 1, since: this.clock.now(), detail });
    }
    this.timer ??= this.clock.setTimer(this.intervalMs, () => this.flush());
  }

  private flush(): void {
    this.timer?.dispose();
    this.timer = undefined;
    // Up to MaxAddresses records at once: one write for all of them.
    this.auditor.batch(() => this.writeTallies());
    this.tallies.clear();
  }

  private writeTallies(): void {
    for (const [address, tally] of this.tallies) {
      this.auditor.record({
        ...this.entry,
        ...(address === OTHER_ADDRESSES ? {} : { address }),
        detail: {
          ...this.entry.detail,
          ...tally.detail,
          ...(address === OTHER_ADDRESSES ? { otherAddresses: true } : {}),
          count: tally.count,
          since: new Date(tally.since).toISOString(),
        },
      });
    }
  }
}
