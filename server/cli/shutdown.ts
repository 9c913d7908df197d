// Shutdown: the one graceful stop — refuse newcomers at once, end every room within a hard deadline, exit with a status.

import type { App } from '../app.js';

/** Exit statuses of the `ttyroom` command. */
export const ExitStatus = {
  Ok: 0,
  /** Something failed at run time: cannot listen, or the shutdown failed or missed its deadline. */
  Failure: 1,
  /** Bad options (README.md, Usage). */
  Usage: 2,
  /** `--timeout` ran out before anyone joined; distinct so scripts can tell it from a failure. */
  NobodyJoined: 3,
} as const;

export const ShutdownTiming = {
  /**
   * The kill grace may use at most this share of the shutdown deadline: the rest is for SIGKILL,
   * reaping, reading the last output (up to PtyTiming.DrainIdleMs) and telling members.
   */
  GraceShareOfDeadline: 0.5,
} as const;

/** The kill grace used at shutdown: the configured one, shortened when it would not fit the deadline. */
export function shutdownGraceMs(killGraceMs: number, deadlineMs: number): number {
  return Math.min(killGraceMs, Math.floor(deadlineMs * ShutdownTiming.GraceShareOfDeadline));
}

export interface ShutdownOptions {
  deadlineMs: number;
  killGraceMs: number;
  exit(status: number): void;
  /** A line for the server log; 'error' for a shutdown that failed or ran out of time. */
  log(line: string, severity?: 'info' | 'error'): void;
}

export class Shutdown {
  private started = false;

  constructor(private readonly app: App, private readonly options: ShutdownOptions) {}

  get isStarted(): boolean {
    return this.started;
  }

  /**
   * Stops accepting at once, closes every room (members get `term:exit` with reason `server-shutdown`)
   * and exits with `status` once their processes are gone, or with a failure at the deadline after
   * SIGKILLing whatever is left. Returns false, doing nothing, when a shutdown is already running: a
   * second signal must not run it twice.
   */
  begin(status: number, reason: string): boolean {
    if (this.started) return false;
    this.started = true;
    this.app.stopAccepting();
    this.options.log(reason, status === ExitStatus.Failure ? 'error' : 'info');
    const { deadlineMs, killGraceMs, exit, log } = this.options;
    const deadline = setTimeout(() => {
      log(`shutdown deadline of ${deadlineMs / 1000} s passed; killing what is left and exiting`, 'error');
      // Disposing a room SIGKILLs its whole session synchronously, so nothing outlives the server.
      this.app.rooms.dispose();
      exit(ExitStatus.Failure);
    }, deadlineMs);
    this.app.dispose({ graceMs: shutdownGraceMs(killGraceMs, deadlineMs) }).then(
      () => {
        clearTimeout(deadline);
        exit(status);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        log(`shutdown failed: ${String(error)}`, 'error');
        this.app.rooms.dispose();
        exit(ExitStatus.Failure);
      },
    );
    return true;
  }
}
