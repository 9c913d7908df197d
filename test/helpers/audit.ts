// An AuditLog that keeps records in memory, so tests can read what the server audited.

import type { AuditEvent, AuditEventName, AuditLog } from '../../server/audit/auditLog.js';

export class MemoryAuditLog implements AuditLog {
  readonly records: AuditEvent[] = [];

  record(event: AuditEvent): void {
    this.records.push(event);
  }

  of(event: AuditEventName): AuditEvent[] {
    return this.records.filter((record) => record.event === event);
  }
}
