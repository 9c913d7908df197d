// HostSampler: the far host's CPU, memory in use and process count, read from its /proc by a small POSIX command on an exec channel of the room's own connection.

import type { Client } from 'ssh2';
import type { TelemetrySample } from '../terminal/processTelemetry.js';
import type { TelemetrySource } from '../terminal/terminalSession.js';
import type { Clock } from '../util/clock.js';

export const HostTelemetryLimits = {
  /** Output of one reading, in bytes: /proc/stat of a 256-core host is about 40 KiB; more is not what we asked for. */
  MaxOutputBytes: 256 * 1024,
  /** /proc/meminfo counts in kB (KiB): bytes per unit. */
  MeminfoKbBytes: 1024,
  /** A reading that has not come back in this long is abandoned (ms): the next one is due by then anyway. */
  TimeoutMs: 4_000,
} as const;

/**
 * Run by the login shell of the far user, so it starts a POSIX sh whatever that shell is; cat and a glob count only
 * (no ps, no awk): /proc/stat, /proc/meminfo, then `processes N` for the numeric entries of /proc.
 */
export const HOST_STATS_COMMAND = "exec /bin/sh -c 'cat /proc/stat /proc/meminfo; set -- /proc/[0-9]*; echo \"processes $#\"'";

/** One reading of the far host's counters, before deltas. */
export interface HostCounters {
  /** Jiffies of every CPU state on the `cpu` line, summed. */
  totalTicks: number;
  /** Of them, idle and iowait. */
  idleTicks: number;
  /** `cpuN` lines: the host's cores, so that 100 % is one core busy as in the local telemetry. */
  cores: number;
  /** MemTotal − MemAvailable, in bytes. */
  memoryUsedBytes: number;
  processes: number;
}

/** The counters in HOST_STATS_COMMAND's output, or undefined when it is not what a Linux /proc prints. */
export function parseHostStats(text: string): HostCounters | undefined {
  let totalTicks: number | undefined;
  let idleTicks = 0;
  let cores = 0;
  const memory = new Map<string, number>();
  let processes: number | undefined;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const head = fields[0];
    if (head === 'cpu') {
      const ticks = fields.slice(1).map(Number);
      if (ticks.length < 4 || ticks.some((tick) => !Number.isFinite(tick))) return undefined;
      // user nice system idle iowait irq softirq steal [guest guest_nice: already inside user and nice].
      totalTicks = ticks.slice(0, 8).reduce((sum, tick) => sum + tick, 0);
      idleTicks = ticks[3]! + (ticks[4] ?? 0);
    } else if (head !== undefined && /^cpu\d+$/.test(head)) {
      cores++;
    } else if (head === 'MemTotal:' || head === 'MemAvailable:') {
      memory.set(head, Number(fields[1]));
    } else if (head === 'processes' && fields.length === 2) {
      // /proc/stat has its own `processes N` line (forks since boot), always before ours: the last one wins.
      processes = Number(fields[1]);
    }
  }
  const total = memory.get('MemTotal:');
  const available = memory.get('MemAvailable:');
  if (totalTicks === undefined || total === undefined || available === undefined || processes === undefined || !Number.isFinite(processes)) return undefined;
  return {
    totalTicks,
    idleTicks,
    cores: Math.max(1, cores),
    memoryUsedBytes: Math.max(0, total - available) * HostTelemetryLimits.MeminfoKbBytes,
    processes,
  };
}

/** CPU between two readings as top shows it per core: busy share of all ticks × cores × 100. */
export function hostCpuPercent(previous: HostCounters | undefined, current: HostCounters): number {
  if (!previous) return 0;
  const total = current.totalTicks - previous.totalTicks;
  const idle = current.idleTicks - previous.idleTicks;
  if (total <= 0) return 0;
  return Math.max(0, (total - idle) / total) * current.cores * 100;
}

export class HostSampler implements TelemetrySource {
  private previous: HostCounters | undefined;

  constructor(private readonly client: Client, private readonly clock: Clock, private readonly ended: () => boolean) {}

  /** undefined once the session ended or the host gave no usable reading (no /proc: not Linux): sampling stops then. */
  async sample(): Promise<TelemetrySample | undefined> {
    if (this.ended()) return undefined;
    const text = await this.run();
    const counters = text === undefined ? undefined : parseHostStats(text);
    if (!counters) return undefined;
    const cpuPercent = hostCpuPercent(this.previous, counters);
    this.previous = counters;
    return { at: this.clock.now(), cpuPercent, memoryBytes: counters.memoryUsedBytes, processes: counters.processes };
  }

  private run(): Promise<string | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (value: string | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => done(undefined), HostTelemetryLimits.TimeoutMs);
      try {
        this.client.exec(HOST_STATS_COMMAND, (error, channel) => {
          if (error) return done(undefined);
          const chunks: Buffer[] = [];
          let size = 0;
          channel.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > HostTelemetryLimits.MaxOutputBytes) {
              channel.close();
              return done(undefined);
            }
            chunks.push(chunk);
          });
          channel.stderr.resume();
          channel.on('close', () => done(Buffer.concat(chunks).toString('utf8')));
        });
      } catch {
        // The connection closed between the check and the request: no reading, as for a failed one.
        done(undefined);
      }
    });
  }
}
