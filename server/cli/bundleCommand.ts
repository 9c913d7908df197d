// `ttyroom bundle ROOM_ID [--out FILE] [--data-dir DIR]`: writes a room's incident bundle (server/recording/bundle.ts)
// from <data-dir>, for running and finished rooms alike, while the server may be running.

import { createWriteStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ConfigDefaults, envName } from '../config.js';
import { bundleFileName, createBundle } from '../recording/bundle.js';
import { parseId } from '../shared/validate.js';
import { systemClock } from '../util/clock.js';
import { commandArgs, fail, openRecord, readOptions, UsageError } from './commandLine.js';
import { ExitStatus } from './shutdown.js';

export const BUNDLE_USAGE = `usage: ttyroom bundle ROOM_ID [--out FILE] [--data-dir DIR]

Writes the incident bundle of a room the server recorded in <data-dir> (TTYROOM_DATA_DIR is read too), running
or finished: one zip with its recording, audit events, member sessions, bookmarks, chat lines (if kept), the
command transcript and a README naming each file. --out names the file (default: ttyroom-ROOM_ID.zip here;
"-" writes to stdout). The file is readable by you alone: it holds members' addresses.`;

/** Bundles hold members' addresses and the screen's contents: the operator's alone, as the record is. */
const BUNDLE_FILE_MODE = 0o600;

interface BundleArgs {
  dataDir: string;
  roomId: string;
  out: string;
}

function parseBundleArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): BundleArgs | 'help' {
  const read = readOptions(argv, { command: 'bundle', values: ['out', 'data-dir'], positionals: 1 });
  if (read === 'help') return read;
  const dataDir = read.values.get('data-dir') ?? env[envName('data-dir')];
  const roomId = read.positionals[0];
  let out = read.values.get('out');
  if (roomId === undefined) throw new UsageError('which room? (ttyroom bundle ROOM_ID; ttyroom audit lists rooms\' events)');
  if (parseId(roomId) === undefined) throw new UsageError(`"${roomId}" is not a room id`);
  out ??= bundleFileName(roomId);
  return { dataDir: resolve(cwd, dataDir ?? ConfigDefaults.DataDir), roomId, out: out === '-' ? out : resolve(cwd, out) };
}

/** Exit statuses: 0 written, 1 no such room or the record or file cannot be read or written, 2 usage. */
export async function bundleCommand(argv: readonly string[]): Promise<void> {
  const args = commandArgs(argv, parseBundleArgs, BUNDLE_USAGE);
  if (!args) return;
  const { store, file } = openRecord(args.dataDir);
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
