// Audit records of sign-ins: each success once per user and address per interval, failures counted per address.

import { AuditAggregation } from '../audit/auditCounter.js';
import type { AuditDetail, Auditor } from '../audit/auditLog.js';
import { RefusalTally, RefusalTallyLimits } from '../audit/refusalTally.js';
import type { Clock } from '../util/clock.js';
import { Disposable } from '../shared/disposable.js';

/** How a user signed in; 'session' is not one (a session only carries an earlier sign-in). */
export type SigninMethod = 'basic' | 'local' | 'local-basic' | 'oidc';

export const SigninAuditLimits = {
  /** Successes remembered at once for "once per user and address per interval"; past it the oldest go. */
  MaxTrackedSuccesses: 10_000,
} as const;

/** Joins the methods of failures from one address: `detail.method` lists each once, sorted. */
function mergeMethods(earlier: AuditDetail, next: AuditDetail): AuditDetail {
  const methods = new Set([...String(earlier.method).split(','), String(next.method)]);
  return { method: [...methods].sort().join(',') };
}

/**
 * Records `signin.succeeded` (actor = user id) and `signin.failed` (address and count; never the name that
 * was tried: a password typed into the name field must not land in the log, and never the password).
 * Basic sign-in happens on every request, so successes are recorded once per user, address and interval;
 * failures are tallied per address like other refusals (RefusalTally).
 */
export class SigninAudit extends Disposable {
  private readonly failures: RefusalTally;
  private readonly recentSuccesses = new Map<string, number>();

  constructor(
    private readonly auditor: Auditor,
    private readonly clock: Clock,
    private readonly intervalMs: number = AuditAggregation.IntervalMs,
  ) {
    super();
    this.failures = this.register(new RefusalTally(auditor, clock, { event: 'signin.failed' }, intervalMs, RefusalTallyLimits.MaxAddresses, mergeMethods));
  }

  succeeded(userId: string, address: string, method: SigninMethod): void {
    if (this.isDisposed) return;
    const now = this.clock.now();
    const key = `${method}\n${userId}\n${address}`;
    const last = this.recentSuccesses.get(key);
    if (last !== undefined && now - last < this.intervalMs) return;
    if (this.recentSuccesses.size >= SigninAuditLimits.MaxTrackedSuccesses) this.forgetOldSuccesses(now);
    this.recentSuccesses.set(key, now);
    this.auditor.record({ event: 'signin.succeeded', actor: userId, address, detail: { method } });
  }

  failed(address: string, method: SigninMethod): void {
    this.failures.note(address, { method });
  }

  private forgetOldSuccesses(now: number): void {
    for (const [key, time] of this.recentSuccesses) {
      if (now - time >= this.intervalMs) this.recentSuccesses.delete(key);
    }
    // Still full: all recent. Forgetting them only means a second record for someone; memory stays bounded.
    if (this.recentSuccesses.size >= SigninAuditLimits.MaxTrackedSuccesses) this.recentSuccesses.clear();
  }
}
