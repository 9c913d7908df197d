// B2 keystroke echo latency: a writer types into `cat` (the line discipline echoes), idle and while another room floods.

import type { Session } from '../system.js';
import { backgroundFlood, echo } from '../workloads.js';
import { closeAll, echoProbes, percentile, sleep, TERMINAL_SIZE, type Figure, type Scenario } from './common.js';

/** Probes before measuring: the first echoes pay for JIT warm-up and lazily built paths. */
const WARMUP_PROBES = 20;
/** Between probes: a fast typist's key interval, and room for the system to go idle again. */
const PROBE_GAP_MS = 10;
/** The other room's flood: more than it can print during the probes, so it floods throughout. */
const BACKGROUND_FLOOD_BYTES = 10e9;
/** Lets the flood reach full speed before probing. */
const FLOOD_SPINUP_MS = 500;

export const b2Echo: Scenario = {
  id: 'B2',
  title: 'keystroke echo latency',
  repeatable: true,
  async run(system, sizes, log) {
    let echoRoom: Session | undefined;
    let floodRoom: Session | undefined;
    try {
      echoRoom = await system.start(echo(), TERMINAL_SIZE);
      await echoProbes(echoRoom.writer, WARMUP_PROBES, PROBE_GAP_MS);
      const idle = await echoProbes(echoRoom.writer, sizes.echoProbes, PROBE_GAP_MS);
      log(`  idle: p50 ${percentile(idle, 50).toFixed(2)} ms, p99 ${percentile(idle, 99).toFixed(2)} ms`);

      // The flood room's writer is light: a parser in this process would delay the probes' timestamps. It keeps
      // reading, so the flood runs at the system's full speed (ttyd's pty is read only as fast as its one reader).
      floodRoom = await system.start(backgroundFlood(BACKGROUND_FLOOD_BYTES), TERMINAL_SIZE, 'light');
      await sleep(FLOOD_SPINUP_MS);
      const flooded = await echoProbes(echoRoom.writer, sizes.echoProbes, PROBE_GAP_MS);
      log(`  flood: p50 ${percentile(flooded, 50).toFixed(2)} ms, p99 ${percentile(flooded, 99).toFixed(2)} ms`);
      const figures: Figure[] = [
        { key: 'idle-p50', label: 'echo p50, idle', unit: 'ms', value: percentile(idle, 50) },
        { key: 'idle-p99', label: 'echo p99, idle', unit: 'ms', value: percentile(idle, 99) },
        { key: 'flood-p50', label: 'echo p50, another room flooding', unit: 'ms', value: percentile(flooded, 50) },
        { key: 'flood-p99', label: 'echo p99, another room flooding', unit: 'ms', value: percentile(flooded, 99) },
      ];
      return figures;
    } finally {
      await closeAll([floodRoom, echoRoom]);
    }
  },
};
