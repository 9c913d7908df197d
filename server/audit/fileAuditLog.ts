// FileAuditLog: appends audit events as JSON lines to <dataDir>/audit.log, readable by the server's user only.

import { closeSync, openSync, writeSync } from 'node:fs';
import { Disposable, toDisposable } from '../shared/disposable.js';
import type { AuditEvent, AuditLog } from './auditLog.js';

/** Owner read/write only: the log holds client addresses. */
const AUDIT_FILE_MODE = 0o600;

export class FileAuditLog extends Disposable implements AuditLog {
  private readonly fd: number;
  private failing = false;

  constructor(readonly path: string) {
    super();
    this.fd = openSync(path, 'a', AUDIT_FILE_MODE);
    this.register(toDisposable(() => closeSync(this.fd)));
  }

  /**
   * Written synchronously: events are rare (per join, per room, aggregated refusals), and a line written
   * before the next event is handled cannot be lost to a crash.
   */
  record(event: AuditEvent): void {
    // After disposal the fd number may belong to another file: drop late events (only during shutdown).
    if (this.isDisposed) return;
    try {
      writeSync(this.fd, `${JSON.stringify(event)}\n`);
      this.failing = false;
    } catch (error) {
      // A full or failing disk must not take the terminals down with it; say so once per failing stretch.
      if (!this.failing) process.stderr.write(`ttyroom: cannot write the audit log ${this.path}: ${String(error)}\n`);
      this.failing = true;
    }
  }
}
