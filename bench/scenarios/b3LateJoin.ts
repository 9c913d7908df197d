// B3 late join: a room with 10 000 lines of scrollback; the time a new full viewer takes to show the screen, and
// what bursts of 20 joiners do to another room's echo latency.

import { performance } from 'node:perf_hooks';
import type { Session, Viewer } from '../system.js';
import { echo, scrollback } from '../workloads.js';
import { closeAll, echoProbes, MARKER_TIMEOUT_MS, percentile, sleep, TERMINAL_SIZE, type Scenario } from './common.js';

const SCROLLBACK_LINES = 10_000;
const BURST_JOINERS = 20;
/** Between late joins and between bursts: lets the previous one's work finish so each is measured alone. */
const SETTLE_MS = 100;
/** Echo probes run this far apart during the bursts: many samples while the joins are in flight. */
const PROBE_GAP_MS = 5;

export const b3LateJoin: Scenario = {
  id: 'B3',
  title: 'late join with 10 000 lines of scrollback',
  needsSharing: true,
  async run(system, sizes, log) {
    const workload = scrollback(SCROLLBACK_LINES);
    let room: Session | undefined;
    let other: Session | undefined;
    try {
      room = await system.start(workload, TERMINAL_SIZE);
      await room.writer.waitFor(workload.marker, MARKER_TIMEOUT_MS);
      // The first full screen is the one holding the marker (the workload's last line): a full viewer parses the
      // snapshot (or redraw) before it can show anything, so this includes the client's work as a browser would.
      const joins: number[] = [];
      for (let i = 0; i < sizes.lateJoins; i++) {
        const started = performance.now();
        const [viewer] = await room.addViewers(1, 'full');
        joins.push((await viewer!.waitFor(workload.marker, MARKER_TIMEOUT_MS)) - started);
        await viewer!.close();
        await sleep(SETTLE_MS);
      }
      log(`  late join p50 ${percentile(joins, 50).toFixed(1)} ms, p99 ${percentile(joins, 99).toFixed(1)} ms`);

      other = await system.start(echo(), TERMINAL_SIZE);
      await echoProbes(other.writer, 20, PROBE_GAP_MS);
      let bursting = true;
      const probing = echoProbes(other.writer, Number.MAX_SAFE_INTEGER, PROBE_GAP_MS, () => !bursting);
      try {
        for (let burst = 0; burst < sizes.joinBursts; burst++) {
          // Light joiners: the server's cost (snapshot and send) is the same, and twenty parsers in this process
          // would delay the echo probes' own timestamps.
          const joiners: Viewer[] = await room.addViewers(BURST_JOINERS, 'light');
          await Promise.all(joiners.map((joiner) => joiner.waitFor(workload.marker, MARKER_TIMEOUT_MS)));
          await Promise.all(joiners.map((joiner) => joiner.close()));
          await sleep(SETTLE_MS);
        }
      } finally {
        bursting = false;
      }
      const during = await probing;
      log(`  other room's echo during ${sizes.joinBursts} bursts of ${BURST_JOINERS}: p99 ${percentile(during, 99).toFixed(2)} ms (${during.length} probes)`);
      return [
        { key: 'join-p50', label: 'late join to full screen, p50', unit: 'ms', value: percentile(joins, 50) },
        { key: 'join-p99', label: 'late join to full screen, p99', unit: 'ms', value: percentile(joins, 99) },
        { key: 'burst-echo-p99', label: `other room's echo p99 during bursts of ${BURST_JOINERS} joiners`, unit: 'ms', value: percentile(during, 99) },
      ];
    } finally {
      await closeAll([other, room]);
    }
  },
};
