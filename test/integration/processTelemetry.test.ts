// Proves the telemetry sampler reads a real session on the real /proc: a busy child shows as CPU, memory and a second process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { identify, killSession, procAvailable } from '../../server/terminal/processTree.js';
import { SessionSampler, type TelemetrySample } from '../../server/terminal/processTelemetry.js';
import { systemClock } from '../../server/util/clock.js';
import { waitFor } from '../helpers/wait.js';

test('a session running `yes` in the background has CPU > 0, memory and at least 2 processes', { skip: !procAvailable() && 'no /proc' }, async () => {
  // detached: the shell leads its own session, as a room's pty process does.
  const child = spawn('sh', ['-c', 'yes > /dev/null & wait'], { detached: true, stdio: 'ignore' });
  const leader = identify(child.pid!);
  assert.ok(leader);
  try {
    const sampler = new SessionSampler(leader, systemClock);
    let last: TelemetrySample | undefined;
    await waitFor(() => {
      last = sampler.sample();
      return last !== undefined && last.processes >= 2 && last.cpuPercent > 0;
    }, 'a sample with the busy child in it', 20_000, 100);
    assert.ok(last!.memoryBytes > 0);
    // A single-threaded `yes` cannot use more than one core (plus rounding of tick counts).
    assert.ok(last!.cpuPercent < 250, `cpu ${last!.cpuPercent}`);
  } finally {
    await killSession(leader);
  }
});
