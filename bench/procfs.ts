// Reads processes from Linux's /proc: resident memory, CPU time, and a process's descendants.

import { readdirSync, readFileSync } from 'node:fs';

/** /proc/<pid>/stat fields after the command name (which may hold spaces): index 1 is the ppid, 11/12 utime/stime. */
const STAT_PPID = 1;
const STAT_UTIME = 11;
const STAT_STIME = 12;
/** Clock ticks per second of utime/stime: USER_HZ is 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // The process ended between listing and reading: it has nothing left to count.
  }
}

/** Resident memory in bytes (VmRSS), or 0 for a process that is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0; // Gone: it holds no memory.
  }
}

export function totalRssBytes(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  return (Number(fields[STAT_UTIME]) + Number(fields[STAT_STIME])) / USER_HZ;
}

/** Every live process below `pid` (children, grandchildren, …), not `pid` itself. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = Number(statFields(Number(entry))?.[STAT_PPID]);
    if (!Number.isFinite(parent)) continue;
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
