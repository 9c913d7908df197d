// ConnectionLimiter: a token bucket per client address for new socket sessions and WebSocket upgrades, with a bounded, self-pruning table of addresses.

import { isIP } from 'node:net';
import type { Clock } from '../util/clock.js';
import { TokenBucket } from '../util/tokenBucket.js';

/**
 * A browser tab costs one attempt per connection with the WebSocket transport, two with polling first
 * (handshake, then upgrade). 20 a second with a burst of 40 lets a person reopen a dozen tabs, or a
 * classroom behind one NAT reconnect after a network blip, within a couple of seconds (socket.io
 * clients retry with backoff, so a refused attempt costs a delay, not the session). A script opening
 * hundreds a second gets 429 after the burst.
 */
export const ConnectionLimits = {
  RatePerSecond: 20,
  Burst: 40,
  /**
   * Addresses tracked at once: a bucket is a few dozen bytes, so 10 000 is well under a megabyte. Past
   * it the least recently seen address is forgotten (it starts over with a full bucket).
   */
  MaxTrackedAddresses: 10_000,
  /** How often full (idle) buckets are dropped, in ms: a full bucket is the same as no bucket. */
  SweepIntervalMs: 60_000,
  /**
   * IPv6 addresses are keyed by their /64: one host usually holds a whole /64 and could otherwise take a
   * fresh bucket per address.
   */
  Ipv6PrefixGroups: 4,
} as const;

export type ConnectionLimitSettings = { readonly [K in 'RatePerSecond' | 'Burst' | 'MaxTrackedAddresses' | 'SweepIntervalMs']: number };

/** The key an address is limited under: IPv4 as is, IPv6 by its /64 prefix. */
export function limitKey(address: string): string {
  if (isIP(address) !== 6 || address.includes('.')) return address;
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, ConnectionLimits.Ipv6PrefixGroups).map((group) => group.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

export class ConnectionLimiter {
  /** Map order is recency order: a used key is moved to the end, so the first one is the least recent. */
  private readonly buckets = new Map<string, TokenBucket>();
  private sweptAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: ConnectionLimitSettings = ConnectionLimits,
  ) {
    this.sweptAt = clock.now();
  }

  /** Takes one attempt from the address's bucket; refused attempts say when the next one would pass. */
  tryAdmit(address: string): Admission {
    this.sweepIfDue();
    const key = limitKey(address);
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
    } else {
      bucket = new TokenBucket(this.clock, this.limits.RatePerSecond, this.limits.Burst);
      if (this.buckets.size >= this.limits.MaxTrackedAddresses) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, bucket);
    if (bucket.tryTake()) return { ok: true };
    const missing = 1 - bucket.available;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(missing / this.limits.RatePerSecond)) };
  }

  /** Addresses currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  private sweepIfDue(): void {
    const now = this.clock.now();
    if (now - this.sweptAt < this.limits.SweepIntervalMs) return;
    this.sweptAt = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.available >= this.limits.Burst) this.buckets.delete(key);
    }
  }
}
