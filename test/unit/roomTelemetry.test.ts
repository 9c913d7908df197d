// Proves room telemetry samples only while someone watches, on the room's clock, leaves no timer behind, and that clients read only well-formed samples.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomTelemetry, TelemetryPacing, type TelemetrySource } from '../../server/rooms/roomTelemetry.js';
import type { TelemetryPayload } from '../../server/shared/events.js';
import { parseTelemetry } from '../../server/shared/serverPayloads.js';
import type { TelemetrySample } from '../../server/terminal/processTelemetry.js';
import { ManualClock } from '../helpers/manualClock.js';

function setup(readings: Array<Omit<TelemetrySample, 'at'> | undefined>) {
  const clock = new ManualClock();
  let calls = 0;
  const source: TelemetrySource = {
    sample: () => {
      const reading = readings[Math.min(calls++, readings.length - 1)];
      return reading && { at: clock.now(), ...reading };
    },
  };
  const sent: TelemetryPayload[] = [];
  const telemetry = new RoomTelemetry(clock, source, (payload) => sent.push(payload));
  return { clock, telemetry, sent, calls: () => calls };
}

const reading = { cpuPercent: 12.345, memoryBytes: 4096, processes: 3 };

test('nothing is sampled until someone watches; then a baseline, and a sample every interval', () => {
  const { clock, telemetry, sent, calls } = setup([reading]);
  clock.advance(TelemetryPacing.IntervalMs * 3);
  assert.equal(calls(), 0);
  telemetry.watch(true);
  assert.equal(calls(), 1, 'the baseline');
  assert.equal(sent.length, 0, 'the baseline is not sent');
  telemetry.watch(true);
  assert.equal(clock.pending, 1, 'watching twice arms one timer');
  clock.advance(TelemetryPacing.IntervalMs * 2);
  assert.deepEqual(sent, [
    { at: new Date(clock.now() - TelemetryPacing.IntervalMs).toISOString(), cpuPercent: 12.3, memoryBytes: 4096, processes: 3 },
    { at: new Date(clock.now()).toISOString(), cpuPercent: 12.3, memoryBytes: 4096, processes: 3 },
  ]);
  telemetry.dispose();
  assert.equal(clock.pending, 0, 'disposing leaves no timer');
});

test('nobody watching stops the sampling; stop() and a session that is gone end it for good', () => {
  const { clock, telemetry, sent } = setup([reading, reading, reading, undefined]);
  telemetry.watch(true);
  telemetry.watch(false);
  assert.equal(clock.pending, 0);
  clock.advance(TelemetryPacing.IntervalMs * 3);
  assert.equal(sent.length, 0);
  telemetry.watch(true);
  clock.advance(TelemetryPacing.IntervalMs);
  assert.equal(sent.length, 1);
  clock.advance(TelemetryPacing.IntervalMs);
  assert.equal(sent.length, 1);
  assert.equal(clock.pending, 0, 'the session gone: no next timer');
  telemetry.watch(true);
  assert.equal(clock.pending, 0, 'and watching again does not restart it');

  const other = setup([reading]);
  other.telemetry.watch(true);
  other.telemetry.stop();
  other.telemetry.watch(true);
  assert.equal(other.clock.pending, 0, 'a stopped room (its process exited) is never sampled again');
});

test('parseTelemetry takes a well-formed sample and refuses anything else', () => {
  const good = { at: '2024-01-01T00:00:05.000Z', cpuPercent: 12.3, memoryBytes: 4096, processes: 3 };
  assert.deepEqual(parseTelemetry({ ...good, extra: 'x' }), good);
  for (const bad of [null, 'x', { ...good, at: 'yesterday' }, { ...good, cpuPercent: -1 }, { ...good, memoryBytes: '4096' },
    { ...good, processes: Number.NaN }, { ...good, cpuPercent: Number.POSITIVE_INFINITY }]) {
    assert.equal(parseTelemetry(bad), undefined, JSON.stringify(bad));
  }
});

test('a remote source answers later: one sample at a time, sent when it arrives, and no timer once nobody watches', async () => {
  const clock = new ManualClock();
  const answers: Array<(sample: TelemetrySample | undefined) => void> = [];
  const source: TelemetrySource = { sample: () => new Promise((resolve) => answers.push(resolve)) };
  const sent: TelemetryPayload[] = [];
  const telemetry = new RoomTelemetry(clock, source, (payload) => sent.push(payload));
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  telemetry.watch(true);
  telemetry.watch(true);
  assert.equal(answers.length, 1, 'no second baseline while the first is on its way');
  assert.equal(clock.pending, 0, 'no timer before the baseline came back');
  answers[0]!({ at: clock.now(), ...reading });
  await settle();
  assert.equal(clock.pending, 1);
  clock.advance(TelemetryPacing.IntervalMs);
  assert.equal(answers.length, 2);
  telemetry.watch(false);
  answers[1]!({ at: clock.now(), ...reading });
  await settle();
  assert.equal(sent.length, 1, 'the sample that was asked for is sent');
  assert.equal(clock.pending, 0, 'but nobody watches: no next one');
  telemetry.watch(true);
  assert.equal(answers.length, 3);
  answers[2]!(undefined);
  await settle();
  assert.equal(clock.pending, 0, 'a source with nothing to read ends the sampling');
  telemetry.dispose();
});
