// TokenFailureLimiter: counts credential failures (bad, expired or revoked token; unknown room) per address and per
// (address, room), and refuses further attempts for a doubling backoff, with the same answer whether the room exists.

import type { Auditor } from '../audit/auditLog.js';
import { AuditAggregation } from '../audit/auditCounter.js';
import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';

export const TokenFailureLimits = {
  /** Failures for one room from one address before the backoff starts: a few typos or stale links, not a search. */
  FreeFailuresPerRoom: 5,
  /** Failures from one address over all rooms: more, since one person may hold several stale links; stops spraying room ids. */
  FreeFailuresPerAddress: 20,
  /** The first backoff; each further failure past the free ones doubles it. */
  InitialBackoffMs: 1_000,
  /** At most this long: a guesser gets about four tries an hour per address, a locked-out typist waits a coffee break. */
  MaxBackoffMs: 15 * 60_000,
  /** A key without a failure for this long is forgotten; longer than MaxBackoffMs, so the cap holds. */
  ForgetAfterMs: 60 * 60_000,
  /** Keys held at once (about 100 bytes each); past it the least recently failing is dropped. */
  MaxKeys: 10_000,
  /** Addresses named in one aggregation interval's audit records; the rest are counted in one record. */
  MaxAuditAddresses: 1_000,
} as const;

export type Limits = { -readonly [K in keyof typeof TokenFailureLimits]: number };

interface Failures {
  count: number;
  lastFailure: number;
  blockedUntil: number;
}

export type Attempt<T> = { kind: 'ok'; value: T } | { kind: 'not-found' } | { kind: 'throttled'; retryAfterMs: number };

interface Refusals {
  count: number;
  since: number;
  /** The room named by every refusal so far, or null once two differ. */
  room: string | null;
}

export class TokenFailureLimiter extends Disposable {
  /** Insertion order is failure recency (a failing key is moved to the end), so the first key is the one to drop. */
  private readonly keys = new Map<string, Failures>();
  private readonly refusals = new Map<string, Refusals>();
  private otherRefusals = 0;
  private flushTimer: IDisposable | undefined;
  private readonly limits: Limits;

  constructor(
    private readonly clock: Clock,
    private readonly auditor: Auditor,
    limits: Partial<Limits> = {},
  ) {
    super();
    this.limits = { ...TokenFailureLimits, ...limits };
    this.register(toDisposable(() => this.flush()));
  }

  /** Keys held now (for the memory bound's test). */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Runs `check` (which looks up the room and verifies the credential) unless the address is backing
   * off for this room or overall. While it backs off, the credential is not even looked at: a correct
   * token is refused too, or else a guesser would keep learning which of its guesses was right.
   * A failure counts against both keys; a success clears only this (address, room) key, so holding one
   * valid link does not buy fresh guesses elsewhere.
   */
  attempt<T>(address: string, roomId: string, check: () => T | undefined): Attempt<T> {
    const now = this.clock.now();
    const addressKey = `a ${address}`;
    const roomKey = `r ${address} ${roomId}`;
    const waitMs = Math.max(this.blockedFor(addressKey, now), this.blockedFor(roomKey, now));
    if (waitMs > 0) {
      this.noteRefusal(address, roomId, now);
      return { kind: 'throttled', retryAfterMs: waitMs };
    }
    const value = check();
    if (value === undefined) {
      this.fail(addressKey, this.limits.FreeFailuresPerAddress, now);
      this.fail(roomKey, this.limits.FreeFailuresPerRoom, now);
      return { kind: 'not-found' };
    }
    this.keys.delete(roomKey);
    return { kind: 'ok', value };
  }

  private blockedFor(key: string, now: number): number {
    const failures = this.keys.get(key);
    if (!failures) return 0;
    if (now - failures.lastFailure >= this.limits.ForgetAfterMs) {
      this.keys.delete(key);
      return 0;
    }
    return Math.max(0, failures.blockedUntil - now);
  }

  private fail(key: string, free: number, now: number): void {
    const failures = this.keys.get(key) ?? { count: 0, lastFailure: now, blockedUntil: 0 };
    failures.count++;
    failures.lastFailure = now;
    if (failures.count >= free) {
      // The exponent is capped before 2 ** n can overflow into Infinity; MaxBackoffMs caps the rest.
      const doublings = Math.min(failures.count - free, 30);
      failures.blockedUntil = now + Math.min(this.limits.InitialBackoffMs * 2 ** doublings, this.limits.MaxBackoffMs);
    }
    this.keys.delete(key);
    this.keys.set(key, failures);
    while (this.keys.size > this.limits.MaxKeys) this.keys.delete(this.keys.keys().next().value!);
  }

  /** Refusals are audited as one record per address per interval (aggregated like write.denied). */
  private noteRefusal(address: string, roomId: string, now: number): void {
    const known = this.refusals.get(address);
    if (known) {
      known.count++;
      if (known.room !== roomId) known.room = null;
    } else if (this.refusals.size < this.limits.MaxAuditAddresses) {
      this.refusals.set(address, { count: 1, since: now, room: roomId });
    } else {
      this.otherRefusals++;
    }
    this.flushTimer ??= this.clock.setTimer(AuditAggregation.IntervalMs, () => this.flush());
  }

  private flush(): void {
    this.flushTimer?.dispose();
    this.flushTimer = undefined;
    // Up to MaxAuditAddresses records at once: one write for all of them.
    this.auditor.batch(() => {
      for (const [address, { count, since, room }] of this.refusals) {
        this.auditor.record({
          event: 'limit.refused',
          ...(room !== null ? { room } : {}),
          address,
          detail: { limit: 'token-failures', count, since: new Date(since).toISOString() },
        });
      }
      if (this.otherRefusals > 0) {
        this.auditor.record({ event: 'limit.refused', detail: { limit: 'token-failures', count: this.otherRefusals, addresses: 'others' } });
      }
    });
    this.refusals.clear();
    this.otherRefusals = 0;
  }
}
