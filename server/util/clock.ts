// Clock: the one source of "now" and of timers for policies (timeouts, rate limits, audit), so tests can drive time.

import type { IDisposable } from '../shared/disposable.js';

/** Wall-clock time and one-shot timers. A timer is cancelled by disposing it; disposing twice is harmless. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once, `delayMs` from now (at the earliest). */
  setTimer(delayMs: number, callback: () => void): IDisposable;
  /**
   * Runs `callback` on a later turn of the event loop, after the I/O that is waiting: not a point in time,
   * a chance for sockets and other rooms to run first (setImmediate on the system clock).
   */
  defer(callback: () => void): IDisposable;
}

export const ClockLimits = {
  /**
   * Node's setTimeout takes at most 2^31 - 1 ms (about 24.8 days) and fires after 1 ms for anything
   * longer (TimeoutOverflowWarning), so longer waits are chained through timers of at most this.
   */
  MaxTimeoutMs: 2 ** 31 - 1,
} as const;

/** The real clock: Date.now() and Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, callback) {
    const due = Date.now() + Math.max(0, delayMs);
    let handle: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      const remaining = due - Date.now();
      if (remaining > ClockLimits.MaxTimeoutMs) {
        handle = setTimeout(arm, ClockLimits.MaxTimeoutMs);
      } else {
        handle = setTimeout(() => {
          handle = undefined;
          callback();
        }, Math.max(0, remaining));
      }
    };
    arm();
    return {
      dispose() {
        clearTimeout(handle);
        handle = undefined;
      },
    };
  },
  defer(callback) {
    // Node's setImmediate runs after pending I/O; where there is none (a browser), a 0 ms timeout stands in.
    const turns = globalThis as unknown as { setImmediate?: (run: () => void) => unknown; clearImmediate?: (handle: unknown) => void };
    if (turns.setImmediate && turns.clearImmediate) {
      const handle = turns.setImmediate(callback);
      const clear = turns.clearImmediate;
      return { dispose: () => clear(handle) };
    }
    const handle = setTimeout(callback, 0);
    return { dispose: () => clearTimeout(handle) };
  },
};
