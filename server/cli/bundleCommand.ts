// `ttyroom bundle ROOM_ID [--out FILE] [--data-dir DIR]`: writes a room's incident bundle (server/recording/bundle.ts)
// from <data-dir>, for running and finished rooms alike, while the server may be running.

import { createWriteStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ConfigDefaults, envName } from '../config.js';
import { bundleFileName, createBundle } from '../recording/bundle.js';
import { SqliteStore, STORE_FILE } from '../store/sqliteStore.js';
import { parseId } from '../shared/validate.js';
import { systemClock } from '../util/clock.js';
import { ExitStatus } from './shutdown.js';

export const BUNDLE_USAGE = `usage: ttyroom bundle ROOM_ID [--out FILE] [--data-dir DIR]

Writes the incident bundle of a room the server recorded in <data-dir> (TTYROOM_DATA_DIR is read too), running
or finished: one zip with its recording, audit events, member sessions, bookmarks, chat lines (if kept), the
command transcript and a README naming each file. --out names the file (default: ttyroom-ROOM_ID.zip here;
"-" writes to stdout). The file is readable by you alone: it holds members' addresses.`;

/** Bundles hold members' addresses and the screen's contents: the operator's alone, as the record is. */
const BUNDLE_FILE_MODE = 0o600;

class UsageError extends Error {}

interface BundleArgs {
  dataDir: string;
  roomId: string;
  out: string;
}

function parseBundleArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): BundleArgs | 'help' {
  let dataDir = env[envName('data-dir')];
  let roomId: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const option = /^--(out|data-dir)(?:=(.*))?$/.exec(arg);
    if (option) {
      const value = option[2] ?? argv[++i];
      if (value === undefined || value.length === 0) throw new UsageError(`--${option[1]} needs a value`);
      if (option[1] === 'out') out = value;
      else dataDir = value;
      continue;
    }
    if (arg.startsWith('-') || roomId !== undefined) throw new UsageError(`unexpected argument "${arg}" (see ttyroom bundle --help)`);
    roomId = arg;
  }
  if (roomId === undefined) throw new UsageError('which room? (ttyroom bundle ROOM_ID; ttyroom audit lists rooms\' events)');
  if (parseId(roomId) === undefined) throw new UsageError(`"${roomId}" is not a room id`);
  out ??= bundleFileName(roomId);
  return { dataDir: resolve(cwd, dataDir ?? ConfigDefaults.DataDir), roomId, out: out === '-' ? out : resolve(cwd, out) };
}

function fail(status: number, message: string): never {
  process.stderr.write(`ttyroom: ${message}\n`);
  process.exit(status);
}

/** Exit statuses: 0 written, 1 no such room or the record or file cannot be read or written, 2 usage. */
export async function bundleCommand(argv: readonly string[]): Promise<void> {
  let args: BundleArgs | 'help';
  try {
    args = parseBundleArgs(argv, process.env, process.cwd());
  } catch (error) {
    if (error instanceof UsageError) fail(ExitStatus.Usage, error.message);
    throw error;
  }
  if (args === 'help') {
    process.stdout.write(`${BUNDLE_USAGE}\n`);
    return;
  }
  const file = join(args.dataDir, STORE_FILE);
  // Opening would create an empty record; a wrong --data-dir deserves to be told instead.
  if (!existsSync(file)) fail(ExitStatus.Failure, `no record at ${file} (is --data-dir the server's?)`);
  let store: SqliteStore;
  try {
    store = new SqliteStore(file);
  } catch (error) {
    fail(ExitStatus.Failure, `cannot open ${file}: ${(error as Error).message}`);
  }
  try {
    if (!store.room(args.roomId)) fail(ExitStatus.Failure, `no room ${args.roomId} in ${file} (retention may have removed it)`);
    const recording = store.recordings(args.roomId).at(-1)?.path;
    const bundle = await createBundle({
      roomId: args.roomId,
      store,
      recording: recording !== undefined && existsSync(recording) ? recording : undefined,
      now: systemClock.now(),
    });
    await pipeline(bundle, args.out === '-' ? process.stdout : createWriteStream(args.out, { mode: BUNDLE_FILE_MODE }));
    if (args.out !== '-') process.stderr.write(`ttyroom: wrote ${args.out}\n`);
  } catch (error) {
    fail(ExitStatus.Failure, `cannot write the bundle: ${(error as Error).message}`);
  } finally {
    store.dispose();
  }
}
