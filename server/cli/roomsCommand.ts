// `ttyroom rooms [--server URL] [--json] [--ca FILE] [--user NAME]`: lists a running server's rooms (GET /api/rooms)
// as a table, or as the API's JSON array with --json.

import { ConfigDefaults, envName } from '../config.js';
import type { RoomSummary } from '../shared/events.js';
import { parseServerUrl, PASSWORD_ENV, serverAccess, type ServerAccess } from '../termclient/serverAccess.js';
import { listRooms, ServerRequestError } from '../termclient/serverRequest.js';
import { ConfigError } from '../util/configError.js';
import { commandArgs, fail, readOptions, UsageError } from './commandLine.js';
import { ExitStatus } from './shutdown.js';
import { UNSAFE_IN_LINE } from '../shared/unsafeText.js';

/** The server `ttyroom serve` listens on when given no --host or --port. */
export const DEFAULT_SERVER = `http://${ConfigDefaults.Host}:${ConfigDefaults.Port}`;

export const ROOMS_USAGE = `usage: ttyroom rooms [--server URL] [--json] [--ca FILE] [--user NAME]

Lists the rooms a running server shows you: id, name, profile, members, size, state and age.
--server  the server's address (default: ${envName('server')}, else ${DEFAULT_SERVER}, where ttyroom serve listens)
--json    print the list as the API returns it (GET /api/rooms), for other tools
--ca      trust the CA in FILE (PEM) for an https server whose certificate a private CA signed
--user    sign in as NAME on a server with --auth basic or local; the password is read from ${PASSWORD_ENV}`;

export const RoomsTable = {
  /** Characters of a room name shown; a longer one is cut with an ellipsis so the table keeps its shape. */
  MaxNameWidth: 32,
  /** Characters of a profile name shown, cut the same way. */
  MaxProfileWidth: 16,
  /** Spaces between columns. */
  Gap: 2,
} as const;

interface RoomsArgs {
  server: string;
  json: boolean;
  access: ServerAccess;
}

function parseRoomsArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RoomsArgs | 'help' {
  const read = readOptions(argv, { command: 'rooms', values: ['server', 'ca', 'user'], flags: ['json'] });
  if (read === 'help') return read;
  const server = read.values.get('server') ?? (env[envName('server')] || DEFAULT_SERVER);
  try {
    return {
      server: parseServerUrl(server),
      json: read.flags.has('json'),
      access: serverAccess({ caFile: read.values.get('ca'), user: read.values.get('user') }, env),
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** Text from the server (a room name is user input) made safe for one table cell: controls and bidi controls removed, cut to `width` characters. */
export function cell(text: string, width = Number.POSITIVE_INFINITY): string {
  const characters = Array.from(text.replace(UNSAFE_IN_LINE, ''));
  if (characters.length <= width) return characters.join('');
  return `${characters.slice(0, width - 1).join('')}…`;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long ago `createdAt` was, in its largest whole unit ("42s", "5m", "3h", "2d"). */
export function age(createdAt: string, now: number): string {
  const elapsed = Math.max(0, now - Date.parse(createdAt));
  if (elapsed < MINUTE) return `${Math.floor(elapsed / SECOND)}s`;
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)}m`;
  if (elapsed < DAY) return `${Math.floor(elapsed / HOUR)}h`;
  return `${Math.floor(elapsed / DAY)}d`;
}

/** "running" or "exited", then what limits who gets in. */
export function roomState(room: RoomSummary): string {
  return [room.exited ? 'exited' : 'running', ...(room.locked ? ['locked'] : []), ...(room.approval ? ['approval'] : [])].join(',');
}

/** The rooms as aligned columns with a header line; `now` (ms since the epoch) dates the ages. */
export function formatRoomsTable(rooms: readonly RoomSummary[], now: number): string {
  const header = ['ID', 'NAME', 'PROFILE', 'MEMBERS', 'SIZE', 'STATE', 'CREATED'];
  const rows = rooms.map((room) => [
    cell(room.id),
    cell(room.name, RoomsTable.MaxNameWidth) || '-',
    cell(room.profile, RoomsTable.MaxProfileWidth),
    String(room.members),
    `${room.cols}x${room.rows}`,
    roomState(room),
    `${age(room.createdAt, now)} ago`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => Array.from(row[column]!).length)));
  const line = (values: readonly string[]): string =>
    values
      .map((value, column) => (column === values.length - 1 ? value : value + ' '.repeat(widths[column]! - Array.from(value).length)))
      .join(' '.repeat(RoomsTable.Gap));
  return [header, ...rows].map(line).join('\n');
}

/** Exit statuses: 0 listed (maybe no rooms), 1 the server could not be asked or refused, 2 usage. */
export async function roomsCommand(argv: readonly string[]): Promise<void> {
  const args = commandArgs(argv, parseRoomsArgs, ROOMS_USAGE);
  if (!args) return;
  let rooms: RoomSummary[];
  try {
    rooms = await listRooms(args.server, args.access);
  } catch (error) {
    if (error instanceof ServerRequestError) fail(ExitStatus.Failure, error.message);
    throw error;
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify(rooms, null, 2)}\n`);
    return;
  }
  process.stdout.write(rooms.length === 0 ? `no rooms on ${args.server}\n` : `${formatRoomsTable(rooms, Date.now())}\n`);
}
