// B1 throughput: one room floods mixed text; the time its end marker reaches the last of 1/10/100 viewers.

import { performance } from 'node:perf_hooks';
import type { Session } from '../system.js';
import { throughput } from '../workloads.js';
import { closeAll, lastArrival, TERMINAL_SIZE, type Figure, type Scenario } from './common.js';

const MB = 1e6;

export const b1Throughput: Scenario = {
  id: 'B1',
  title: 'throughput',
  async run(system, sizes, log) {
    const figures: Figure[] = [];
    // One full viewer (a real parser, like a browser): the MB/s a person watching gets.
    {
      const workload = throughput(sizes.floodBytes);
      let session: Session | undefined;
      try {
        session = await system.start(workload, TERMINAL_SIZE);
        const viewers = await session.addViewers(1, 'full');
        const started = performance.now();
        session.writer.type('\r');
        const ms = await lastArrival(viewers, workload.marker, started);
        figures.push({ key: 'mbps-full-1', label: 'MB/s to one full viewer', unit: 'MB/s', value: workload.bytes / MB / (ms / 1000) });
        log(`  1 full viewer: ${ms.toFixed(0)} ms`);
      } finally {
        await closeAll([session]);
      }
    }
    // Light viewers only scan: the time measures the system's fan-out, not the load generator's parsing.
    for (const count of sizes.viewerCounts) {
      const workload = throughput(sizes.floodBytes);
      let session: Session | undefined;
      try {
        session = await system.start(workload, TERMINAL_SIZE);
        const viewers = await session.addViewers(count, 'light');
        const started = performance.now();
        session.writer.type('\r');
        const ms = await lastArrival(viewers, workload.marker, started);
        figures.push({ key: `last-ms-${count}`, label: `end marker at the last of ${count} light viewers`, unit: 'ms', value: ms });
        log(`  ${count} light viewers: ${ms.toFixed(0)} ms`);
      } finally {
        await closeAll([session]);
      }
    }
    return figures;
  },
};
