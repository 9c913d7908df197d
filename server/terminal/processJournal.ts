// ProcessJournal: one file per open room naming its shell, so a server that was killed has its processes ended on the next start.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { identify, isRunning, killSession, procAvailable, readBootId, type ProcessIdentity } from './processTree.js';

export const JournalLayout = {
  /** Under the data directory; one `<roomId>.json` per room whose processes may still be running. */
  Folder: 'processes',
  Extension: '.json',
  /** A record is written here first and renamed into place, so a reader never sees half a record. */
  TempExtension: '.tmp',
  /** Bumped when the record's shape changes; records of another version are discarded unread. */
  Version: 1,
  /** Owner read/write only: a record says which processes this user runs, nobody else's business. */
  FileMode: 0o600,
} as const;

/** Room ids are base64url; anything else must not become part of a file name. */
const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Linux never hands out pids above 2^22 (PID_MAX_LIMIT on 64-bit). */
const MAX_PID = 4_194_304;

export interface ProcessRecord {
  version: number;
  roomId: string;
  /** This boot of the machine; after a reboot none of the recorded processes can exist. */
  bootId: string;
  /** The server that owns the room: while it runs, the record is its business, not a leftover. */
  server: ProcessIdentity;
  /** The room's shell: the leader of the session whose processes are ended. */
  shell: ProcessIdentity;
}

function isIdentity(value: unknown): value is ProcessIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const { pid, startTime } = value as Record<string, unknown>;
  return Number.isSafeInteger(pid) && (pid as number) > 1 && (pid as number) <= MAX_PID
    && Number.isSafeInteger(startTime) && (startTime as number) >= 0;
}

/** The record, or undefined when the text is not one (damaged, foreign, or from another version). */
export function parseProcessRecord(text: string): ProcessRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (record.version !== JournalLayout.Version) return undefined;
  if (typeof record.roomId !== 'string' || !ROOM_ID_PATTERN.test(record.roomId)) return undefined;
  if (typeof record.bootId !== 'string' || record.bootId.length === 0) return undefined;
  if (!isIdentity(record.server) || !isIdentity(record.shell)) return undefined;
  return { version: record.version, roomId: record.roomId, bootId: record.bootId, server: record.server, shell: record.shell };
}

/** Writes and removes this server's records. Without /proc (not Linux) it keeps none. */
export class ProcessJournal {
  private readonly folder: string;
  private readonly bootId: string | undefined;
  private readonly server: ProcessIdentity | undefined;

  constructor(dataDir: string) {
    this.folder = join(dataDir, JournalLayout.Folder);
    this.bootId = procAvailable() ? readBootId() : undefined;
    this.server = this.bootId === undefined ? undefined : identify(process.pid);
    if (this.enabled) mkdirSync(this.folder, { recursive: true });
  }

  get enabled(): boolean {
    return this.bootId !== undefined && this.server !== undefined;
  }

  /**
   * Records that `shell` leads room `roomId`'s session. Written to a temporary file and renamed, so a
   * crash leaves the old state or the new one. No fsync: only a power loss could lose the write, and
   * after that reboot the record would be discarded anyway.
   */
  record(roomId: string, shell: ProcessIdentity): void {
    if (!this.bootId || !this.server) return;
    if (!ROOM_ID_PATTERN.test(roomId)) throw new Error(`not a room id: ${JSON.stringify(roomId)}`);
    const record: ProcessRecord = { version: JournalLayout.Version, roomId, bootId: this.bootId, server: this.server, shell };
    const path = this.pathFor(roomId);
    const temp = `${path}${JournalLayout.TempExtension}`;
    writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: JournalLayout.FileMode });
    renameSync(temp, path);
  }

  /** Forgets the room once its session was swept. */
  remove(roomId: string): void {
    if (!this.enabled || !ROOM_ID_PATTERN.test(roomId)) return;
    rmSync(this.pathFor(roomId), { force: true });
  }

  private pathFor(roomId: string): string {
    return join(this.folder, `${roomId}${JournalLayout.Extension}`);
  }
}

export type RecoveryOutcome =
  | { kind: 'ended'; roomId: string; shellPid: number; killed: number; survivors: number }
  | { kind: 'pid-reused'; roomId: string; shellPid: number };

/**
 * Ends what a server that was killed (or crashed) left running, from the records in `dataDir`. For
 * each record of this boot whose server is no longer running:
 * - the shell still runs with the recorded start time: SIGKILL its whole session;
 * - the shell is gone: SIGKILL what is left of its session (processes with its pid as session id that
 *   started no earlier than it; a session id can only be reused by a new process with that pid, and
 *   there is none);
 * - another process holds the shell's pid (another start time): the pid was reused, leave it alone.
 * Then the record is deleted. Records from before a reboot or unreadable ones are just deleted. Calls
 * `log` once per recovered room. Must run before this server records rooms of its own.
 */
export async function recoverLeftovers(dataDir: string, log: (line: string) => void): Promise<RecoveryOutcome[]> {
  const folder = join(dataDir, JournalLayout.Folder);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    // No folder: no server ever recorded a room here, so nothing was left behind.
    return [];
  }
  const bootId = procAvailable() ? readBootId() : undefined;
  const outcomes: RecoveryOutcome[] = [];
  for (const name of names) {
    if (!name.endsWith(JournalLayout.Extension)) continue;
    const path = join(folder, name);
    let record: ProcessRecord | undefined;
    try {
      record = parseProcessRecord(readFileSync(path, 'utf8'));
    } catch {
      // Unreadable (a folder, permissions): treated like a damaged record below.
    }
    if (!record) {
      log(`discarded ${path}: not a process record this version can read`);
      rmSync(path, { force: true, recursive: true });
      continue;
    }
    if (record.bootId !== bootId) {
      rmSync(path, { force: true });
      continue;
    }
    // A server that still runs (say, a second `ttyroom serve` pointed at the same folder) owns its records.
    if (isRunning(record.server)) continue;
    const result = await killSession(record.shell);
    if (result.foreign) {
      outcomes.push({ kind: 'pid-reused', roomId: record.roomId, shellPid: record.shell.pid });
      log(`room ${record.roomId} of a server that stopped without closing it: shell pid ${record.shell.pid} now belongs to another process; left it alone`);
    } else {
      outcomes.push({ kind: 'ended', roomId: record.roomId, shellPid: record.shell.pid, killed: result.killed, survivors: result.survivors.length });
      const survivors = result.survivors.length > 0 ? `; ${result.survivors.length} did not die (stuck in the kernel?)` : '';
      log(`room ${record.roomId} of a server that stopped without closing it: ended ${result.killed} leftover process(es) of shell pid ${record.shell.pid}'s session${survivors}`);
    }
    rmSync(path, { force: true });
  }
  return outcomes;
}
