// `ttyroom audit [--room ID] [--sessions] [--json] [--data-dir DIR]`: prints the record's audit events (or member
// sessions) from <data-dir>/ttyroom.db, oldest first; --json gives one JSON object a line (the export).

import { resolve } from 'node:path';
import { ConfigDefaults, envName } from '../config.js';
import type { MemberSessionRecord, StoredAuditEvent } from '../store/store.js';
import { commandArgs, openRecord, readOptions } from './commandLine.js';
import { ExitStatus } from './shutdown.js';

export const AUDIT_USAGE = `usage: ttyroom audit [--room ID] [--sessions] [--json] [--data-dir DIR]

Prints the audit events the server recorded in <data-dir>/ttyroom.db (TTYROOM_DATA_DIR is read too),
oldest first: all of them, or one room's with --room. --sessions prints the members' sessions instead
(who joined with which role, from where, when they left, how many commands they entered).
--json prints one JSON object a line, for other tools; the server may be running meanwhile.`;

export const AuditCommandLimits = {
  /** Events read from the database at a time: the output streams without holding the whole record. */
  PageSize: 1_000,
} as const;

interface AuditArgs {
  dataDir: string;
  room?: string;
  sessions: boolean;
  json: boolean;
}

function parseAuditArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): AuditArgs | 'help' {
  const read = readOptions(argv, { command: 'audit', values: ['room', 'data-dir'], flags: ['json', 'sessions'] });
  if (read === 'help') return read;
  const dataDir = read.values.get('data-dir') ?? env[envName('data-dir')] ?? ConfigDefaults.DataDir;
  return { dataDir: resolve(cwd, dataDir), room: read.values.get('room'), json: read.flags.has('json'), sessions: read.flags.has('sessions') };
}

/** A detail value as one word: strings that would split the line are quoted. */
function word(value: string | number | boolean): string {
  const text = String(value);
  return /^[^\s"=]*$/.test(text) && text.length > 0 ? text : JSON.stringify(text);
}

/** One event as one line: time, event, then key=value for the room, actor, address and each detail. */
export function formatAuditEvent(event: StoredAuditEvent): string {
  const fields: Array<[string, string | number | boolean | undefined]> = [
    ['room', event.room],
    ['actor', event.actor],
    ['address', event.address],
    ...Object.entries(event.detail ?? {}),
  ];
  const pairs = fields.filter(([, value]) => value !== undefined).map(([key, value]) => `${key}=${word(value!)}`);
  return [event.time, event.event.padEnd(16), ...pairs].join(' ');
}

/** One session as one line: room, member, name, role, user, address, joined, left, commands, chats. */
export function formatSession(session: MemberSessionRecord): string {
  const time = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());
  return [
    `room=${word(session.room)}`,
    `member=${word(session.memberId)}`,
    `name=${word(session.name)}`,
    `role=${session.role}`,
    `user=${word(session.user ?? '-')}`,
    `address=${word(session.address ?? '-')}`,
    `joined=${time(session.joinedAt)}`,
    `left=${time(session.leftAt)}`,
    `commands=${session.commands}`,
    `chats=${session.chats}`,
  ].join(' ');
}

/** Exit statuses: 0 printed (maybe nothing), 1 the record cannot be read, 2 usage. */
export function auditCommand(argv: readonly string[]): void {
  const args = commandArgs(argv, parseAuditArgs, AUDIT_USAGE);
  if (!args) return;
  // `ttyroom audit | head` closes the pipe early: that is the reader being done, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(ExitStatus.Ok);
    throw error;
  });
  const { store } = openRecord(args.dataDir);
  try {
    const out: string[] = [];
    const flush = (): void => {
      if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
      out.length = 0;
    };
    if (args.sessions) {
      for (const session of store.memberSessions(args.room)) out.push(args.json ? JSON.stringify(session) : formatSession(session));
      flush();
      return;
    }
    for (let after = 0; ;) {
      const page = store.auditEvents({ room: args.room, after, limit: AuditCommandLimits.PageSize });
      for (const event of page) out.push(args.json ? JSON.stringify(event) : formatAuditEvent(event));
      flush();
      if (page.length < AuditCommandLimits.PageSize) break;
      after = page[page.length - 1]!.id;
    }
  } finally {
    store.dispose();
  }
}
