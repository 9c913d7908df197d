// EventRateLimiter: the events-per-second budget of one connection, and when a flood ends it.

import type { Clock } from '../util/clock.js';
import { TokenBucket } from '../util/tokenBucket.js';

/**
 * What a legitimate client sends per second: typing and key repeat ≲ 30 `term:input`; mouse tracking in
 * full-screen programs ≲ 120 (one per frame); `term:ack` ≲ 10 by timer plus one per 256 KiB parsed
 * (≲ 120 at the ~30 MB/s a browser terminal parses); a paste arrives as 64 KiB chunks all at once.
 */
export const EventRateLimits = {
  /** Events per second a connection may keep up: the sum above with room to spare. */
  SustainedPerSecond: 300,
  /** Events a connection may send at once: a 37.5 MiB paste (600 × 64 KiB chunks) passes whole. */
  Burst: 600,
  /** A refused sender is told at most once per window, and floods are judged per window. */
  WindowMs: 1_000,
  /** A window with more refusals than this is a flood: the sender ran at over four times the sustained rate. */
  FloodRefusedPerWindow: 1_000,
  /** This many flooding windows in a row (5 s) and the connection is closed: it is not a client bug that backs off. */
  FloodWindowsToDisconnect: 5,
} as const;

export type RateLimits = { readonly [K in keyof typeof EventRateLimits]: number };

/**
 * 'pass': handle the event. 'drop': ignore it. 'drop-and-tell': ignore it and tell the sender (once per
 * window). 'disconnect': the sender has flooded for long enough; close its connection.
 */
export type RateVerdict = 'pass' | 'drop' | 'drop-and-tell' | 'disconnect';

export class EventRateLimiter {
  private readonly bucket: TokenBucket;
  private readonly origin: number;
  private window = -1;
  private refusedInWindow = 0;
  private toldInWindow = false;
  private lastFloodWindow = -2;
  private floodStreak = 0;

  constructor(
    private readonly clock: Clock,
    readonly limits: RateLimits = EventRateLimits,
  ) {
    this.bucket = new TokenBucket(clock, limits.SustainedPerSecond, limits.Burst);
    this.origin = clock.now();
  }

  admit(): RateVerdict {
    if (this.bucket.tryTake()) return 'pass';
    const window = Math.floor((this.clock.now() - this.origin) / this.limits.WindowMs);
    if (window !== this.window) {
      this.window = window;
      this.refusedInWindow = 0;
      this.toldInWindow = false;
    }
    this.refusedInWindow++;
    if (this.refusedInWindow === this.limits.FloodRefusedPerWindow + 1) {
      this.floodStreak = window === this.lastFloodWindow + 1 ? this.floodStreak + 1 : 1;
      this.lastFloodWindow = window;
      if (this.floodStreak >= this.limits.FloodWindowsToDisconnect) return 'disconnect';
    }
    if (this.toldInWindow) return 'drop';
    this.toldInWindow = true;
    return 'drop-and-tell';
  }
}
