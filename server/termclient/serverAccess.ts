// How a terminal client reaches a server: a room link taken apart (origin, room, token), the trusted CA for a
// private certificate, and the sign-in credential (HTTP Basic), shared by `attach`, `share --server` and `rooms`.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../util/configError.js';

/** A room link as the server prints it: `<origin>/r/<id>#token=<token>[&write=<writeToken>]`. */
export interface RoomLink {
  /** `http(s)://host[:port]`, where the REST API and socket.io live. */
  origin: string;
  roomId: string;
  /** The capability in the fragment; none for a public room's bare viewer link. */
  token?: string;
  /** An owner link also carries the writer token (to hand the writer link out). */
  writeToken?: string;
}

/** What every request to the server carries besides the room's own credential. */
export interface ServerAccess {
  /** PEM of the CA that signed the server's certificate (`--ca FILE`); the system's CAs otherwise. */
  ca?: string;
  /** `Basic …` for a server with sign-in (`--user NAME`, password from TTYROOM_PASSWORD). */
  authorization?: string;
}

/** The environment variable a sign-in password is read from, so it is never on a command line (ps shows those). */
export const PASSWORD_ENV = 'TTYROOM_PASSWORD';

/** Room ids and tokens are base64url (docs/protocol.md, Words). */
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Takes a room link apart; a link that is not one is a ConfigError naming what is wrong. */
export function parseRoomLink(text: string): RoomLink {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`not a room link: ${JSON.stringify(text)} (expected http(s)://HOST/r/ROOM#token=TOKEN)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`a room link is http: or https:, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new ConfigError('a room link carries no user name or password; use --user and TTYROOM_PASSWORD');
  const match = /^\/r\/([^/]+)\/?$/.exec(url.pathname);
  if (!match || !BASE64URL.test(match[1]!)) throw new ConfigError(`not a room link: ${url.pathname} is not /r/ROOM`);
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const token = fragment.get('token') ?? undefined;
  const writeToken = fragment.get('write') ?? undefined;
  for (const [name, value] of [['token', token], ['write', writeToken]] as const) {
    if (value !== undefined && !BASE64URL.test(value)) throw new ConfigError(`the link's ${name} is not a token`);
  }
  const link: RoomLink = { origin: url.origin, roomId: match[1]! };
  if (token !== undefined) link.token = token;
  if (writeToken !== undefined) link.writeToken = writeToken;
  return link;
}

/** A server origin from `--server URL` (a path or fragment is refused: it would be ignored silently). */
export function parseServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--server: not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--server: http: or https:, not ${url.protocol}`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError('--server: only the origin, such as https://ttyroom.example:8443');
  }
  return url.origin;
}

/** The access options from `--ca FILE` and `--user NAME` (the password from `env[PASSWORD_ENV]`). */
export function serverAccess(options: { caFile?: string; user?: string }, env: NodeJS.ProcessEnv): ServerAccess {
  const access: ServerAccess = {};
  if (options.caFile !== undefined) {
    try {
      access.ca = readFileSync(options.caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`--ca: cannot read ${options.caFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  if (options.user !== undefined) {
    const password = env[PASSWORD_ENV];
    if (password === undefined) throw new ConfigError(`--user ${options.user}: set the password in ${PASSWORD_ENV}`);
    if (options.user.includes(':')) throw new ConfigError('--user: a user name has no colon (HTTP Basic)');
    access.authorization = `Basic ${Buffer.from(`${options.user}:${password}`, 'utf8').toString('base64')}`;
  }
  return access;
}
