// B1 throughput: one room floods mixed text; the time its end marker reaches one full viewer, and the last of
// 1/10/100 light viewers.

import { performance } from 'node:perf_hooks';
import type { Session, Viewer } from '../system.js';
import { throughput } from '../workloads.js';
import { closeAll, lastArrival, TERMINAL_SIZE, type Figure, type Scenario } from './common.js';

const MB = 1e6;

export const b1Throughput: Scenario = {
  id: 'B1',
  title: 'throughput',
  repeatable: true,
  async run(system, sizes, log) {
    const figures: Figure[] = [];
    // One full viewer (a real parser, like a browser): the MB/s a person watching gets. The writer is that viewer,
    // so the load generator parses the stream once, and ttyd (one member per program) runs it too.
    {
      const workload = throughput(sizes.floodBytes);
      let session: Session | undefined;
      try {
        session = await system.start(workload, TERMINAL_SIZE, 'full');
        const started = performance.now();
        session.writer.type('\r');
        const ms = await lastArrival([session.writer], workload.marker, started);
        figures.push({ key: 'mbps-full-1', label: 'MB/s to one full viewer', unit: 'MB/s', value: workload.bytes / MB / (ms / 1000) });
        log(`  1 full viewer: ${ms.toFixed(0)} ms`);
      } finally {
        await closeAll([session]);
      }
    }
    // Light members only scan: the time measures the system's reading and fan-out, not the load generator's
    // parsing. The writer is one of the `count` (a parsing writer would take a core from a 2-core server).
    for (const count of sizes.viewerCounts) {
      const key = `last-ms-${count}`;
      const label = `end marker at the last of ${count} light viewers`;
      if (count > 1 && !system.sharesTerminal) {
        figures.push({ key, label, unit: 'ms', note: 'one program per connection, no shared terminal' });
        continue;
      }
      const workload = throughput(sizes.floodBytes);
      let session: Session | undefined;
      try {
        session = await system.start(workload, TERMINAL_SIZE, 'light');
        const viewers: Viewer[] = [session.writer, ...(await session.addViewers(count - 1, 'light'))];
        const started = performance.now();
        session.writer.type('\r');
        const ms = await lastArrival(viewers, workload.marker, started);
        figures.push({ key, label, unit: 'ms', value: ms });
        log(`  ${count} light viewers: ${ms.toFixed(0)} ms`);
      } finally {
        await closeAll([session]);
      }
    }
    return figures;
  },
};
