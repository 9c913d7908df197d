// B5 capacity (ttyroom only): as many rooms and light viewers as the run's budget asks for, then echo latency at that load.

import { performance } from 'node:perf_hooks';
import type { Session } from '../system.js';
import { cpuSeconds, rssBytes } from '../procfs.js';
import { inBatches, TtyroomSystem } from '../systems/ttyroom.js';
import { echo } from '../workloads.js';
import { closeAll, echoOnce, percentile, sleep, TERMINAL_SIZE, type Scenario } from './common.js';

/** Rooms created at once: each spawns a PTY, so more in flight only queues on the server's one thread. */
const ROOM_CONCURRENCY = 8;
/** Between probes, rotating over rooms: every room's writer types now and then, as in a busy server. */
const PROBE_GAP_MS = 10;
/** Lets the joins' work finish before probing. */
const SETTLE_MS = 1_000;

export const b5Capacity: Scenario = {
  id: 'B5',
  title: 'capacity',
  ttyroomOnly: true,
  async run(system, sizes, log) {
    if (!(system instanceof TtyroomSystem)) throw new Error('B5 reads the ttyroom server process');
    const sessions: Session[] = [];
    const viewersPerRoom = Math.floor(sizes.capacityViewers / sizes.capacityRooms);
    let viewers = 0;
    try {
      const setupStarted = performance.now();
      let failure: string | undefined;
      try {
        await inBatches(sizes.capacityRooms, ROOM_CONCURRENCY, async () => {
          const session = await system.start(echo(), TERMINAL_SIZE);
          sessions.push(session);
          await session.addViewers(viewersPerRoom, 'light');
          viewers += viewersPerRoom;
        });
      } catch (error) {
        failure = (error as Error).message;
        log(`  setup stopped: ${failure}`);
      }
      const setupSeconds = (performance.now() - setupStarted) / 1000;
      log(`  ${sessions.length} rooms, ${viewers} viewers in ${setupSeconds.toFixed(1)} s`);
      await sleep(SETTLE_MS);
      const pid = await system.serverPid();
      const cpuBefore = cpuSeconds(pid);
      const probeStarted = performance.now();
      const latencies: number[] = [];
      for (let i = 0; i < sizes.capacityProbes && sessions.length > 0; i++) {
        latencies.push(await echoOnce(sessions[i % sessions.length]!.writer));
        await sleep(PROBE_GAP_MS);
      }
      const idleCpu = (cpuSeconds(pid) - cpuBefore) / ((performance.now() - probeStarted) / 1000);
      log(`  echo at load: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms; server RSS ${(rssBytes(pid) / 2 ** 20).toFixed(0)} MiB`);
      const note = failure ? `setup stopped: ${failure}` : undefined;
      return [
        { key: 'rooms', label: 'rooms held', unit: 'rooms', value: sessions.length, note },
        { key: 'viewers', label: 'light viewers held', unit: 'viewers', value: viewers, note },
        { key: 'echo-p50', label: 'echo p50 at that load', unit: 'ms', value: percentile(latencies, 50) },
        { key: 'echo-p99', label: 'echo p99 at that load', unit: 'ms', value: percentile(latencies, 99) },
        { key: 'rss-mib', label: 'server RSS at that load', unit: 'MiB', value: rssBytes(pid) / 2 ** 20 },
        { key: 'cpu', label: 'server CPU while probing (cores)', unit: 'cores', value: idleCpu },
        { key: 'setup-s', label: 'time to set up rooms and viewers', unit: 's', value: setupSeconds },
      ];
    } finally {
      await closeAll(sessions);
    }
  },
};
