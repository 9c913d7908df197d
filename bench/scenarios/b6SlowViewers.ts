// B6 one frozen and one slow viewer among ten: do the healthy ones slow down, does server memory stay bounded, and
// does the slow one end with the right screen?

import { performance } from 'node:perf_hooks';
import type { BenchSystem, Session, Viewer } from '../system.js';
import { totalRssBytes } from '../procfs.js';
import { throughput } from '../workloads.js';
import { closeAll, lastArrival, MARKER_TIMEOUT_MS, sleep, TERMINAL_SIZE, type Figure, type Scenario } from './common.js';

const VIEWERS = 10;
/** The slow viewer reads this long out of every SLOW_PERIOD_MS: a phone on a bad network, about a tenth of the rate. */
const SLOW_READ_MS = 20;
const SLOW_PERIOD_MS = 200;
/** How often server memory is sampled during the flood. */
const MEMORY_SAMPLE_MS = 50;

interface Run {
  healthyMs: number;
  peakRssBytes: number;
  session: Session;
  marker: string;
  slow?: Viewer;
  frozen?: Viewer;
}

/** One flood to ten viewers; with `misbehave`, the first is frozen and the second slow (both full, to check screens). */
async function flood(system: BenchSystem, bytes: number, misbehave: boolean): Promise<Run> {
  const workload = throughput(bytes);
  const session = await system.start(workload, TERMINAL_SIZE);
  const special = misbehave ? await session.addViewers(2, 'full') : [];
  const healthy = await session.addViewers(VIEWERS - special.length, 'light');
  const [frozen, slow] = special;
  let peak = totalRssBytes(session.serverPids());
  const sampler = setInterval(() => {
    peak = Math.max(peak, totalRssBytes(session.serverPids()));
  }, MEMORY_SAMPLE_MS);
  let slowing = true;
  try {
    frozen?.pause?.();
    const slowLoop = (async () => {
      while (slow && slowing) {
        slow.pause?.();
        await sleep(SLOW_PERIOD_MS - SLOW_READ_MS);
        slow.resume?.();
        await sleep(SLOW_READ_MS);
      }
    })();
    const started = performance.now();
    session.writer.type('\r');
    const healthyMs = await lastArrival(healthy, workload.marker, started);
    if (slow) await slow.waitFor(workload.marker, MARKER_TIMEOUT_MS);
    slowing = false;
    await slowLoop;
    return { healthyMs, peakRssBytes: peak, session, marker: workload.marker, slow, frozen };
  } finally {
    slowing = false;
    clearInterval(sampler);
  }
}

async function sameScreen(writer: Viewer, other: Viewer | undefined): Promise<number | undefined> {
  if (!other?.screen || !writer.screen) return undefined;
  const [expected, actual] = await Promise.all([writer.screen(), other.screen()]);
  return expected.join('\n') === actual.join('\n') ? 1 : 0;
}

export const b6SlowViewers: Scenario = {
  id: 'B6',
  title: 'one frozen and one slow viewer among ten',
  needsSharing: true,
  async run(system, sizes, log) {
    let before: Run | undefined;
    let mixed: Run | undefined;
    let after: Run | undefined;
    try {
      // Normal runs before and after: the server's heap grows over a run's first floods whatever the viewers do, so
      // the mixed run is compared with the larger baseline, and its time with their mean.
      before = await flood(system, sizes.floodBytes, false);
      await closeAll([before.session]);
      mixed = await flood(system, sizes.floodBytes, true);
      if (!mixed.slow?.pause || !mixed.frozen?.pause) {
        return [{ key: 'ratio', label: 'healthy viewers vs normal', unit: '×', note: 'viewers cannot pause' }];
      }
      const slowScreen = await sameScreen(mixed.session.writer, mixed.slow);
      mixed.frozen.resume?.();
      await mixed.frozen.waitFor(mixed.marker, MARKER_TIMEOUT_MS).catch(() => undefined);
      const frozenScreen = await sameScreen(mixed.session.writer, mixed.frozen);
      await closeAll([mixed.session]);
      after = await flood(system, sizes.floodBytes, false);
      const normal = { healthyMs: (before.healthyMs + after.healthyMs) / 2, peakRssBytes: Math.max(before.peakRssBytes, after.peakRssBytes) };
      log(`  healthy: normal ${normal.healthyMs.toFixed(0)} ms, with frozen+slow ${mixed.healthyMs.toFixed(0)} ms; peak RSS ${(normal.peakRssBytes / 2 ** 20).toFixed(0)} → ${(mixed.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
      const screenNote = 'screen() not provided by this system';
      const figures: Figure[] = [
        { key: 'ratio', label: 'healthy viewers\' time, with frozen + slow ÷ without (mean of before and after)', unit: '×', value: mixed.healthyMs / normal.healthyMs },
        { key: 'rss-normal', label: 'server peak RSS, ten healthy viewers (larger of the runs before and after)', unit: 'MiB', value: normal.peakRssBytes / 2 ** 20 },
        { key: 'rss-mixed', label: 'server peak RSS, with frozen + slow', unit: 'MiB', value: mixed.peakRssBytes / 2 ** 20 },
        { key: 'slow-screen', label: 'slow viewer ends with the writer\'s screen (1 = yes)', unit: '', value: slowScreen, note: slowScreen === undefined ? screenNote : undefined },
        { key: 'frozen-screen', label: 'frozen viewer, resumed, ends with it (1 = yes)', unit: '', value: frozenScreen, note: frozenScreen === undefined ? screenNote : undefined },
      ];
      return figures;
    } finally {
      await closeAll([before?.session, mixed?.session, after?.session]);
    }
  },
};

