// `ttyroom attach URL`: joins a room from this terminal with a viewer, writer or owner link
// (server/termclient/), and exits with the room program's status, or 0 after a detach.

import { AttachTiming, type AttachEnd } from '../termclient/attachSession.js';
import { attachHere } from '../termclient/attachHere.js';
import {
  DEFAULT_DETACH_KEY,
  DEFAULT_ESCAPE_CHAR,
  parseDetachKey,
  parseEscapeChar,
  type DetachKeyOptions,
} from '../termclient/detachKeys.js';
import { parseRoomLink, PASSWORD_ENV, serverAccess, type RoomLink, type ServerAccess } from '../termclient/serverAccess.js';
import { ConfigError } from '../util/configError.js';
import { envName } from '../config.js';
import { commandArgs, fail, readOptions, UsageError } from './commandLine.js';
import { ExitStatus } from './shutdown.js';

export const ATTACH_USAGE = `usage: ttyroom attach URL [--name NAME] [--ca FILE] [--user NAME] [--detach-key KEY] [--escape CHAR]
                      [--reconnect-timeout SECONDS]

Joins the room behind URL (a viewer, writer or owner link, http or https) from this terminal: the room's
screen is drawn here with a status line under it, and your keys reach the room when your role lets you type.
When your role sizes the room, this window does; otherwise the status line says when it is too small.

Leave without ending the room: the detach key twice (default Ctrl-\\ Ctrl-\\), or ${DEFAULT_ESCAPE_CHAR}. at the start of a line
(as in ssh; ${DEFAULT_ESCAPE_CHAR}${DEFAULT_ESCAPE_CHAR} sends one ${DEFAULT_ESCAPE_CHAR}). A watcher also leaves with Ctrl-C. At the start of a line,
${DEFAULT_ESCAPE_CHAR}h raises or lowers your hand (asking the owner for the keyboard) and ${DEFAULT_ESCAPE_CHAR}? lists these commands.

  --name NAME              your name in the member list (a signed-in user is known by the sign-in name)
  --ca FILE                trust the certificate authority in FILE (PEM) for an https server with a private CA
  --user NAME              sign in as NAME (HTTP Basic, servers with --auth basic or local); the password
                           is read from ${PASSWORD_ENV}
  --detach-key KEY         ctrl-LETTER, ctrl-\\, ctrl-], ctrl-^, ctrl-_ or none (default ${DEFAULT_DETACH_KEY})
  --escape CHAR            the escape character of ${DEFAULT_ESCAPE_CHAR}. (default ${DEFAULT_ESCAPE_CHAR}), or none
  --reconnect-timeout S    give up when the server stays unreachable this long (default ${AttachTiming.DefaultReconnectTimeoutMs / 1000})

Each option can also be set with its variable, TTYROOM_ and the option's name (TTYROOM_DETACH_KEY=ctrl-a);
the command line wins. TTYROOM_NAME is your name here, as it is the room's name under share.

Exit status: the room program's (128 + N when ended by signal N), 0 after a detach, 1 when refused, removed
or cut off, 2 for a usage error, 128 + N when this client gets signal N.`;

/** The longest --reconnect-timeout, in seconds: a day; a longer wait is not a wait but a hang. */
const MAX_RECONNECT_TIMEOUT_S = 86_400;

interface AttachArgs {
  link: RoomLink;
  access: ServerAccess;
  name?: string;
  keys: DetachKeyOptions;
  reconnectTimeoutMs: number;
}

const VALUE_OPTIONS = ['name', 'ca', 'user', 'detach-key', 'escape', 'reconnect-timeout'] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

function parseAttachArgs(argv: readonly string[], env: NodeJS.ProcessEnv): AttachArgs | 'help' {
  const read = readOptions(argv, { command: 'attach', values: VALUE_OPTIONS, positionals: 1 });
  if (read === 'help') return read;
  const { values } = read;
  const url = read.positionals[0];
  if (url === undefined) throw new UsageError('which room? ttyroom attach URL (the viewer, writer or owner link the room\'s owner gave you)');
  // Every option may also come from its TTYROOM_<OPTION> variable; the command line wins.
  const fromEnv = new Set<ValueOption>();
  for (const name of VALUE_OPTIONS) {
    const variable = env[envName(name)];
    if (values.has(name) || variable === undefined || variable.length === 0) continue;
    values.set(name, variable);
    fromEnv.add(name);
  }
  try {
    const keys: DetachKeyOptions = {};
    const detachByte = parseDetachKey(values.get('detach-key') ?? DEFAULT_DETACH_KEY);
    if (detachByte !== undefined) keys.detachByte = detachByte;
    const escapeChar = parseEscapeChar(values.get('escape') ?? DEFAULT_ESCAPE_CHAR);
    if (escapeChar !== undefined) keys.escapeChar = escapeChar;
    const timeoutText = values.get('reconnect-timeout');
    let reconnectTimeoutMs: number = AttachTiming.DefaultReconnectTimeoutMs;
    if (timeoutText !== undefined) {
      const seconds = Number(timeoutText);
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_RECONNECT_TIMEOUT_S) {
        throw new ConfigError(`--reconnect-timeout: seconds, more than 0 and at most ${MAX_RECONNECT_TIMEOUT_S}, not ${JSON.stringify(timeoutText)}`);
      }
      reconnectTimeoutMs = Math.round(seconds * 1000);
    }
    const caFile = values.get('ca');
    const user = values.get('user');
    const args: AttachArgs = {
      link: parseRoomLink(url),
      access: serverAccess({ ...(caFile !== undefined ? { caFile } : {}), ...(user !== undefined ? { user } : {}) }, env),
      keys,
      reconnectTimeoutMs,
    };
    const name = values.get('name');
    if (name !== undefined) args.name = name;
    return args;
  } catch (error) {
    if (error instanceof ConfigError) {
      // A bad value from a variable is named by the variable, or the user looks for an option they never typed.
      const option = /^--([a-z-]+)/.exec(error.message)?.[1] as ValueOption | undefined;
      throw new UsageError(option !== undefined && fromEnv.has(option) ? error.message.replace(`--${option}`, envName(option)) : error.message);
    }
    throw error;
  }
}

/** The exit status for how a session ended, after its one line on stderr. */
export function reportEnd(end: AttachEnd): number {
  process.stderr.write(`ttyroom: ${end.message}\n`);
  switch (end.kind) {
    case 'exited':
    case 'signal':
      return end.status;
    case 'detached':
      return ExitStatus.Ok;
    case 'failed':
      return ExitStatus.Failure;
  }
}

export async function attachCommand(argv: readonly string[]): Promise<void> {
  const args = commandArgs(argv, parseAttachArgs, ATTACH_USAGE);
  if (!args) return;
  let end: AttachEnd;
  try {
    end = await attachHere(args);
  } catch (error) {
    if (error instanceof ConfigError) fail(ExitStatus.Usage, `attach: ${error.message}`);
    throw error;
  }
  process.exit(reportEnd(end));
}
