// `node --import tsx bench/store.ts`: what the record costs per write on this machine's disk (a real file in the temp folder):
// an audit event alone and in a batch, a command count, under synchronous NORMAL (the server's) and FULL (for comparison).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Auditor } from '../server/audit/auditLog.js';
import { SqliteStore } from '../server/store/sqliteStore.js';
import { systemClock } from '../server/util/clock.js';

const StoreBench = {
  /** Writes per measurement: enough for a stable mean, short enough for a few seconds per row. */
  Writes: 20_000,
  /** Events per batch, as a refusal tally's flush of many addresses. */
  BatchSize: 1_000,
  /** FULL costs an fsync per write: fewer of them keep the run short. */
  FullWrites: 500,
} as const;

function microsPer(count: number, work: () => void): number {
  const start = performance.now();
  work();
  return ((performance.now() - start) * 1000) / count;
}

const dir = mkdtempSync(join(tmpdir(), 'ttyroom-bench-store-'));
try {
  const store = SqliteStore.open(dir);
  const auditor = new Auditor(store.audit, systemClock);
  const event = { event: 'member.joined', room: 'r0123456789abcdef', actor: 'm0123456', address: '127.0.0.1', detail: { role: 'writer' } } as const;
  store.memberJoined({ room: 'r', memberId: 'm', name: 'bench', role: 'writer', joinedAt: Date.now() });
  const rows: Array<[string, number]> = [];
  rows.push(['audit event, one commit each (synchronous NORMAL)', microsPer(StoreBench.Writes, () => {
    for (let i = 0; i < StoreBench.Writes; i++) auditor.record(event);
  })]);
  rows.push([`audit event, in batches of ${StoreBench.BatchSize}`, microsPer(StoreBench.Writes, () => {
    for (let b = 0; b < StoreBench.Writes / StoreBench.BatchSize; b++) {
      auditor.batch(() => {
        for (let i = 0; i < StoreBench.BatchSize; i++) auditor.record(event);
      });
    }
  })]);
  rows.push(['command count (+1 on the open session)', microsPer(StoreBench.Writes, () => {
    for (let i = 0; i < StoreBench.Writes; i++) store.commandsEntered('r', 'm', 1);
  })]);
  rows.push(['audit page of 100 events (read)', microsPer(1000, () => {
    for (let i = 0; i < 1000; i++) store.auditEvents({ room: event.room, after: i * 10, limit: 100 });
  })]);
  store.dispose();
  // The same insert under FULL, to show what NORMAL saves (an fsync of the WAL per commit).
  const full = new Database(join(dir, 'ttyroom.db'));
  full.pragma('synchronous = FULL');
  const insert = full.prepare('INSERT INTO audit_events (time, event, room, actor, address, detail) VALUES (?, ?, ?, ?, ?, ?)');
  rows.push(['audit event, one commit each, synchronous FULL (not used)', microsPer(StoreBench.FullWrites, () => {
    for (let i = 0; i < StoreBench.FullWrites; i++) insert.run(Date.now(), event.event, event.room, event.actor, event.address, '{"role":"writer"}');
  })]);
  full.close();
  process.stdout.write(`| write | µs each |\n|---|---|\n${rows.map(([name, micros]) => `| ${name} | ${micros.toFixed(1)} |`).join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
