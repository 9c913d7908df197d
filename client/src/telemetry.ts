// The room page's readout of the room's programs (CPU, memory, processes) from `room:telemetry`, as one short line.

import type { TelemetryPayload } from '../../server/shared/events.js';

/** Binary units, as `top` and `free -h` show memory. */
const KIB = 1024;
const MEMORY_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** `48 MB`: the largest unit that keeps the number at least 1, whole numbers from 10 up, one decimal below. */
export function formatMemory(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= KIB && unit < MEMORY_UNITS.length - 1) {
    value /= KIB;
    unit += 1;
  }
  const shown = value >= 10 || unit === 0 ? Math.round(value).toString() : value.toFixed(1);
  return `${shown} ${MEMORY_UNITS[unit]}`;
}

/** `CPU 12% · 48 MB · 5 procs`: CPU as `top` counts it (100% = one core), whole percents. */
export function formatTelemetry(sample: TelemetryPayload): string {
  const processes = `${sample.processes} ${sample.processes === 1 ? 'proc' : 'procs'}`;
  return `CPU ${Math.round(sample.cpuPercent)}% · ${formatMemory(sample.memoryBytes)} · ${processes}`;
}
