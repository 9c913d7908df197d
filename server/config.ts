// The one place command-line options and TTYROOM_* variables are read, validated and documented.

import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { HistoryDefaults } from './shared/flowControl.js';
import { TransferLimits } from './shared/limits.js';
import { defaultMirrorWorkers, MirrorHostLimits } from './terminal/mirrorHost.js';
import { parseCreateRoom } from './shared/validate.js';
import { buildAuthConfig, defaultUsersFile, noAuth, type AuthConfig } from './auth/authMode.js';
import { parseAddressList, parseTrustProxy, type TrustProxy } from './net/clientAddress.js';
import { isLogLevel, LOG_LEVELS, LogDefaults, type LogLevel } from './util/logger.js';
import { MetricsTokenLimits, type MetricsAccess } from './observe/metricsRoute.js';
import { parseOriginList } from './http/originPolicy.js';
import type { TlsFiles } from './http/tls.js';
import { ConfigError } from './util/configError.js';
import { splitCommandLine } from './util/commandLine.js';

export { splitCommandLine };
import { DEFAULT_RECORDING_SETTINGS, type RecordingSettings } from './recording/recordings.js';
import { RecordingLimits } from './recording/recorder.js';
import { parseProfilesFile, type ProfileDefinition } from './rooms/profiles.js';
import { identityFileProblem } from './remote/sshConnect.js';

export interface ServerConfig {
  host: string;
  port: number;
  /** The default profile's command line: program and arguments. */
  command: string[];
  dataDir: string;
  cwd: string;
  scrollback: number;
  exitedRoomTtlMs: number;
  killGraceMs: number;
  /** Rooms the server holds at once (running or exited and still listed); 0 means no limit. */
  maxRooms: number;
  /** Rooms one creator holds at once; 0 means no limit. */
  maxRoomsPerUser: number;
  /** Members one room admits (its owner is always let in); 0 means no limit. */
  maxMembers: number;
  /** Recent output kept per room for members that reconnect, in code units (see StreamHistory). */
  resumeBufferUnits: number;
  /** A room closes after this long without writer input; 0 turns it off. */
  idleTimeoutMs: number;
  /** A room closes this long after it was created; 0 turns it off. */
  lifetimeMs: number;
  /** After SIGTERM/SIGINT, exit by then even if something refuses to die or a client hangs on. */
  shutdownDeadlineMs: number;
  /** Accept one room only, and exit once its process has ended (GoTTY/ttyd `--once`). */
  once: boolean;
  /** Exit with an error if nobody joins any room within this time after start; 0 = wait forever. */
  joinTimeoutMs: number;
  /** Sign-in (--auth and its options); see auth/authMode.ts. */
  auth: AuthConfig;
  /** Origins (normalized) that may open sockets and send state-changing requests; undefined = the ones the server serves. */
  allowedOrigins?: readonly string[];
  /** Proxies whose X-Forwarded-For is believed; undefined = none, the socket's peer is the client. */
  trustProxy?: TrustProxy;
  /** Serve HTTPS with these PEM files; with `ca`, clients need a certificate signed by it. */
  tls?: TlsFiles;
  /** GoTTY's `--permit-arguments`: a create request may add `args` to its profile's command (off by default). */
  permitArguments?: boolean;
  /** Worker threads that parse the rooms' output (their mirrors); undefined = cores - 1, at least 1. */
  mirrorWorkers?: number;
  /** Days the record keeps finished rooms and audit events (server/store/retention.ts); 0 keeps them; undefined = the default. */
  retentionDays?: number;
  /** Recording (--no-record, --record-input, --record-chat, --max-recording-mb, ...); undefined = DEFAULT_RECORDING_SETTINGS. */
  recording?: RecordingSettings;
  /** Profiles from --profiles FILE, besides the default one --command sets; undefined = none. */
  profiles?: readonly ProfileDefinition[];
  /** --log-level; undefined = LogDefaults.Level. */
  logLevel?: LogLevel;
  /** Who may read GET /metrics (--metrics-token, --metrics-allow); undefined = nobody, and /metrics is 404. */
  metrics?: MetricsAccess;
  /** Scale-out (--redis, --redis-expiry): the Redis URL and the directory's expiry; undefined = one node, no Redis. */
  redis?: { url: string; expiryMs: number; nodeUrl?: string };
  /** `--transfer-max-bytes`: bytes one ZMODEM file transfer may carry; 0 turns file transfer off; undefined = the default. */
  transferMaxBytes?: number;
  /**
   * SSH profiles' passwords found at start in their sources (the variable or secrets file each names), by profile
   * name; createApp seals them into the data directory. A profile missing here uses the one sealed earlier.
   */
  sshPasswords?: ReadonlyMap<string, string>;
  /** TTYROOM_SECRET_KEY: the server key that seals SSH passwords; undefined = <data-dir>/secret.key. */
  secretKey?: string;
}

/** The variable that holds the server key for SSH passwords at rest (README.md, Profiles). */
export const SECRET_KEY_VARIABLE = 'TTYROOM_SECRET_KEY';

type Kind = 'string' | 'port' | 'count' | 'seconds' | 'positive-seconds' | 'flag' | 'origins' | 'proxies' | 'addresses' | 'log-level' | 'metrics-token';

interface OptionSpec {
  name: string;
  kind: Kind;
  help: string;
  /** Shown in --help; `undefined` means computed at start (see help). */
  fallback: string | undefined;
  /** Largest value accepted, for 'count' options. */
  max?: number;
}

export const ConfigDefaults = {
  Host: '127.0.0.1',
  /** ttyd's port, so muscle memory and firewall rules carry over. */
  Port: 7681,
  DataDir: '.ttyroom',
  /** Lines above the screen per room: 10 000 × 80 cells stays well under the per-room memory budget. */
  Scrollback: 10_000,
  MaxScrollback: 100_000,
  /** Long enough for latecomers to read the final screen, short enough not to pile up. */
  ExitedRoomTtlSeconds: 300,
  /** Time for the shell and its jobs to exit on SIGHUP before SIGKILL. */
  KillGraceSeconds: 2,
  /** Long enough for the kill grace, SIGKILL and goodbyes; short enough for a service manager's stop timeout (systemd: 90 s). */
  ShutdownDeadlineSeconds: 10,
  /**
   * --redis-expiry: a killed node's rooms leave the directory, and its members on other nodes are told, within this
   * (plus one renewal interval, a third of it). Several renewals fit in it, so a busy node is not declared dead.
   */
  RedisExpirySeconds: 15,
  /** `--timeout`: off unless asked for, as in GoTTY and ttyd. */
  JoinTimeoutSeconds: 0,
  MaxSeconds: 7 * 24 * 3600,
  /** Each room is a process tree and a mirror (up to tens of MB with full scrollback): 50 fits a small server. */
  MaxRooms: 50,
  /** Enough for one person's work and demos; one address cannot take the whole server. */
  MaxRoomsPerUser: 10,
  /** A large class; every member costs a socket and a share of each broadcast. */
  MaxMembers: 100,
  /** 30 minutes without anyone typing: the session was most likely forgotten. */
  IdleTimeoutSeconds: 30 * 60,
  /** 12 hours: a working day with margin; nothing runs unattended forever. */
  LifetimeSeconds: 12 * 3600,
  /** Caps above this are not caps; a typo like 1e9 is refused instead. */
  MaxCap: 100_000,
  /** Per room, in KiB: see HistoryDefaults.CapacityUnits. */
  ResumeBufferKiB: HistoryDefaults.CapacityUnits / 1024,
  /** 256 MiB per room would be a memory leak by configuration. */
  MaxResumeBufferKiB: 256 * 1024,
  /** A month of finished rooms and audit events: time for an incident review, not a growing archive. */
  RetentionDays: 30,
  /** A hundred years: past this it is a typo, and 0 already keeps everything. */
  MaxRetentionDays: 36_500,
  /** 1 TiB per recording: anything larger is a typo, not a cap. */
  MaxRecordingMiB: 1024 * 1024,
  /** 64 GiB per file transfer: a browser tab holds a download in memory, so anything larger is a typo. */
  MaxTransferBytes: 64 * 1024 ** 3,
} as const;

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'host', kind: 'string', fallback: ConfigDefaults.Host, help: 'address to listen on (loopback by default; see SECURITY in README)' },
  { name: 'port', kind: 'port', fallback: String(ConfigDefaults.Port), help: 'port to listen on; 0 picks a free one' },
  { name: 'command', kind: 'string', fallback: undefined, help: 'default profile command line (default: your login shell, as a login shell)' },
  { name: 'profiles', kind: 'string', fallback: undefined, help: 'JSON file of operator-defined room profiles (command, exec) besides the default one; see README, Profiles' },
  { name: 'data-dir', kind: 'string', fallback: ConfigDefaults.DataDir, help: 'folder for server state' },
  { name: 'cwd', kind: 'string', fallback: undefined, help: 'working directory of room processes (default: the current directory)' },
  { name: 'scrollback', kind: 'count', max: ConfigDefaults.MaxScrollback, fallback: String(ConfigDefaults.Scrollback), help: `lines of scrollback kept per room (at most ${ConfigDefaults.MaxScrollback})` },
  { name: 'exited-room-ttl', kind: 'seconds', fallback: String(ConfigDefaults.ExitedRoomTtlSeconds), help: 'seconds an exited room stays viewable' },
  { name: 'kill-grace', kind: 'seconds', fallback: String(ConfigDefaults.KillGraceSeconds), help: 'seconds between SIGHUP and SIGKILL when a room closes' },
  { name: 'max-rooms', kind: 'count', max: ConfigDefaults.MaxCap, fallback: String(ConfigDefaults.MaxRooms), help: 'rooms the server holds at once, exited ones included until they expire; 0 = no limit' },
  { name: 'max-rooms-per-user', kind: 'count', max: ConfigDefaults.MaxCap, fallback: String(ConfigDefaults.MaxRoomsPerUser), help: 'rooms one creator (a signed-in user; without sign-in, a client address) holds at once; 0 = no limit' },
  { name: 'max-members', kind: 'count', max: ConfigDefaults.MaxCap, fallback: String(ConfigDefaults.MaxMembers), help: 'members per room (the owner is always let in); 0 = no limit' },
  { name: 'resume-buffer', kind: 'count', max: ConfigDefaults.MaxResumeBufferKiB, fallback: String(ConfigDefaults.ResumeBufferKiB), help: 'KiB of recent output kept per room, so a member that reconnects gets what it missed instead of a new screen' },
  { name: 'idle-timeout', kind: 'seconds', fallback: String(ConfigDefaults.IdleTimeoutSeconds), help: 'seconds without writer input before a room closes (members are warned first); 0 = never' },
  { name: 'lifetime', kind: 'seconds', fallback: String(ConfigDefaults.LifetimeSeconds), help: 'seconds after creation when a room closes, whatever happens in it; 0 = never' },
  { name: 'shutdown-deadline', kind: 'positive-seconds', fallback: String(ConfigDefaults.ShutdownDeadlineSeconds), help: 'on SIGTERM/SIGINT, seconds until the server exits whatever is left (the kill grace is shortened to fit)' },
  { name: 'retention-days', kind: 'count', max: ConfigDefaults.MaxRetentionDays, fallback: String(ConfigDefaults.RetentionDays), help: 'days the record (<data-dir>/ttyroom.db) keeps finished rooms, their sessions and recordings, and audit events; 0 = keep everything' },
  { name: 'once', kind: 'flag', fallback: 'off', help: 'accept one room only; exit when its process ends (TTYROOM_ONCE=1 turns it on)' },
  { name: 'permit-arguments', kind: 'flag', fallback: 'off', help: 'let POST /api/rooms add "args" to the profile\'s command (GoTTY\'s name); the command itself is never a client\'s to choose' },
  { name: 'no-record', kind: 'flag', fallback: 'off', help: 'record no room (by default every room is recorded to <data-dir>/recordings/<room>.cast unless its owner turns it off)' },
  { name: 'record-input', kind: 'flag', fallback: 'off', help: 'recordings also hold what members type, each input with who typed it (never while the curtain is down)' },
  { name: 'record-chat', kind: 'flag', fallback: 'off', help: 'recordings also hold chat lines, as markers' },
  { name: 'transfer-max-bytes', kind: 'count', max: ConfigDefaults.MaxTransferBytes, fallback: String(TransferLimits.DefaultMaxBytes), help: 'bytes one file transfer (sz/rz, ZMODEM) may carry before it is cancelled; 0 turns file transfer off' },
  { name: 'max-recording-mb', kind: 'count', max: ConfigDefaults.MaxRecordingMiB, fallback: String(RecordingLimits.DefaultMaxMiB), help: 'MiB per recording; past it a marker says so and nothing more is recorded; 0 = no cap' },
  { name: 'recordings-open-to-members', kind: 'flag', fallback: 'off', help: 'any member (a viewer link or better) may download a room\'s recording, not only its owner' },
  { name: 'timeout', kind: 'seconds', fallback: String(ConfigDefaults.JoinTimeoutSeconds), help: 'exit with an error if nobody joins within this many seconds; 0 = no limit' },
  { name: 'mirror-workers', kind: 'count', max: MirrorHostLimits.MaxWorkers, fallback: undefined, help: `worker threads that parse every room's output, 1 to ${MirrorHostLimits.MaxWorkers} (default: cores - 1, at least 1)` },
  { name: 'auth', kind: 'string', fallback: 'none', help: 'sign-in: none (loopback only), basic (--credential), local (users file), oidc (OpenID Connect)' },
  { name: 'allow-unauthenticated', kind: 'flag', fallback: 'off', help: 'allow --auth none on a non-loopback --host: DANGEROUS, anyone who reaches the address can run commands as you' },
  { name: 'credential', kind: 'string', fallback: undefined, help: '--auth basic: user:password (prefer the variable: arguments are visible in ps)' },
  { name: 'users-file', kind: 'string', fallback: undefined, help: '--auth local: the users file, managed with "ttyroom user add/remove" (default: <data-dir>/users.json)' },
  { name: 'creators', kind: 'string', fallback: undefined, help: 'user ids allowed to create rooms, comma separated (e.g. local:alice); default: every signed-in user' },
  { name: 'oidc-issuer', kind: 'string', fallback: undefined, help: '--auth oidc: the provider\'s issuer URL (https)' },
  { name: 'oidc-client-id', kind: 'string', fallback: undefined, help: '--auth oidc: this server\'s client id at the provider' },
  { name: 'oidc-client-secret', kind: 'string', fallback: undefined, help: '--auth oidc: the client secret (prefer the variable: arguments are visible in ps)' },
  { name: 'oidc-redirect-url', kind: 'string', fallback: undefined, help: '--auth oidc: the callback URL registered at the provider (default: http://HOST:PORT/auth/oidc/callback)' },
  { name: 'allowed-origins', kind: 'origins', fallback: undefined, help: 'comma-separated origins (scheme://host:port) browsers may connect from, compared exactly; requests must also name one of them in Host (default: the address the server listens on, and for loopback its other spellings)' },
  { name: 'trust-proxy', kind: 'proxies', fallback: 'none', help: 'proxies whose X-Forwarded-For/-Proto is believed: a hop count, or comma-separated addresses, CIDR ranges, loopback, linklocal, uniquelocal' },
  { name: 'tls-cert', kind: 'string', fallback: undefined, help: 'serve HTTPS with this PEM certificate (needs --tls-key)' },
  { name: 'tls-key', kind: 'string', fallback: undefined, help: 'PEM private key of --tls-cert' },
  { name: 'tls-ca-crt', kind: 'string', fallback: undefined, help: 'require client certificates signed by this PEM CA (needs --tls-cert)' },
  { name: 'log-level', kind: 'log-level', fallback: LogDefaults.Level, help: `server log level: ${LOG_LEVELS.join(', ')} (JSON lines on stderr; one readable line each on a terminal)` },
  { name: 'metrics-token', kind: 'metrics-token', fallback: undefined, help: `GET /metrics answers a caller with "Authorization: Bearer TOKEN" (${MetricsTokenLimits.MinLength} characters or more; prefer the variable: arguments are visible in ps)` },
  { name: 'redis', kind: 'string', fallback: undefined, help: 'scale-out: run as one of several nodes sharing rooms through this Redis (redis://host:port or rediss:// for TLS; prefer the variable if it holds a password)' },
  { name: 'redis-expiry', kind: 'positive-seconds', fallback: String(ConfigDefaults.RedisExpirySeconds), help: 'with --redis: seconds a node\'s rooms stay in the directory after it stops renewing them (a killed node\'s members are told within this)' },
  { name: 'node-url', kind: 'string', fallback: undefined, help: 'with --redis: where the other nodes reach this node\'s HTTP API for requests about its rooms, scheme://host:port on the private network (default: this node\'s --host and port; needed when --host is 0.0.0.0 or ::)' },
  { name: 'metrics-allow', kind: 'addresses', fallback: undefined, help: 'GET /metrics answers these client addresses: comma-separated addresses, CIDR ranges, loopback, linklocal, uniquelocal (without this or --metrics-token, /metrics is 404)' },
];

export function envName(option: string): string {
  return `TTYROOM_${option.toUpperCase().replace(/-/g, '_')}`;
}

/** `share`'s own option: it names the room, so it is not a server setting like those in OPTIONS. */
const SHARE_NAME_OPTION = 'name';
/** `share`'s options about its links and its own terminal, not settings of the server (read here, not in OPTIONS). */
const SHARE_FLAGS = ['readonly', 'no-qr'] as const;
const SHARE_VALUES = ['server', 'ca', 'user', 'profile'] as const;
const SHARE_CLIENT_HELP: readonly [string, string][] = [
  ['readonly', 'print no writer link'],
  ['no-qr', 'print no QR code of the viewer link'],
  ['server', 'create the room on this running server (http(s)://HOST:PORT) instead of starting one'],
  ['ca', 'with --server: trust the certificate authority in this PEM file'],
  ['user', 'with --server: sign in as this user (password from TTYROOM_PASSWORD)'],
  ['profile', "with --server: the server's profile to run (default: default)"],
];

export function helpText(command: string): string {
  const share = command === 'share';
  const lines = share
    ? [
      'usage: ttyroom share [options] [--name NAME] [--readonly] [--no-qr] [-- COMMAND [ARGS...]]',
      '       ttyroom share --server URL [--ca FILE] [--user NAME] [--profile NAME] [--name NAME] [--readonly] [--no-qr]',
      '',
      'Shares this terminal. Starts a server with one room running COMMAND (default: your login shell), prints',
      'the server line, the viewer link, the writer link (not with --readonly) and a QR code of the viewer link',
      '(not with --no-qr), then attaches this terminal to the room as its owner: you type here, this window sizes',
      'the room, and the room ends when COMMAND exits, and share with COMMAND\'s exit status (it implies --once;',
      '--command is not used). Leave the room running with the detach keys (Ctrl-\\ twice, or ~. at the start of',
      'a line); Ctrl-C in the room goes to COMMAND. The owner link is written to a file readable by you alone',
      '(<data-dir>/share-owner-link), not to the screen a class may be watching. When standard input or output',
      'is not a terminal, nothing is attached: the owner link is printed too, and share exits with status 0 once',
      'COMMAND has ended.',
      '',
      'With --server URL the room is created on that running server through its API instead (it runs the',
      "server's profile, default or --profile NAME; a COMMAND is refused) and this terminal attaches to it;",
      '--ca FILE trusts a private certificate authority, --user NAME signs in with the password in',
      'TTYROOM_PASSWORD. The room then outlives a detach, until its owner closes it.',
      '',
    ]
    : [`usage: ttyroom ${command} [options]`, ''];
  lines.push('options (each also read from the environment variable shown):');
  const line = (name: string, variable: string, help: string): string => `  --${name.padEnd(17)} ${variable.padEnd(28)} ${help}`;
  for (const option of OPTIONS) {
    if (share && option.name === 'command') continue;
    const fallback = option.fallback === undefined ? '' : ` [default: ${option.fallback}]`;
    lines.push(line(option.name, envName(option.name), `${option.help}${fallback}`));
  }
  if (share) {
    lines.push(line(SHARE_NAME_OPTION, envName(SHARE_NAME_OPTION), 'name of the shared room'));
    for (const [name, help] of SHARE_CLIENT_HELP) lines.push(line(name, envName(name), help));
  }
  lines.push(line('help', '', 'show this help'));
  return lines.join('\n');
}

/** The user's login shell, started as a login shell like a new terminal window would. */
export function loginShellCommand(env: NodeJS.ProcessEnv): string[] {
  let shell = env.SHELL;
  if (!shell) {
    try {
      shell = userInfo().shell ?? undefined;
    } catch {
      // No passwd entry (e.g. an arbitrary container uid): fall back to sh below.
    }
  }
  return [shell || '/bin/sh', '-l'];
}

function parseValue(option: OptionSpec, raw: string, source: string): string | number {
  switch (option.kind) {
    case 'string':
      if (raw.length === 0) throw new ConfigError(`${source} must not be empty`);
      return raw;
    case 'port': {
      const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(port) || port > 65535) throw new ConfigError(`${source} must be a whole number from 0 to 65535, got "${raw}"`);
      return port;
    }
    case 'count': {
      const max = option.max ?? ConfigDefaults.MaxCap;
      const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(count) || count > max) {
        throw new ConfigError(`${source} must be a whole number from 0 to ${max}, got "${raw}"`);
      }
      return count;
    }
    case 'seconds':
    case 'positive-seconds': {
      const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
      const positive = option.kind === 'positive-seconds';
      // A positive duration must still be positive in whole milliseconds, the unit it is used in.
      if (!Number.isFinite(seconds) || seconds > ConfigDefaults.MaxSeconds || (positive && Math.round(seconds * 1000) === 0)) {
        const range = positive ? `above 0 and at most ${ConfigDefaults.MaxSeconds}` : `from 0 to ${ConfigDefaults.MaxSeconds}`;
        throw new ConfigError(`${source} must be a number of seconds ${range}, got "${raw}"`);
      }
      return seconds;
    }
    case 'flag': {
      // Only variables give flags a value (`--once` alone means on); accept the usual spellings.
      const word = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(word)) return 1;
      if (['0', 'false', 'no', 'off', ''].includes(word)) return 0;
      throw new ConfigError(`${source} must be 1 or 0 (true/false, yes/no, on/off), got "${raw}"`);
    }
    case 'log-level':
      if (!isLogLevel(raw)) throw new ConfigError(`${source} must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
      return raw;
    case 'metrics-token':
      // The value itself is never repeated in the message: it is a credential.
      if (raw.length < MetricsTokenLimits.MinLength || raw.length > MetricsTokenLimits.MaxLength || !/^[\x21-\x7e]+$/.test(raw)) {
        throw new ConfigError(`${source} must be ${MetricsTokenLimits.MinLength} to ${MetricsTokenLimits.MaxLength} printable characters without spaces`);
      }
      return raw;
    case 'addresses': {
      const parsed = parseAddressList(raw);
      if (typeof parsed === 'string') throw new ConfigError(`${source}: ${parsed}`);
      return raw;
    }
    case 'origins':
    case 'proxies': {
      // Checked here for the message's sake; kept as text and read again when the config is built.
      const parsed = option.kind === 'origins' ? parseOriginList(raw) : parseTrustProxy(raw);
      if (typeof parsed === 'string') throw new ConfigError(`${source}: ${parsed}`);
      return raw;
    }
  }
}

export interface ParsedArgs {
  config: ServerConfig;
  help: boolean;
  /** Words after `--` (used by `share`). */
  rest: string[];
}

/** The profiles of --profiles FILE; a file that cannot be read or used is a ConfigError naming it. */
function profilesSetting(path: string | undefined, cwd: string): { profiles?: readonly ProfileDefinition[] } {
  if (path === undefined) return {};
  let source: string;
  try {
    source = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new ConfigError(`--profiles ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return { profiles: parseProfilesFile(source, path) };
}

/**
 * Checks what the SSH profiles name outside the file (their key files) and reads their passwords from the variable or
 * secrets file each names; a ConfigError names the profile's field. A variable that is unset or a secrets file that is
 * absent is not an error here: the password sealed at an earlier start is used (createApp checks there is one).
 */
function sshSetting(profiles: readonly ProfileDefinition[] | undefined, path: string | undefined, env: NodeJS.ProcessEnv): { sshPasswords?: ReadonlyMap<string, string> } {
  const passwords = new Map<string, string>();
  (profiles ?? []).forEach((profile, index) => {
    if (profile.type !== 'ssh') return;
    const field = `--profiles ${path}: profiles[${index}]`;
    if (profile.identityFile !== undefined) {
      const problem = identityFileProblem(profile.identityFile);
      if (problem !== undefined) throw new ConfigError(`${field}.identityFile: ${profile.identityFile} ${problem}`);
    }
    const source = profile.password;
    if (source === undefined) return;
    let password: string | undefined;
    if ('env' in source) {
      password = env[source.env];
    } else {
      try {
        // A secrets file (a mounted Docker or Kubernetes secret) ends with a newline that is not part of the password.
        password = readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') throw new ConfigError(`${field}.password.file: ${source.file} cannot be read (${code ?? String(error)})`);
      }
    }
    if (password === '') throw new ConfigError(`${field}.password: ${'env' in source ? `variable ${source.env}` : source.file} is empty`);
    if (password !== undefined) passwords.set(profile.name, password);
  });
  return passwords.size > 0 ? { sshPasswords: passwords } : {};
}

/** Reads options from argv first, then TTYROOM_* variables, then defaults. Throws ConfigError. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string = process.cwd(), options: { share?: boolean } = {}): ParsedArgs {
  const values = new Map<string, string | number>();
  let help = false;
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const option = OPTIONS.find((o) => o.name === name);
    if (!option) throw new ConfigError(`unknown option --${name} (see --help)`);
    if (option.kind === 'flag') {
      if (eq !== -1) throw new ConfigError(`--${name} takes no value`);
      values.set(name, 1);
      continue;
    }
    let raw: string | undefined;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else raw = argv[++i];
    if (raw === undefined || (eq === -1 && raw.startsWith('--'))) throw new ConfigError(`--${name} needs a value`);
    values.set(name, parseValue(option, raw, `--${name}`));
  }
  for (const option of OPTIONS) {
    const raw = env[envName(option.name)];
    if (!values.has(option.name) && raw !== undefined) values.set(option.name, parseValue(option, raw, envName(option.name)));
  }
  const get = <T extends string | number>(name: string, fallback: T): T => (values.get(name) as T | undefined) ?? fallback;
  const commandLine = values.get('command') as string | undefined;
  const command = commandLine === undefined ? loginShellCommand(env) : splitCommandLine(commandLine);
  if (command.length === 0) throw new ConfigError('--command must name a program');
  const dataDir = resolve(cwd, get('data-dir', ConfigDefaults.DataDir));
  const config: ServerConfig = {
    host: get('host', ConfigDefaults.Host),
    port: get('port', ConfigDefaults.Port),
    command,
    dataDir,
    cwd: resolve(cwd, get('cwd', cwd)),
    scrollback: get('scrollback', ConfigDefaults.Scrollback),
    exitedRoomTtlMs: Math.round(get('exited-room-ttl', ConfigDefaults.ExitedRoomTtlSeconds) * 1000),
    killGraceMs: Math.round(get('kill-grace', ConfigDefaults.KillGraceSeconds) * 1000),
    maxRooms: get('max-rooms', ConfigDefaults.MaxRooms),
    maxRoomsPerUser: get('max-rooms-per-user', ConfigDefaults.MaxRoomsPerUser),
    maxMembers: get('max-members', ConfigDefaults.MaxMembers),
    resumeBufferUnits: get('resume-buffer', ConfigDefaults.ResumeBufferKiB) * 1024,
    idleTimeoutMs: Math.round(get('idle-timeout', ConfigDefaults.IdleTimeoutSeconds) * 1000),
    lifetimeMs: Math.round(get('lifetime', ConfigDefaults.LifetimeSeconds) * 1000),
    shutdownDeadlineMs: Math.round(get('shutdown-deadline', ConfigDefaults.ShutdownDeadlineSeconds) * 1000),
    once: get<number>('once', 0) === 1,
    joinTimeoutMs: Math.round(get('timeout', ConfigDefaults.JoinTimeoutSeconds) * 1000),
    auth: noAuth(dataDir),
    ...networkSettings(values, cwd),
    permitArguments: get<number>('permit-arguments', 0) === 1,
    ...profilesSetting(values.get('profiles') as string | undefined, cwd),
    ...(env[SECRET_KEY_VARIABLE] !== undefined ? { secretKey: env[SECRET_KEY_VARIABLE] } : {}),
    mirrorWorkers: get('mirror-workers', defaultMirrorWorkers()),
    ...operatorSettings(values),
    ...redisSetting(values),
    retentionDays: get('retention-days', ConfigDefaults.RetentionDays),
    transferMaxBytes: get('transfer-max-bytes', TransferLimits.DefaultMaxBytes),
    recording: {
      enabled: get<number>('no-record', 0) !== 1,
      input: get<number>('record-input', 0) === 1,
      chat: get<number>('record-chat', 0) === 1,
      maxBytes: get('max-recording-mb', DEFAULT_RECORDING_SETTINGS.maxBytes / 1024 / 1024) * 1024 * 1024,
      openToMembers: get<number>('recordings-open-to-members', 0) === 1,
    },
  };
  if (config.mirrorWorkers === 0) throw new ConfigError('--mirror-workers must be at least 1');
  // One room that ends the server belongs to one node: on a cluster its members could be relayed from nodes that
  // outlive it, and other nodes could list a room that this server refuses to share.
  if (config.once && config.redis && !help) throw new ConfigError('--once serves one room on one node; it cannot be combined with --redis');
  Object.assign(config, sshSetting(config.profiles, values.get('profiles') as string | undefined, env));
  const text = (name: string): string | undefined => values.get(name) as string | undefined;
  const auth = buildAuthConfig(
    {
      auth: text('auth'),
      // share makes its one room itself and --once refuses any other, so nobody who reaches it can start a
      // program: without sign-in they watch through the viewer link, and type only with the writer link.
      allowUnauthenticated: get<number>('allow-unauthenticated', 0) === 1 || options.share === true,
      credential: text('credential'),
      usersFile: text('users-file') === undefined ? undefined : resolve(cwd, text('users-file')!),
      creators: text('creators'),
      oidcIssuer: text('oidc-issuer'),
      oidcClientId: text('oidc-client-id'),
      oidcClientSecret: text('oidc-client-secret'),
      oidcRedirectUrl: text('oidc-redirect-url'),
    },
    config.host,
    defaultUsersFile(dataDir),
  );
  // --help answers even when the options do not fit together; serving would report it.
  if (typeof auth === 'string' && !help) throw new ConfigError(auth);
  if (typeof auth !== 'string') config.auth = auth;
  return { config, help, rest };
}

/** --redis and --redis-expiry. The URL is never echoed in an error: it may hold a password. */
function redisSetting(values: ReadonlyMap<string, string | number>): Pick<ServerConfig, 'redis'> {
  const url = values.get('redis') as string | undefined;
  if (url === undefined) return {};
  if (!/^rediss?:\/\/[^/]/.test(url)) throw new ConfigError('--redis wants a URL: redis://host:port or rediss://host:port');
  const seconds = (values.get('redis-expiry') as number | undefined) ?? ConfigDefaults.RedisExpirySeconds;
  const nodeUrl = nodeUrlSetting(values.get('node-url') as string | undefined, values.get('host') as string | undefined);
  return { redis: { url, expiryMs: Math.round(seconds * 1000), ...(nodeUrl !== undefined ? { nodeUrl } : {}) } };
}

/** Hosts that mean "every interface": another node cannot reach this one at them. */
const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '[::]']);

/** --node-url: an http(s) origin other nodes forward room requests to; required when --host names no one address. */
function nodeUrlSetting(raw: string | undefined, host: string | undefined): string | undefined {
  if (raw === undefined) {
    if (host !== undefined && WILDCARD_HOSTS.has(host)) {
      throw new ConfigError(`--host ${host} listens on every interface, so the other nodes cannot tell which one reaches this node: give --node-url http://ADDRESS:PORT`);
    }
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`--node-url wants scheme://host:port, got "${raw}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new ConfigError(`--node-url wants http://host:port or https://host:port with no path, got "${raw}"`);
  }
  return url.origin;
}

/** --log-level and who may read /metrics, already validated by parseValue. */
function operatorSettings(values: ReadonlyMap<string, string | number>): Pick<ServerConfig, 'logLevel' | 'metrics'> {
  const text = (name: string): string | undefined => values.get(name) as string | undefined;
  const settings: Pick<ServerConfig, 'logLevel' | 'metrics'> = {};
  const level = text('log-level');
  if (level !== undefined) settings.logLevel = level as LogLevel;
  const [token, allow] = [text('metrics-token'), text('metrics-allow')];
  if (token !== undefined || allow !== undefined) {
    settings.metrics = { ...(token !== undefined ? { token } : {}), ...(allow !== undefined ? { allow: parseAddressList(allow) as string[] } : {}) };
  }
  return settings;
}

/** --allowed-origins, --trust-proxy and the TLS files, already validated by parseValue. */
function networkSettings(values: ReadonlyMap<string, string | number>, cwd: string): Pick<ServerConfig, 'allowedOrigins' | 'trustProxy' | 'tls'> {
  const text = (name: string): string | undefined => values.get(name) as string | undefined;
  const settings: Pick<ServerConfig, 'allowedOrigins' | 'trustProxy' | 'tls'> = {};
  const origins = text('allowed-origins');
  if (origins !== undefined) settings.allowedOrigins = parseOriginList(origins) as string[];
  const proxies = text('trust-proxy');
  const trust = proxies === undefined ? undefined : parseTrustProxy(proxies) as TrustProxy;
  // 0 hops trusts nobody, like no setting at all.
  if (trust !== undefined && !('hops' in trust && trust.hops === 0)) settings.trustProxy = trust;
  const [cert, key, ca] = [text('tls-cert'), text('tls-key'), text('tls-ca-crt')];
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError('--tls-cert and --tls-key go together: give both or neither');
  if (ca !== undefined && cert === undefined) throw new ConfigError('--tls-ca-crt needs --tls-cert and --tls-key (client certificates only exist under TLS)');
  if (cert !== undefined && key !== undefined) {
    settings.tls = { cert: resolve(cwd, cert), key: resolve(cwd, key), ...(ca === undefined ? {} : { ca: resolve(cwd, ca) }) };
  }
  return settings;
}

export interface ShareArgs {
  config: ServerConfig;
  help: boolean;
  /** The room's name; undefined lets the server pick one. */
  name: string | undefined;
  client: ShareClientOptions;
}

/** What share does besides serving: which links it shows, and where the room is (docs/terminal-client.md). */
export interface ShareClientOptions {
  /** No writer link is printed. */
  readonly: boolean;
  /** A QR code of the viewer link is printed (for a projector). */
  qr: boolean;
  /** `--server URL`: create the room on this running server instead of starting one. */
  server?: string;
  ca?: string;
  user?: string;
  profile?: string;
}

/**
 * Reads `ttyroom share [serve options] [--name NAME] -- COMMAND [ARGS...]`: the serve options as
 * parseConfig does, COMMAND as the default profile, and --once implied. Throws ConfigError.
 */
export function parseShareArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string = process.cwd()): ShareArgs {
  const serverArgs: string[] = [];
  let name: { raw: string; source: string } | undefined;
  const flags = new Set<(typeof SHARE_FLAGS)[number]>();
  const values = new Map<(typeof SHARE_VALUES)[number], string>();
  let i = 0;
  for (; i < argv.length && argv[i] !== '--'; i++) {
    const arg = argv[i]!;
    const flag = SHARE_FLAGS.find((candidate) => arg === `--${candidate}`);
    if (flag !== undefined) {
      flags.add(flag);
      continue;
    }
    const valued = SHARE_VALUES.find((candidate) => arg === `--${candidate}` || arg.startsWith(`--${candidate}=`));
    if (valued !== undefined) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (value === undefined || value.length === 0 || (!arg.includes('=') && value.startsWith('--'))) throw new ConfigError(`--${valued} needs a value`);
      values.set(valued, value);
      continue;
    }
    if (arg === `--${SHARE_NAME_OPTION}` || arg.startsWith(`--${SHARE_NAME_OPTION}=`)) {
      const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (raw === undefined || (!arg.includes('=') && raw.startsWith('--'))) throw new ConfigError(`--${SHARE_NAME_OPTION} needs a value`);
      name = { raw, source: `--${SHARE_NAME_OPTION}` };
      continue;
    }
    if (arg === '--command' || arg.startsWith('--command=')) {
      throw new ConfigError('share runs the command given after --, not --command (e.g. ttyroom share -- htop)');
    }
    serverArgs.push(arg);
  }
  // The command comes from after `--`: a TTYROOM_COMMAND meant for `serve` is neither used nor checked.
  const serverEnv = { ...env };
  delete serverEnv[envName('command')];
  const parsed = parseConfig([...serverArgs, ...argv.slice(i)], serverEnv, cwd, { share: true });
  const nameVariable = envName(SHARE_NAME_OPTION);
  if (name === undefined && env[nameVariable] !== undefined) name = { raw: env[nameVariable]!, source: nameVariable };
  let roomName: string | undefined;
  if (name !== undefined) {
    const body = parseCreateRoom({ name: name.raw });
    if (typeof body === 'string') throw new ConfigError(`${name.source}: ${body}`);
    roomName = body.name;
  }
  // As every option, share's own may come from TTYROOM_<OPTION>; the command line wins.
  for (const flag of SHARE_FLAGS) {
    const variable = envName(flag);
    const raw = env[variable];
    if (flags.has(flag) || raw === undefined || raw === '') continue;
    if (raw !== '0' && raw !== '1') throw new ConfigError(`${variable} must be 1 or 0, got "${raw}"`);
    if (raw === '1') flags.add(flag);
  }
  const client: ShareClientOptions = { readonly: flags.has('readonly'), qr: !flags.has('no-qr') };
  for (const [key, value] of values) client[key] = value;
  const serverFromEnv = client.server === undefined && (env[envName('server')] ?? '') !== '';
  if (client.server === undefined) {
    for (const key of ['ca', 'user', 'profile'] as const) {
      if (client[key] !== undefined && !serverFromEnv) throw new ConfigError(`--${key} goes with --server URL (a room on a running server)`);
    }
  }
  // The variables fill in what the command line left out; TTYROOM_CA or TTYROOM_USER set for attach do not
  // disturb a local share, since they only go with a server.
  for (const key of SHARE_VALUES) {
    const raw = env[envName(key)];
    if (client[key] === undefined && raw !== undefined && raw !== '') client[key] = raw;
  }
  if (client.server === undefined) {
    delete client.ca;
    delete client.user;
    delete client.profile;
  }
  if (parsed.help) return { config: parsed.config, help: true, name: roomName, client };
  if (parsed.config.redis) {
    throw new ConfigError('share runs its own one-room server, which does not join a cluster: leave out --redis (and TTYROOM_REDIS), or share on a cluster node with --server URL');
  }
  if (client.server !== undefined && parsed.rest.length > 0) {
    const source = serverFromEnv ? envName('server') : '--server';
    throw new ConfigError(`with ${source} the room runs one of that server's profiles (--profile NAME); it takes no command after --`);
  }
  // No command: the login shell, as `serve` runs by default.
  const command = parsed.rest.length > 0 ? parsed.rest : parsed.config.command;
  return { config: { ...parsed.config, command, once: true }, help: false, name: roomName, client };
}
