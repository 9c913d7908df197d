// Audit records of sign-ins: each success once per user and address per interval, failures counted per address.

import { AuditAggregation } from '../audit/auditCounter.js';
import type { Auditor } from '../audit/auditLog.js';
import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable, type IDisposable } from '../util/disposable.js';

/** How a user signed in; 'session' is not one (a session only carries an earlier sign-in). */
export type SigninMethod = 'basic' | 'local' | 'local-basic' | 'oidc';

export const SigninAuditLimits = {
  /**
   * Addresses tracked at once for aggregation. A spray from more addresses than this is lumped into one
   * record per interval under the address "many", so the tracking itself stays bounded.
   */
  MaxTrackedAddresses: 10_000,
} as const;

interface FailureCount {
  count: number;
  since: number;
  methods: Set<SigninMethod>;
  timer: IDisposable;
}

/**
 * Records `signin.succeeded` (actor = user id) and `signin.failed` (address and count; never the name that
 * was tried: a password typed into the name field must not land in the log, and never the password).
 * Basic sign-in happens on every request, so successes are recorded once per user, address and interval.
 */
export class SigninAudit extends Disposable {
  private readonly failures = new Map<string, FailureCount>();
  private readonly recentSuccesses = new Map<string, number>();

  constructor(
    private readonly auditor: Auditor,
    private readonly clock: Clock,
    private readonly intervalMs: number = AuditAggregation.IntervalMs,
  ) {
    super();
    this.register(toDisposable(() => {
      for (const address of [...this.failures.keys()]) this.flush(address);
    }));
  }

  succeeded(userId: string, address: string, method: SigninMethod): void {
    if (this.isDisposed) return;
    const now = this.clock.now();
    const key = `${method}\n${userId}\n${address}`;
    const last = this.recentSuccesses.get(key);
    if (last !== undefined && now - last < this.intervalMs) return;
    if (this.recentSuccesses.size >= SigninAuditLimits.MaxTrackedAddresses) this.forgetOldSuccesses(now);
    this.recentSuccesses.set(key, now);
    this.auditor.record({ event: 'signin.succeeded', actor: userId, address, detail: { method } });
  }

  failed(address: string, method: SigninMethod): void {
    if (this.isDisposed) return;
    const key = this.failures.has(address) || this.failures.size < SigninAuditLimits.MaxTrackedAddresses ? address : 'many';
    let entry = this.failures.get(key);
    if (!entry) {
      entry = { count: 0, since: this.clock.now(), methods: new Set(), timer: this.clock.setTimer(this.intervalMs, () => this.flush(key)) };
      this.failures.set(key, entry);
    }
    entry.count++;
    entry.methods.add(method);
  }

  private flush(address: string): void {
    const entry = this.failures.get(address);
    if (!entry) return;
    entry.timer.dispose();
    this.failures.delete(address);
    this.auditor.record({
      event: 'signin.failed',
      address,
      detail: { method: [...entry.methods].sort().join(','), count: entry.count, since: new Date(entry.since).toISOString() },
    });
  }

  private forgetOldSuccesses(now: number): void {
    for (const [key, time] of this.recentSuccesses) {
      if (now - time >= this.intervalMs) this.recentSuccesses.delete(key);
    }
    // Still full: all recent. Forgetting them only means a second record for someone; memory stays bounded.
    if (this.recentSuccesses.size >= SigninAuditLimits.MaxTrackedAddresses) this.recentSuccesses.clear();
  }
}
