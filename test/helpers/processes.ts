// Looking at processes from outside, for tests: is this exact sleep still running, which fds are pty masters, find a child by its command line.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The process's argv as the kernel has it, or undefined once it is gone. */
export function commandLine(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/**
 * True while `pid` is a running (not zombie) process with exactly this argv: a test checks only its
 * own processes, never a later one that was given the same pid.
 */
export function isRunningAs(pid: number, argv: readonly string[]): boolean {
  const current = commandLine(pid);
  const running = state(pid);
  return current !== undefined && running !== undefined && running !== 'Z' && running !== 'X'
    && current.length === argv.length && current.every((word, i) => word === argv[i]);
}

/** Pids of running processes with exactly this argv (the tests make each one unique, e.g. `sleep 7104`). */
export function pidsRunningAs(argv: readonly string[]): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => isRunningAs(pid, argv));
}

/** Running children of `ppid`, with their argv. */
export function childrenOf(ppid: number): Array<{ pid: number; argv: string[] }> {
  const children: Array<{ pid: number; argv: string[] }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const argv = commandLine(Number(name));
      if (Number(fields[1]) === ppid && fields[0] !== 'Z' && argv) children.push({ pid: Number(name), argv });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return children;
}

/** How many of this process's file descriptors are pty masters. */
export function ptyMasterCount(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === '/dev/ptmx') count++;
    } catch {
      // The fd listing itself closes between readdir and readlink.
    }
  }
  return count;
}

/** SIGKILL for every pid still running with its argv; for test cleanup after a failure. */
export function killIfRunning(processes: ReadonlyArray<{ pid: number; argv: readonly string[] }>): void {
  for (const { pid, argv } of processes) {
    if (!isRunningAs(pid, argv)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone since the check.
    }
  }
}
