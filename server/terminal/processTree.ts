// processTree: reads /proc to find every live process of a room's session and ends them, never touching a reused pid.

import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const ProcFs = {
  Root: '/proc',
  /** Changes on every boot: records from before a reboot name processes that cannot exist any more. */
  BootIdPath: '/proc/sys/kernel/random/boot_id',
  /** 1-based positions in /proc/<pid>/stat (proc(5)), counted across the whole line. */
  UtimeField: 14,
  StimeField: 15,
  StartTimeField: 22,
  /** The fields after `(comm)` start at field 3 (`state`). */
  FirstFieldAfterComm: 3,
} as const;

export const ProcessTiming = {
  /** During the grace period a closing room looks this often whether its session has emptied (one /proc scan each). */
  SweepPollMs: 50,
  /** After SIGKILL, how often to look again for what is still there: SIGKILL takes effect within a tick or two. */
  KillPollMs: 10,
  /** Stop waiting for SIGKILLed processes after this: one stuck in uninterruptible I/O (state D) dies when the I/O ends. */
  KillConfirmMaxMs: 2_000,
} as const;

/** The fields of /proc/<pid>/stat we use. */
export interface ProcStat {
  pid: number;
  comm: string;
  /** One letter: R running, S sleeping, D disk sleep, Z zombie, T stopped, X dead, … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Clock ticks after boot at which the process started: with the pid it names one process, not a reused pid. */
  startTime: number;
  /** CPU clock ticks used so far, user plus system (utime + stime): what telemetry's CPU share is measured from. */
  cpuTicks: number;
}

/** A process named so that it cannot be mistaken for a later one that got the same pid. */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

/**
 * Parses one /proc/<pid>/stat line. `comm` is in parentheses and may itself hold spaces, parentheses
 * and `) ` (a program can name itself anything up to 15 bytes), so the fields are read from after the
 * *last* `)`; nothing after it can contain one.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open + 1) return undefined;
  const pid = Number(text.slice(0, open));
  const fields = text.slice(close + 1).trim().split(' ');
  const field = (position: number): number => {
    const raw = fields[position - ProcFs.FirstFieldAfterComm];
    return raw !== undefined && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  };
  const stat: ProcStat = {
    pid,
    comm: text.slice(open + 2, close),
    state: fields[0] ?? '',
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    startTime: field(ProcFs.StartTimeField),
    cpuTicks: field(ProcFs.UtimeField) + field(ProcFs.StimeField),
  };
  const numbers = [stat.pid, stat.ppid, stat.pgrp, stat.session, stat.startTime, stat.cpuTicks];
  if (!/^[A-Za-z]$/.test(stat.state) || !numbers.every(Number.isSafeInteger)) return undefined;
  return stat;
}

/** Whether this system has a Linux-style /proc; elsewhere only the process group can be signalled. */
export function procAvailable(root: string = ProcFs.Root): boolean {
  return existsSync(`${root}/self/stat`);
}

/** The process's stat, or undefined once it is gone (reaped) or unreadable. */
export function readProcStat(pid: number, root: string = ProcFs.Root): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`${root}/${pid}/stat`, 'utf8'));
  } catch {
    // ENOENT/ESRCH: the process is gone, which is an answer, not an error.
    return undefined;
  }
}

/** Identity of a running process (pid + start time), or undefined when it is gone. */
export function identify(pid: number, root: string = ProcFs.Root): ProcessIdentity | undefined {
  const stat = readProcStat(pid, root);
  return stat ? { pid, startTime: stat.startTime } : undefined;
}

/** Whether a process is still running: zombies have exited and only wait for their parent to reap them. */
export function isLive(stat: ProcStat): boolean {
  return stat.state !== 'Z' && stat.state !== 'X' && stat.state !== 'x';
}

/** True while that exact process (not a later one with its pid) exists and has not exited. */
export function isRunning(identity: ProcessIdentity, root: string = ProcFs.Root): boolean {
  const stat = readProcStat(identity.pid, root);
  return stat !== undefined && stat.startTime === identity.startTime && isLive(stat);
}

export function readBootId(path: string = ProcFs.BootIdPath): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    // No /proc (not Linux): callers then keep no records at all.
    return undefined;
  }
}

function listProcesses(root: string): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync(root)) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name), root);
    if (stat) stats.push(stat);
  }
  return stats;
}

let ownSession: number | undefined;

/**
 * The live processes of the session `leader` started, or undefined when that session is no longer
 * ours to end.
 *
 * - If a process now holding the leader's pid started at another time, the pid was reused, and so may
 *   the session id be: undefined.
 * - Otherwise a member is a live process whose session id is the leader's pid and that started no
 *   earlier than the leader. While any member exists the kernel keeps that number allocated, so no
 *   unrelated process can take the pid; the one case we cannot tell apart is a session whose every
 *   process ended, whose pid was then reused by a new session leader that left children behind.
 * - The server's own process and session are never included, whatever a record says.
 */
export function sessionMembers(leader: ProcessIdentity, root: string = ProcFs.Root): ProcStat[] | undefined {
  const holder = readProcStat(leader.pid, root);
  if (holder && holder.startTime !== leader.startTime) return undefined;
  ownSession ??= readProcStat(process.pid)?.session;
  if (leader.pid === ownSession || leader.pid === process.pid) return undefined;
  return listProcesses(root).filter((stat) =>
    stat.session === leader.pid && stat.startTime >= leader.startTime && isLive(stat) && stat.pid !== process.pid);
}

/**
 * Sends `signal` to every live process of the session. Returns how many were signalled, or undefined
 * when the session is not ours (see sessionMembers). A member can exit between the listing and the
 * signal; its pid cannot be handed to another process in those microseconds (that takes a full
 * wrap of the pid space), so the signal reaches nothing else.
 */
export function signalSession(leader: ProcessIdentity, signal: NodeJS.Signals): number | undefined {
  const members = sessionMembers(leader);
  if (!members) return undefined;
  let signalled = 0;
  for (const member of members) {
    try {
      process.kill(member.pid, signal);
      signalled++;
    } catch {
      // ESRCH: it exited since the listing, which is what we want.
    }
  }
  return signalled;
}

export interface KillResult {
  /** The session was not ours (its leader's pid belongs to another process now): nothing was signalled. */
  foreign: boolean;
  /** Distinct processes that were sent SIGKILL. */
  killed: number;
  /** Processes still running when we stopped waiting (normally none). */
  survivors: ProcStat[];
}

/**
 * SIGKILLs every live process of the session, again and again, until none is left or `maxWaitMs`
 * passed: a member may have forked just before it was killed, and the child is only seen on the next
 * look. (A fork that is still running when SIGKILL arrives is abandoned by the kernel.)
 */
export async function killSession(leader: ProcessIdentity, maxWaitMs: number = ProcessTiming.KillConfirmMaxMs): Promise<KillResult> {
  const killed = new Set<number>();
  const giveUpAt = performance.now() + maxWaitMs;
  for (;;) {
    const members = sessionMembers(leader);
    // Undefined after we killed the leader means its pid was reaped and reused meanwhile: ours are gone.
    if (members === undefined) return { foreign: killed.size === 0, killed: killed.size, survivors: [] };
    if (members.length === 0) return { foreign: false, killed: killed.size, survivors: [] };
    if (performance.now() >= giveUpAt) return { foreign: false, killed: killed.size, survivors: members };
    for (const member of members) {
      try {
        process.kill(member.pid, 'SIGKILL');
        killed.add(member.pid);
      } catch {
        // ESRCH: it exited since the listing.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, ProcessTiming.KillPollMs));
  }
}
