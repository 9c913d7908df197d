// B4 memory (ttyroom only: it is the server's own mirror and member state): server RSS per room with a full
// 10 000 × 80 scrollback, and per idle viewer.

import type { Session } from '../system.js';
import { rssBytes } from '../procfs.js';
import { TtyroomSystem } from '../systems/ttyroom.js';
import { echo, scrollback } from '../workloads.js';
import { closeAll, MARKER_TIMEOUT_MS, sleep, TERMINAL_SIZE, type Scenario } from './common.js';

/** 10 000 lines plus a screen: the scrollback is full and the oldest lines have started to fall off. */
const SCROLLBACK_LINES = 10_000 + TERMINAL_SIZE.rows;
/** Lets lazily freed memory and the last sends settle before reading RSS. */
const SETTLE_MS = 1_000;

export const b4Memory: Scenario = {
  id: 'B4',
  title: 'memory',
  ttyroomOnly: true,
  async run(system, sizes, log) {
    if (!(system instanceof TtyroomSystem)) throw new Error('B4 reads ttyroom server internals');
    const sessions: Session[] = [];
    try {
      // A first room pays for code paths loaded once (xterm, serializer): it is not any room's cost.
      const first = await system.start(scrollback(SCROLLBACK_LINES), TERMINAL_SIZE);
      sessions.push(first);
      const pid = await system.serverPid();
      await sleep(SETTLE_MS);
      const before = rssBytes(pid);
      for (let i = 0; i < sizes.memoryRooms; i++) {
        const workload = scrollback(SCROLLBACK_LINES);
        const session = await system.start(workload, TERMINAL_SIZE);
        sessions.push(session);
        await session.writer.waitFor(workload.marker, MARKER_TIMEOUT_MS);
      }
      await sleep(SETTLE_MS);
      const perRoom = (rssBytes(pid) - before) / sizes.memoryRooms;

      const idleRoom = await system.start(echo(), TERMINAL_SIZE);
      sessions.push(idleRoom);
      await sleep(SETTLE_MS);
      const beforeViewers = rssBytes(pid);
      await idleRoom.addViewers(sizes.idleViewers, 'light');
      await sleep(SETTLE_MS);
      const perViewer = (rssBytes(pid) - beforeViewers) / sizes.idleViewers;
      log(`  ${(perRoom / 2 ** 20).toFixed(2)} MiB per room, ${(perViewer / 1024).toFixed(1)} KiB per idle viewer`);
      return [
        { key: 'room-mib', label: `server RSS per room, full scrollback (${sizes.memoryRooms} rooms)`, unit: 'MiB', value: perRoom / 2 ** 20 },
        { key: 'viewer-kib', label: `server RSS per idle viewer (${sizes.idleViewers} viewers)`, unit: 'KiB', value: perViewer / 1024 },
      ];
    } finally {
      await closeAll(sessions);
    }
  },
};
