// Reading what the server audited: a collector for unit tests, and the audit rows and raw bytes of a data folder's store.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEvent, AuditEventName, AuditLog } from '../../server/audit/auditLog.js';
import { SqliteStore, STORE_FILE } from '../../server/store/sqliteStore.js';
import type { StoredAuditEvent } from '../../server/store/store.js';

export class MemoryAuditLog implements AuditLog {
  readonly records: AuditEvent[] = [];

  record(event: AuditEvent): void {
    this.records.push(event);
  }

  of(event: AuditEventName): AuditEvent[] {
    return this.records.filter((record) => record.event === event);
  }
}

/** Opens the store of a data folder beside the server that writes it (WAL lets both), runs `read`, closes it. */
export function withStore<T>(dataDir: string, read: (store: SqliteStore) => T): T {
  const store = SqliteStore.open(dataDir);
  try {
    return read(store);
  } finally {
    store.dispose();
  }
}

/** Every audit event in a data folder's store, oldest first, as the server recorded it (without the row id). */
export function storedAuditEvents(dataDir: string): AuditEvent[] {
  return withStore(dataDir, (store) => {
    const events: StoredAuditEvent[] = [];
    for (let page = store.auditEvents({ limit: 1000 }); page.length > 0; page = store.auditEvents({ after: page.at(-1)!.id, limit: 1000 })) {
      events.push(...page);
    }
    return events.map(({ id: _id, ...event }) => event);
  });
}

/** The raw bytes of the store's files (database, write-ahead log, shared memory) as latin1 text, to search for secrets. */
export function storeBytes(dataDir: string): string {
  const file = join(dataDir, STORE_FILE);
  return [file, `${file}-wal`, `${file}-shm`].filter((path) => existsSync(path)).map((path) => readFileSync(path).toString('latin1')).join('\n');
}
