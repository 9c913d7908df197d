// The audit's stamping and aggregation: repeated refusals become one counted record per interval (the store is tested in store.test.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditCounter } from '../../server/audit/auditCounter.js';
import { Auditor } from '../../server/audit/auditLog.js';
import { MemoryAuditLog } from '../helpers/audit.js';
import { ManualClock, MANUAL_CLOCK_START } from '../helpers/manualClock.js';

test('Auditor stamps records with the clock time', () => {
  const log = new MemoryAuditLog();
  const clock = new ManualClock();
  new Auditor(log, clock).record({ event: 'member.joined', room: 'r', actor: 'm', detail: { role: 'viewer' } });
  assert.deepEqual(log.records, [
    { time: new Date(MANUAL_CLOCK_START).toISOString(), event: 'member.joined', room: 'r', actor: 'm', detail: { role: 'viewer' } },
  ]);
});

test('AuditCounter writes one counted record per interval, and the rest on dispose', () => {
  const log = new MemoryAuditLog();
  const clock = new ManualClock();
  let room = 'r1';
  const counter = new AuditCounter(new Auditor(log, clock), clock, () => ({ event: 'write.denied', room, actor: 'm1' }), 10_000);
  assert.equal(clock.pending, 0, 'no timer before anything happens');
  for (let i = 0; i < 500; i++) counter.note();
  assert.equal(log.records.length, 0, 'not one line per key');
  assert.equal(clock.pending, 1, 'one timer for the whole interval');
  clock.advance(10_000);
  assert.equal(log.records.length, 1);
  assert.deepEqual(log.records[0]!.detail, { count: 500, since: new Date(MANUAL_CLOCK_START).toISOString() });
  assert.equal(log.records[0]!.room, 'r1');
  clock.advance(60_000);
  assert.equal(log.records.length, 1, 'a quiet interval writes nothing');
  room = 'r2';
  counter.note();
  counter.note();
  counter.dispose();
  assert.equal(log.records.length, 2);
  assert.equal(log.records[1]!.detail?.count, 2);
  assert.equal(log.records[1]!.room, 'r2', 'the entry is read when written');
  assert.equal(clock.pending, 0);
  counter.note();
  counter.dispose();
  assert.equal(log.records.length, 2, 'nothing after dispose');
});
