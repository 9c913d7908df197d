// `ttyroom user add NAME` / `ttyroom user remove NAME`: manage the users file of --auth local. Passwords come
// from a no-echo prompt on a terminal or from stdin when piped, never from the command line (ps shows it).

import { resolve } from 'node:path';
import { defaultUsersFile } from '../auth/authMode.js';
import { ConfigDefaults, envName } from '../config.js';
import { isValidUserName, UsersFile, UsersFileError, UsersFileLimits } from '../auth/usersFile.js';
import { commandArgs, fail, UsageError } from './commandLine.js';
import { ExitStatus } from './shutdown.js';

export const USER_USAGE = `usage: ttyroom user add NAME [--users-file FILE | --data-dir DIR]
       ttyroom user remove NAME [--users-file FILE | --data-dir DIR]

Adds a user (or sets a new password for one) or removes one from the users file of --auth local
(default: <data-dir>/users.json; TTYROOM_USERS_FILE and TTYROOM_DATA_DIR are read too). The password is
asked for without echo on a terminal, or read from the first line of stdin when it is piped:
  printf '%s\\n' "$PASSWORD" | ttyroom user add alice
A removed user's sessions stop working at their next request.`;

interface UserArgs {
  action: 'add' | 'remove';
  name: string;
  usersFile: string;
}

function parseUserArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): UserArgs | 'help' {
  let usersFile = env[envName('users-file')];
  let dataDir = env[envName('data-dir')];
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const option = /^--(users-file|data-dir)(?:=(.*))?$/.exec(arg);
    if (option) {
      const value = option[2] ?? argv[++i];
      if (value === undefined || value.length === 0) throw new UsageError(`--${option[1]} needs a value`);
      if (option[1] === 'users-file') usersFile = value;
      else dataDir = value;
      continue;
    }
    if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg} (see ttyroom user --help)`);
    words.push(arg);
  }
  const [action, name, ...extra] = words;
  if (action !== 'add' && action !== 'remove') {
    throw new UsageError(action === undefined ? 'user needs add or remove (see ttyroom user --help)' : `unknown user command "${action}" (add or remove)`);
  }
  if (name === undefined) throw new UsageError(`user ${action} needs a user name`);
  if (extra.length > 0) {
    throw new UsageError(action === 'add' ? 'user add takes no password argument: it is asked for, or read from stdin' : `unexpected argument "${extra[0]}"`);
  }
  if (!isValidUserName(name)) throw new UsageError(`"${name}" is not a valid user name: 1 to 64 letters, digits or . _ @ -`);
  const file = usersFile !== undefined ? resolve(cwd, usersFile) : defaultUsersFile(resolve(cwd, dataDir ?? ConfigDefaults.DataDir));
  return { action, name, usersFile: file };
}

/** Reads one line from the terminal without echoing it; Ctrl-C or Ctrl-D gives up. */
function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolvePassword, reject) => {
    // Echo goes off before the prompt appears: a password typed (or pasted) right after it is never shown.
    input.setRawMode(true);
    process.stderr.write(prompt);
    let line = '';
    input.setEncoding('utf8');
    input.resume();
    const finish = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolvePassword(line);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new UsageError('cancelled; nothing was changed'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else if (ch >= ' ') line += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The first line of stdin (a pipe or a file); the line break is not part of the password. */
async function readPipedPassword(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) {
    text += chunk as string;
    if (text.includes('\n') || text.length > UsersFileLimits.MaxPasswordLength + 2) break;
  }
  return text.split(/\r?\n/)[0]!;
}

async function readPassword(name: string): Promise<string> {
  if (!process.stdin.isTTY) return readPipedPassword();
  const first = await promptHidden(`Password for ${name}: `);
  if (first.length === 0) return first;
  const second = await promptHidden('Again: ');
  if (first !== second) throw new UsageError('the passwords differ; nothing was changed');
  return first;
}

/** Exit statuses: 0 done, 1 the file cannot be read or written (or no such user to remove), 2 usage. */
export async function userCommand(argv: readonly string[]): Promise<void> {
  const args = commandArgs(argv, parseUserArgs, USER_USAGE);
  if (!args) return;
  const file = new UsersFile(args.usersFile);
  try {
    if (args.action === 'remove') {
      if (!file.remove(args.name)) fail(ExitStatus.Failure, `no user "${args.name}" in ${args.usersFile}`);
      process.stderr.write(`ttyroom: removed ${args.name} from ${args.usersFile}\n`);
      return;
    }
    const password = await readPassword(args.name);
    if (password.length === 0) fail(ExitStatus.Usage, 'the password is empty; nothing was changed');
    if (password.length > UsersFileLimits.MaxPasswordLength) fail(ExitStatus.Usage, `the password is longer than ${UsersFileLimits.MaxPasswordLength} characters`);
    const outcome = await file.set(args.name, password);
    process.stderr.write(`ttyroom: ${outcome === 'added' ? 'added' : 'changed the password of'} ${args.name} in ${args.usersFile}\n`);
  } catch (error) {
    if (error instanceof UsageError) fail(ExitStatus.Usage, error.message);
    if (error instanceof UsersFileError) fail(ExitStatus.Failure, error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) fail(ExitStatus.Failure, `cannot update ${args.usersFile}: ${(error as Error).message}`);
    throw error;
  }
}
