// The server's log: pino JSON lines on stderr (or a short readable line per event on a terminal), at the level
// --log-level chose, with credentials redacted by path; the same no-secrets rule as the audit.

import pino, { type Logger } from 'pino';

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object a line, for collectors; `text`: `ttyroom: message`, for a person at a terminal. */
export type LogFormat = 'json' | 'text';

export const LogDefaults = {
  /** Warnings, errors and the few events an operator wants to see (shutdown, recovered rooms); no per-request lines. */
  Level: 'info' as LogLevel,
  /** What stands in for a redacted value. */
  Censor: '[redacted]',
  /** pino's number for `warn`: from here on the text format names the level. */
  WarnLevelNumber: 40,
} as const;

/**
 * Fields that hold credentials wherever they appear at the top or one level down (pino's redaction paths).
 * Nothing logs them on purpose; these catch a request, a header set or an options object logged by mistake.
 */
export const REDACTED_PATHS: readonly string[] = [
  'token', 'ownerToken', 'writeToken', 'ticket', 'pass', 'password', 'secret', 'clientSecret', 'credential', 'cookie', 'authorization',
].flatMap((key) => [key, `*.${key}`]).concat([
  'headers.cookie', 'headers.authorization', 'headers["set-cookie"]', 'req.headers.cookie', 'req.headers.authorization', 'req.headers["set-cookie"]',
]);

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LoggingOptions {
  level?: LogLevel;
  /** Default: `text` when stderr is a terminal, else `json`. */
  format?: LogFormat;
  /** Where finished lines go (default: process.stderr.write, looked up at each write so share's capture sees them). */
  write?: (line: string) => void;
}

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/** `ttyroom: message` from one JSON log line (a warning or worse says so); the line itself when it is not one. */
export function readableLine(line: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null || typeof (record as { msg?: unknown }).msg !== 'string') return line;
  const { msg, level } = record as { msg: string; level?: unknown };
  const severe = typeof level === 'number' && level >= LogDefaults.WarnLevelNumber;
  return `ttyroom: ${severe ? `${LEVEL_NAMES[level] ?? 'error'}: ` : ''}${msg}`;
}

function createLogger(options: LoggingOptions): Logger {
  const format = options.format ?? (process.stderr.isTTY ? 'text' : 'json');
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const destination = {
    write: (line: string) => write(format === 'json' ? line : `${readableLine(line.trimEnd())}\n`),
  };
  return pino({
    level: options.level ?? LogDefaults.Level,
    // No hostname: a log line names the event, not the machine (collectors add that); the pid helps across restarts.
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACTED_PATHS], censor: LogDefaults.Censor },
  }, destination);
}

let current: Logger = createLogger({});

/** Sets the level, format and sink for every log line from now on (the CLI calls it once; tests to capture lines). */
export function configureLogging(options: LoggingOptions): void {
  current = createLogger(options);
}

type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * The server's logger: `log.warn({ room }, 'room X: …')`. The message is complete on its own (a person reads it);
 * the fields repeat what a collector filters on. Never a token, a cookie, a password or a keystroke in either.
 */
export const log: Readonly<Record<Exclude<LogLevel, 'silent'>, LogMethod>> & { isLevelEnabled(level: LogLevel): boolean } = {
  fatal: (fields, message) => current.fatal(fields, message),
  error: (fields, message) => current.error(fields, message),
  warn: (fields, message) => current.warn(fields, message),
  info: (fields, message) => current.info(fields, message),
  debug: (fields, message) => current.debug(fields, message),
  trace: (fields, message) => current.trace(fields, message),
  isLevelEnabled: (level) => current.isLevelEnabled(level),
};
