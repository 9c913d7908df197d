// B2b Ctrl-C during `yes` with 10 viewers: the time until the shell's next prompt is back on every one of them.

import { performance } from 'node:perf_hooks';
import type { Session, Viewer } from '../system.js';
import { shell } from '../workloads.js';
import { closeAll, lastArrival, MARKER_TIMEOUT_MS, percentile, sleep, TERMINAL_SIZE, type Scenario } from './common.js';

const VIEWERS = 10;
/** How long `yes` floods before Ctrl-C: long enough that every queue on the way is full. */
const FLOOD_MS = 500;
/** Ctrl-C as the terminal sends it. */
const INTERRUPT = '\x03';
/** Bytes (or code units) received after the command's echo that show `yes` is running: many screens of it. */
const FLOOD_EVIDENCE = 64 * 1024;
/** How often the writer's received count is read while waiting for the flood. */
const POLL_MS = 5;
/** A prompt that takes longer than this counts as lost: the figure then is this, and the run says so. */
const PROMPT_TIMEOUT_MS = 30_000;

/** Resolves once `viewer` received `units` more than now; rejects after `timeoutMs`. */
async function receivedMore(viewer: Viewer, units: number, timeoutMs: number, what: string): Promise<void> {
  const target = viewer.received() + units;
  const deadline = performance.now() + timeoutMs;
  while (viewer.received() < target) {
    if (performance.now() > deadline) throw new Error(`${what}: ${units} more did not arrive within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

export const b2bCtrlC: Scenario = {
  id: 'B2b',
  title: 'Ctrl-C during yes',
  needsSharing: true,
  async run(system, sizes, log) {
    const workload = shell();
    let session: Session | undefined;
    try {
      session = await system.start(workload, TERMINAL_SIZE);
      await session.writer.waitFor(workload.promptFor(1), MARKER_TIMEOUT_MS);
      // Light viewers: ten full parsers of a `yes` flood would make this process the bottleneck.
      const everyone = [session.writer, ...(await session.addViewers(VIEWERS, 'light'))];
      const times: number[] = [];
      for (let k = 1; k <= sizes.ctrlCRepetitions; k++) {
        // `yes` repeats a word new to this repetition. Its output is not matched as text: a peer behind tmux gets
        // it as screen redraws (cursor moves, not \r\n between the words) once tmux falls behind. The command's
        // echo holds the word; FLOOD_EVIDENCE more units received after it mean `yes` is flooding.
        const word = `Y${k}${workload.marker.replace(/\W/g, '')}`;
        const echoed = session.writer.waitFor(word, MARKER_TIMEOUT_MS);
        session.writer.type(`yes ${word}\r`);
        await echoed;
        await receivedMore(session.writer, FLOOD_EVIDENCE, MARKER_TIMEOUT_MS, `B2b: \`yes\` output after typing it (repetition ${k})`);
        await sleep(FLOOD_MS);
        const started = performance.now();
        session.writer.type(INTERRUPT);
        times.push(await lastArrival(everyone, workload.promptFor(k + 1), started, PROMPT_TIMEOUT_MS));
      }
      log(`  prompt back on all: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
      return [
        { key: 'p50', label: `prompt back on all ${VIEWERS + 1} members, p50`, unit: 'ms', value: percentile(times, 50) },
        { key: 'p99', label: `prompt back on all ${VIEWERS + 1} members, p99`, unit: 'ms', value: percentile(times, 99) },
      ];
    } finally {
      await closeAll([session]);
    }
  },
};
