// A Clock that only moves when a test says so: advance(ms) runs the timers that fall due, in order.

import type { Clock } from '../../server/util/clock.js';
import type { IDisposable } from '../../server/shared/disposable.js';

interface Timer {
  due: number;
  /** Creation order, so timers due at the same moment run in the order they were set. */
  seq: number;
  callback: () => void;
}

/** 2024-01-01T00:00:00Z: a fixed start keeps audit times and createdAt readable in failures. */
export const MANUAL_CLOCK_START = Date.UTC(2024, 0, 1);

export class ManualClock implements Clock {
  private current: number;
  private nextSeq = 0;
  private readonly timers = new Set<Timer>();

  private readonly turns: Array<() => void> = [];

  /**
   * `manualTurns`: deferred callbacks wait for runTurns() (unit tests of pacing); by default they run on the
   * event loop's next turn like the system clock's, since a turn is not a point in time.
   */
  constructor(start: number = MANUAL_CLOCK_START, private readonly manualTurns = false) {
    this.current = start;
  }

  defer(callback: () => void): IDisposable {
    if (!this.manualTurns) {
      const handle = setImmediate(callback);
      return { dispose: () => clearImmediate(handle) };
    }
    let cancelled = false;
    this.turns.push(() => {
      if (!cancelled) callback();
    });
    return { dispose: () => void (cancelled = true) };
  }

  /** Runs one turn: the callbacks deferred before it (those they defer wait for the next). Returns how many ran. */
  runTurn(): number {
    const due = this.turns.splice(0);
    for (const callback of due) callback();
    return due.length;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): IDisposable {
    const timer: Timer = { due: this.current + Math.max(0, delayMs), seq: this.nextSeq++, callback };
    this.timers.add(timer);
    return { dispose: () => void this.timers.delete(timer) };
  }

  /** Timers not yet run or cancelled: a test checks this to prove that nothing was left behind. */
  get pending(): number {
    return this.timers.size;
  }

  /** Timers set to run at exactly `time` (ms since the epoch): proves one particular timer was, or was not, left behind. */
  timersDueAt(time: number): number {
    let count = 0;
    for (const timer of this.timers) if (timer.due === time) count++;
    return count;
  }

  /**
   * Moves time forward by `ms`, running every timer due by then in due order; the clock reads each
   * timer's due time while it runs. Timers set by a callback run too if they fall due within the step.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance wants a non-negative number of ms, got ${ms}`);
    const target = this.current + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers) {
        if (timer.due > target) continue;
        if (!next || timer.due < next.due || (timer.due === next.due && timer.seq < next.seq)) next = timer;
      }
      if (!next) break;
      this.timers.delete(next);
      this.current = next.due;
      next.callback();
    }
    this.current = target;
  }

  /** Moves time forward to an absolute moment (ms since the epoch), like advance. */
  advanceTo(time: number): void {
    this.advance(time - this.current);
  }
}
