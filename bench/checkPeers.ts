// Self-check of the peer systems: the writer types `echo hi`, two viewers (where the system shares its terminal) see it,
// an end marker reaches every member; prints OK or why, per peer. `TTYD_BIN=/path` adds the two ttyd peers.

import { performance } from 'node:perf_hooks';
import type { BenchSystem, ViewerKind, Workload } from './system.js';
import { TmuxSystem } from './systems/tmux.js';
import { WettySystem } from './systems/wetty.js';
import { TtydSystem } from './systems/ttyd.js';

/** Generous for a loaded machine; a healthy peer answers in milliseconds. */
const STEP_TIMEOUT_MS = 10_000;
const SIZE = { cols: 80, rows: 24 };

/**
 * A shell that reads one line, runs it, then prints the end marker and sleeps (never exits at once:
 * node-pty #726). The marker is built by the shell (`END` + `MARK`), so the typed command's echo never contains it.
 */
function workload(marker: string): Workload {
  return {
    command: ['sh', '-c', `read line; eval "$line"; printf '%s%s\\n' ${marker.slice(0, 3)} ${marker.slice(3)}; exec sleep 600`],
    marker,
  };
}

async function check(system: BenchSystem, kind: ViewerKind): Promise<string> {
  const marker = `END${process.pid}MARK`;
  const session = await system.start(workload(marker), SIZE);
  try {
    const viewers = system.sharesTerminal ? await session.addViewers(2, kind) : [];
    const members = [session.writer, ...viewers];
    // The typed command as the terminal echoes it (its output `hi` may reach a tmux client as a redraw, not as text plus CRLF).
    const sawHi = members.map((member) => member.waitFor('echo hi', STEP_TIMEOUT_MS));
    const sawEnd = members.map((member) => member.waitFor(marker, STEP_TIMEOUT_MS));
    const typedAt = performance.now();
    session.writer.type('echo hi\r');
    const his = await Promise.all(sawHi);
    const ends = await Promise.all(sawEnd);
    const pids = session.serverPids();
    const last = Math.max(...ends) - typedAt;
    return `OK ${kind}: \`echo hi\` on ${his.length} members, marker on all ${ends.length} after ${last.toFixed(1)} ms; `
      + `received ${members.map((member) => member.received()).join('/')}; server pids ${pids.length}`;
  } finally {
    await session.close();
  }
}

async function main(): Promise<void> {
  const systems: BenchSystem[] = [new TmuxSystem(), new WettySystem(), new TtydSystem('own'), new TtydSystem('tmux')];
  let failed = false;
  for (const system of systems) {
    const available = await system.available();
    if (available !== true) {
      console.log(`${system.name}: skipped (${available})`);
      continue;
    }
    try {
      for (const kind of ['full', 'light'] as const) console.log(`${system.name}: ${await check(system, kind)}`);
    } catch (error) {
      failed = true;
      console.log(`${system.name}: FAILED ${(error as Error).message}`);
    } finally {
      await system.dispose();
    }
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
