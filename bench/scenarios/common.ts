// What a scenario is and returns, the run's sizes (smoke or full), and the statistics scenarios share.

import { performance } from 'node:perf_hooks';
import type { BenchSystem, Session, Viewer, Writer } from '../system.js';
import { sleep } from '../timing.js';

export { sleep };

/** One figure a scenario measured on one system; `value` undefined means "n/a" and `note` says why. */
export interface Figure {
  key: string;
  label: string;
  unit: string;
  value?: number;
  note?: string;
}

export interface Sizes {
  calibrationBytes: number;
  floodBytes: number;
  viewerCounts: readonly number[];
  echoProbes: number;
  ctrlCRepetitions: number;
  lateJoins: number;
  joinBursts: number;
  memoryRooms: number;
  idleViewers: number;
  capacityRooms: number;
  capacityViewers: number;
  capacityProbes: number;
  /** Wall-clock bound of one scenario on one system: past it the system is disposed and the figures are n/a. */
  scenarioTimeoutMs: number;
}

export const SMOKE: Sizes = {
  calibrationBytes: 16e6,
  floodBytes: 8e6,
  viewerCounts: [1, 10],
  echoProbes: 100,
  ctrlCRepetitions: 5,
  lateJoins: 10,
  joinBursts: 2,
  memoryRooms: 4,
  idleViewers: 200,
  capacityRooms: 50,
  capacityViewers: 250,
  capacityProbes: 100,
  scenarioTimeoutMs: 60_000,
};

export const FULL: Sizes = {
  calibrationBytes: 64e6,
  /** Issue 10's `cat` of 40 MB. */
  floodBytes: 40e6,
  viewerCounts: [1, 10, 100],
  echoProbes: 500,
  ctrlCRepetitions: 20,
  lateJoins: 50,
  joinBursts: 10,
  memoryRooms: 20,
  idleViewers: 1000,
  capacityRooms: 1000,
  capacityViewers: 5000,
  capacityProbes: 500,
  scenarioTimeoutMs: 600_000,
};

export interface Scenario {
  id: string;
  title: string;
  /** Set when the scenario measures something only ttyroom has (a per-room mirror, its capacity). */
  ttyroomOnly?: boolean;
  /** Set when every figure needs several members of one terminal: systems that do not share theirs are skipped. */
  needsSharing?: boolean;
  /** Set when `--repetitions` repeats it (the figures the ratio targets are about); the table shows medians. */
  repeatable?: boolean;
  run(system: BenchSystem, sizes: Sizes, log: (line: string) => void): Promise<Figure[]>;
}

/** The terminal every scenario uses: a classic 80 × 24. */
export const TERMINAL_SIZE = { cols: 80, rows: 24 } as const;
/** How long a marker may take to arrive before the run is called failed (a stuck system, not a slow one). */
export const MARKER_TIMEOUT_MS = 120_000;
/** How long one keystroke's echo may take before the probe is called lost. */
export const ECHO_TIMEOUT_MS = 5_000;

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}


let probeSerial = 0;

/**
 * Types a short unique token and resolves with the ms until its echo reached the writer. Tokens are letters and
 * digits so no terminal rewrites them; each is new, so an earlier echo never matches.
 */
export async function echoOnce(writer: Writer): Promise<number> {
  const token = `q${(++probeSerial).toString(36)}z`;
  const sent = performance.now();
  const waiting = writer.waitFor(token, ECHO_TIMEOUT_MS);
  writer.type(token);
  return (await waiting) - sent;
}

/** Echo latencies of `count` probes `gapMs` apart (a typist, not a paste: each key waits for its echo). */
export async function echoProbes(writer: Writer, count: number, gapMs: number, until?: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count && !(until?.() ?? false); i++) {
    latencies.push(await echoOnce(writer));
    await sleep(gapMs);
  }
  return latencies;
}

/** The time the last of `viewers` got `text`, in ms after `since`. */
export async function lastArrival(viewers: readonly Viewer[], text: string, since: number, timeoutMs = MARKER_TIMEOUT_MS): Promise<number> {
  const times = await Promise.all(viewers.map((viewer) => viewer.waitFor(text, timeoutMs)));
  return Math.max(...times) - since;
}

/** Closes sessions, ignoring a failure of one so the others still close (the system's dispose() ends the rest). */
export async function closeAll(sessions: ReadonlyArray<Session | undefined>): Promise<void> {
  await Promise.all(sessions.map((session) => session?.close().catch(() => undefined)));
}
