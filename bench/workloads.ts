// The workloads benchmark terminals run, each ending its work with a marker unique to this run.

import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Workload } from './system.js';
import { mixedBlock } from './workloadProgram.mjs';

const PROGRAM = fileURLToPath(new URL('./workloadProgram.mjs', import.meta.url));
/** One random tag per benchmark run: no marker can match text left over from another run or scenario. */
const RUN_TAG = randomBytes(4).toString('hex');
let serial = 0;

/** A marker unique to this run: letters, digits and dashes only, so it reads the same inside JSON or escapes. */
export function uniqueMarker(label: string): string {
  return `BENCH-${label}-${RUN_TAG}-${++serial}-END`;
}

/** What one flood block weighs: a flood of N bytes writes whole blocks, so this many bytes in fact. */
export function floodBytes(requested: number): number {
  const block = Buffer.byteLength(mixedBlock());
  return Math.ceil(requested / block) * block;
}

/**
 * `bytes` of mixed text lines after the writer presses Enter, then the marker, then sleep: viewers join first,
 * so the timed window holds the flood only.
 */
export function throughput(bytes: number): Workload & { bytes: number } {
  return withMarker([process.execPath, PROGRAM, 'flood', String(bytes)], 'flood', 'enter', floodBytes(bytes));
}

function withMarker(prefix: string[], label: string, trigger: string, bytes: number): Workload & { bytes: number } {
  const marker = uniqueMarker(label);
  return { command: [...prefix, marker, trigger], marker, bytes };
}

/** A flood that starts at once: the other room's load while echo is measured. */
export function backgroundFlood(bytes: number): Workload {
  return withMarker([process.execPath, PROGRAM, 'flood', String(bytes)], 'bgflood', 'now', floodBytes(bytes));
}

/** `lines` full-width lines at once, then the marker: a room whose scrollback is full for late joiners. */
export function scrollback(lines: number): Workload {
  return withMarker([process.execPath, PROGRAM, 'scrollback', String(lines)], 'scrollback', 'now', 0);
}

/**
 * `cat` in the terminal's cooked mode: the line discipline echoes every key at once, so echo latency measures the
 * system's path and nothing of a program. Its marker is never printed (echo probes carry their own).
 */
export function echo(): Workload {
  return { command: ['cat'], marker: uniqueMarker('echo') };
}

/**
 * An interactive bash whose prompt counts: prompt k reads `P<k>-<tag>$ `, so the prompt after the k-th Ctrl-C is
 * known in advance and never matches an earlier one. `promptFor(1)` is the first prompt.
 */
export function shell(): Workload & { promptFor(k: number): string } {
  const tag = uniqueMarker('prompt');
  return {
    command: ['env', 'PROMPT_COMMAND=n=$((n+1))', `PS1=P\${n}-${tag}$ `, 'bash', '--noprofile', '--norc', '-i'],
    marker: `P1-${tag}$`,
    promptFor: (k: number) => `P${k}-${tag}$`,
  };
}
