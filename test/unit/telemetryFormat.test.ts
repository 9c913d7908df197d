// The room page's telemetry readout: CPU as top counts it, memory in binary units, processes counted.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMemory, formatTelemetry } from '../../client/src/telemetry.js';

test('memory reads as top shows it: the largest unit that keeps a number of at least 1', () => {
  assert.equal(formatMemory(0), '0 B');
  assert.equal(formatMemory(900), '900 B');
  assert.equal(formatMemory(1536), '1.5 KB');
  assert.equal(formatMemory(48 * 1024 * 1024), '48 MB');
  assert.equal(formatMemory(3.25 * 1024 ** 3), '3.3 GB');
});

test('one line: CPU in whole percents (over 100 on several cores), memory, processes', () => {
  const sample = { at: '2026-12-06T17:00:00.000Z', cpuPercent: 12.4, memoryBytes: 48 * 1024 * 1024, processes: 5 };
  assert.equal(formatTelemetry(sample), 'CPU 12% · 48 MB · 5 procs');
  assert.equal(formatTelemetry({ ...sample, cpuPercent: 199.6, processes: 1 }), 'CPU 200% · 48 MB · 1 proc');
});
