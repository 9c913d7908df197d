// Proves the telemetry sampler's /proc parsing and its arithmetic: CPU per core from tick deltas, summed RSS, live process count.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseRssBytes, SessionSampler } from '../../server/terminal/processTelemetry.js';
import { parseProcStat } from '../../server/terminal/processTree.js';
import { ManualClock } from '../helpers/manualClock.js';

/** A stat line as the kernel writes it (fields 3..52 after `(comm)`), with the fields the sampler reads filled in. */
function statLine(pid: number, comm: string, fields: { state?: string; session?: number; startTime?: number; utime?: number; stime?: number }): string {
  const rest = Array.from({ length: 50 }, () => '0');
  rest[0] = fields.state ?? 'S';
  rest[1] = '1';
  rest[2] = String(pid);
  rest[3] = String(fields.session ?? pid);
  rest[5] = '-1';
  rest[11] = String(fields.utime ?? 0);
  rest[12] = String(fields.stime ?? 0);
  rest[19] = String(fields.startTime ?? 1000);
  return `${pid} (${comm}) ${rest.join(' ')}\n`;
}

const statusText = (rssKb: number | undefined): string =>
  `Name:\tbash\nState:\tS (sleeping)\nVmPeak:\t  9000 kB\n${rssKb === undefined ? '' : `VmRSS:\t  ${rssKb} kB\n`}Threads:\t1\n`;

describe('CPU ticks of a stat line (parseProcStat)', () => {
  test('utime + stime, read after the last ) of a hostile comm', () => {
    assert.equal(parseProcStat(statLine(42, ') 7 8 (x', { utime: 1234, stime: 56 }))?.cpuTicks, 1290);
  });
  test('a broken line is refused', () => {
    assert.equal(parseProcStat('42 (bash) S 1')?.cpuTicks, undefined);
    assert.equal(parseProcStat('garbage')?.cpuTicks, undefined);
  });
});

describe('parseRssBytes', () => {
  test('VmRSS in kB becomes bytes', () => {
    assert.equal(parseRssBytes(statusText(2048)), 2048 * 1024);
  });
  test('no VmRSS line (a zombie, a kernel thread) is 0', () => {
    assert.equal(parseRssBytes(statusText(undefined)), 0);
  });
});

describe('SessionSampler on a made-up /proc', () => {
  const root = mkdtempSync(join(tmpdir(), 'ttyroom-telemetry-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  // Pids far above any real pid_max, so nothing here can be confused with a real process.
  const LEADER = 9_100_001;
  const write = (pid: number, fields: Parameters<typeof statLine>[2], rssKb?: number): void => {
    mkdirSync(join(root, String(pid)), { recursive: true });
    writeFileSync(join(root, String(pid), 'stat'), statLine(pid, 'p', { session: LEADER, ...fields }));
    writeFileSync(join(root, String(pid), 'status'), statusText(rssKb));
  };
  const remove = (pid: number): void => rmSync(join(root, String(pid)), { recursive: true, force: true });

  test('CPU per core over elapsed clock time, RSS summed, only live session members counted', () => {
    const clock = new ManualClock();
    write(LEADER, { startTime: 1000, utime: 10, stime: 5 }, 1000);
    write(LEADER + 1, { startTime: 1001, utime: 100 }, 3000);
    write(LEADER + 2, { startTime: 1002, state: 'Z', utime: 999 }); // exited: not counted
    write(LEADER + 3, { startTime: 1003, session: 77, utime: 999 }, 5000); // another session
    const sampler = new SessionSampler({ pid: LEADER, startTime: 1000 }, clock, root);

    const first = sampler.sample();
    assert.deepEqual(first, { at: clock.now(), cpuPercent: 0, memoryBytes: 4000 * 1024, processes: 2 });

    clock.advance(5_000);
    // Leader used 50 ticks (0.5 s), the child 400 ticks (4 s): 4.5 s of CPU in 5 s is 90 %.
    write(LEADER, { startTime: 1000, utime: 50, stime: 15 }, 1000);
    write(LEADER + 1, { startTime: 1001, utime: 500 }, 3000);
    const second = sampler.sample();
    assert.equal(second?.cpuPercent, 90);
    assert.equal(second?.processes, 2);

    clock.advance(2_000);
    // The child exits and its pid goes to a new member that started since: all of the new one's 400 ticks count,
    // the old one's disappearance is no negative jump. 4 s of CPU in 2 s is two cores: 200 %.
    remove(LEADER + 1);
    write(LEADER + 1, { startTime: 5000, utime: 400 }, 500);
    const third = sampler.sample();
    assert.equal(third?.cpuPercent, 200);
    assert.equal(third?.memoryBytes, 1500 * 1024);
    assert.equal(third?.at, clock.now());
  });

  test('a leader whose pid now belongs to another process gives no reading', () => {
    const clock = new ManualClock();
    write(LEADER + 10, { startTime: 4444, session: LEADER + 10 });
    const sampler = new SessionSampler({ pid: LEADER + 10, startTime: 1234 }, clock, root);
    assert.equal(sampler.sample(), undefined);
  });
});
