// What the operator commands (audit, bundle, rooms, attach, user) share: a usage error, failing with one line and an
// exit status, reading the options and arguments (with --help), and opening the server's record beside a running server.

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

/** What a command accepts: options with a value (`--name VALUE` or `--name=VALUE`), flags, and up to `positionals` arguments. */
export interface OptionSpec<V extends string, F extends string> {
  /** The command's name, for the "see ttyroom COMMAND --help" hint. */
  command: string;
  values: readonly V[];
  flags?: readonly F[];
  /** Arguments that are not options (a room id, a link); none unless given. */
  positionals?: number;
}

export interface ReadOptions<V extends string, F extends string> {
  values: Map<V, string>;
  flags: Set<F>;
  positionals: string[];
}

/**
 * Reads `argv` by `spec`, or 'help' at --help / -h. Throws a UsageError naming the first unknown option, a value
 * left empty or missing (the next word is taken as the value, as getopt does), or an argument too many.
 */
export function readOptions<V extends string, F extends string = never>(argv: readonly string[], spec: OptionSpec<V, F>): ReadOptions<V, F> | 'help' {
  const read: ReadOptions<V, F> = { values: new Map(), flags: new Set(), positionals: [] };
  const hint = `(see ttyroom ${spec.command} --help)`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const option = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (option) {
      const name = option[1]!;
      if ((spec.flags as readonly string[] | undefined)?.includes(name) && option[2] === undefined) {
        read.flags.add(name as F);
        continue;
      }
      if (!(spec.values as readonly string[]).includes(name)) throw new UsageError(`unknown option --${name} ${hint}`);
      const value = option[2] ?? argv[++i];
      if (value === undefined || value.length === 0) throw new UsageError(`--${name} needs a value`);
      read.values.set(name as V, value);
      continue;
    }
    if (arg.startsWith('-') || read.positionals.length >= (spec.positionals ?? 0)) throw new UsageError(`unexpected argument "${arg}" ${hint}`);
    read.positionals.push(arg);
  }
  return read;
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
