// What the operator commands (audit, bundle, user) share: a usage error, failing with one line and an exit
// status, reading the arguments (with --help), and opening the server's record beside a running server.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore, STORE_FILE } from '../store/sqliteStore.js';
import { ExitStatus } from './shutdown.js';

/** The command line is wrong: said in one line, exit status ExitStatus.Usage. */
export class UsageError extends Error {}

export function fail(status: number, message: string): never {
  process.stderr.write(`ttyroom: ${message}\n`);
  process.exit(status);
}

/**
 * The command's arguments as `parse` reads them (from argv, the environment and the working folder), or
 * undefined once --help printed `usage`; a UsageError ends the process with it.
 */
export function commandArgs<T>(
  argv: readonly string[],
  parse: (argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string) => T | 'help',
  usage: string,
): T | undefined {
  let args: T | 'help';
  try {
    args = parse(argv, process.env, process.cwd());
  } catch (error) {
    if (error instanceof UsageError) fail(ExitStatus.Usage, error.message);
    throw error;
  }
  if (args !== 'help') return args;
  process.stdout.write(`${usage}\n`);
  return undefined;
}

/** The record of `dataDir` (the server may be writing it meanwhile), or the process ends saying why not. */
export function openRecord(dataDir: string): { store: SqliteStore; file: string } {
  const file = join(dataDir, STORE_FILE);
  // Opening would create an empty record; a wrong --data-dir deserves to be told instead.
  if (!existsSync(file)) fail(ExitStatus.Failure, `no record at ${file} (is --data-dir the server's?)`);
  try {
    return { store: new SqliteStore(file), file };
  } catch (error) {
    fail(ExitStatus.Failure, `cannot open ${file}: ${(error as Error).message}`);
  }
}
