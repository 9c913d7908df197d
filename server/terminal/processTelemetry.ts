// processTelemetry: CPU, resident memory and process count of a room's session, read from /proc between samples.

import { readFileSync } from 'node:fs';
import type { Clock } from '../util/clock.js';
import { ProcFs, sessionMembers, type ProcessIdentity } from './processTree.js';

export const ProcTimes = {
  /**
   * Clock ticks per second of utime/stime (USER_HZ, sysconf(_SC_CLK_TCK)): the kernel reports 100 to user
   * space on every Linux architecture, whatever its internal HZ.
   */
  TicksPerSecond: 100,
  /** /proc/<pid>/status gives VmRSS in kB (KiB): bytes per unit. */
  StatusKbBytes: 1024,
} as const;

/** One reading of a room's process session. */
export interface TelemetrySample {
  /** Clock ms when it was taken. */
  at: number;
  /** CPU used since the previous sample, per core as `top` shows it: 100 is one core busy all the time. */
  cpuPercent: number;
  /** Sum of the resident set sizes of the session's processes (shared pages count once per process, as in `top`). */
  memoryBytes: number;
  /** Live processes in the session. */
  processes: number;
}

/** Resident bytes from /proc/<pid>/status; 0 when it has no VmRSS line (a zombie, a kernel thread). */
export function parseRssBytes(text: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  return match ? Number(match[1]) * ProcTimes.StatusKbBytes : 0;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // The process exited between the listing and this read: it simply is not counted.
    return undefined;
  }
}

/**
 * Samples one session. CPU is the sum, over the processes alive now, of the ticks each used since the
 * previous sample (all of its ticks if it started since), so a process that exits makes no negative jump;
 * what an exited process used in its last interval is not counted.
 */
export class SessionSampler {
  /** Ticks per process at the previous sample, keyed by pid and start time so a reused pid is a new process. */
  private previous = new Map<string, number>();
  private previousAt: number | undefined;

  constructor(
    private readonly leader: ProcessIdentity,
    private readonly clock: Clock,
    private readonly root: string = ProcFs.Root,
  ) {}

  /** A reading, or undefined once the session is gone or no longer ours (its leader's pid was reused). */
  sample(): TelemetrySample | undefined {
    const members = sessionMembers(this.leader, this.root);
    if (!members) return undefined;
    const at = this.clock.now();
    const ticks = new Map<string, number>();
    let usedTicks = 0;
    let memoryBytes = 0;
    // The listing already read each member's stat line, CPU ticks included: only its status is read here.
    for (const member of members) {
      const key = `${member.pid}:${member.startTime}`;
      ticks.set(key, member.cpuTicks);
      usedTicks += Math.max(0, member.cpuTicks - (this.previous.get(key) ?? 0));
      memoryBytes += parseRssBytes(readText(`${this.root}/${member.pid}/status`) ?? '');
    }
    const elapsedMs = this.previousAt === undefined ? 0 : at - this.previousAt;
    // The first reading has nothing to compare with: its CPU is unknown, reported as 0.
    const cpuPercent = elapsedMs > 0 ? (usedTicks / ProcTimes.TicksPerSecond) / (elapsedMs / 1000) * 100 : 0;
    this.previous = ticks;
    this.previousAt = at;
    return { at, cpuPercent, memoryBytes, processes: ticks.size };
  }
}
