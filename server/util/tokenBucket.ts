// TokenBucket: a sustained rate with a burst allowance, refilled lazily from the clock (no timer).

import type { Clock } from './clock.js';

/**
 * Credit is counted in thousandths of a token: a millisecond at an integer rate adds a whole number of
 * them, so refills add up exactly instead of drifting below a token through float rounding.
 */
const MILLI = 1000;

export class TokenBucket {
  private credit: number;
  private readonly capacity: number;
  private refilledAt: number;

  /**
   * @param ratePerSecond tokens added per second, up to `burst`
   * @param burst the most tokens the bucket holds; it starts full
   */
  constructor(
    private readonly clock: Clock,
    private readonly ratePerSecond: number,
    burst: number,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) {
      throw new RangeError(`a token bucket needs a positive rate and a burst of at least 1, got ${ratePerSecond}/s and ${burst}`);
    }
    this.capacity = burst * MILLI;
    this.credit = this.capacity;
    this.refilledAt = clock.now();
  }

  /** Takes `cost` tokens when there are that many and says whether it did; a refusal takes nothing. */
  tryTake(cost = 1): boolean {
    this.refill();
    if (this.credit < cost * MILLI) return false;
    this.credit -= cost * MILLI;
    return true;
  }

  /** Tokens available now (fractional while refilling). */
  get available(): number {
    this.refill();
    return this.credit / MILLI;
  }

  private refill(): void {
    const now = this.clock.now();
    // A clock that steps backwards (NTP on the system clock) adds nothing.
    const elapsedMs = Math.max(0, now - this.refilledAt);
    this.refilledAt = now;
    // Per millisecond, rate/1000 tokens = rate thousandths.
    this.credit = Math.min(this.capacity, this.credit + elapsedMs * this.ratePerSecond);
  }
}

/** One TokenBucket per key (a member), made full on its first use; `forget` drops a key's bucket with its key. */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes a token from `key`'s bucket when it has one, and says whether it did. */
  tryTake(key: string): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.clock, this.ratePerSecond, this.burst);
      this.buckets.set(key, bucket);
    }
    return bucket.tryTake();
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}
