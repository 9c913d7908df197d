// Entries for `ttyroom serve` and `ttyroom share`: parse config, end a killed server's leftovers, createApp(), listen, print, shut down.

import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createApp, type App } from '../app.js';
import { helpText, parseConfig, parseShareArgs, type ServerConfig } from '../config.js';
import { ConfigError } from '../util/configError.js';
import { roomLinks } from '../http/links.js';
import { OneShotWatcher } from './oneShot.js';
import { ExitStatus, Shutdown } from './shutdown.js';
import type { Requester } from '../rooms/roomRegistry.js';
import { recoverLeftovers } from '../terminal/processJournal.js';

function logLine(line: string): void {
  process.stderr.write(`ttyroom: ${line}\n`);
}

/** Runs `parse`, turning a ConfigError into one stderr line and exit status 2 (README.md, Usage). */
function parseOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) {
      logLine(error.message);
      process.exit(ExitStatus.Usage);
    }
    throw error;
  }
}

export async function serve(argv: readonly string[]): Promise<void> {
  const parsed = parseOrExit(() => parseConfig(argv, process.env));
  if (parsed.help) {
    process.stdout.write(`${helpText('serve')}\n`);
    return;
  }
  if (parsed.rest.length > 0) {
    logLine(`serve takes no command after --; use --command, or: ttyroom share -- ${parsed.rest.join(' ')}`);
    process.exit(ExitStatus.Usage);
  }
  await runServer(parsed.config, () => undefined);
}

/** Whether `program` names an executable file: on PATH like execvp when it has no slash, else from `cwd`. */
function isExecutable(program: string, cwd: string, path: string | undefined): boolean {
  const candidates = program.includes('/') ? [resolve(cwd, program)] : (path ?? '').split(':').filter(Boolean).map((dir) => join(dir, program));
  return candidates.some((file) => {
    try {
      accessSync(file, fsConstants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** Who creates the shared room, for caps and the audit log: the operator at the command line. */
const SHARE_REQUESTER: Requester = { address: 'local', user: 'ttyroom share' };

export async function share(argv: readonly string[]): Promise<void> {
  const parsed = parseOrExit(() => parseShareArgs(argv, process.env));
  if (parsed.help) {
    process.stdout.write(`${helpText('share')}\n`);
    return;
  }
  // A typo would otherwise print links to a room whose program already failed, and exit 0.
  const program = parsed.config.command[0]!;
  if (!isExecutable(program, parsed.config.cwd, process.env.PATH)) {
    logLine(`share: command not found or not executable: ${program}`);
    process.exit(ExitStatus.Usage);
  }
  await runServer(parsed.config, (app, base, shutdown) => {
    let created;
    try {
      created = app.rooms.create(parsed.name === undefined ? {} : { name: parsed.name }, SHARE_REQUESTER);
    } catch (error) {
      shutdown.begin(ExitStatus.Failure, `cannot start the shared room: ${String(error)}`);
      return;
    }
    const links = roomLinks(base, created.room.id, created.ownerToken, created.writeToken);
    process.stdout.write(
      `viewer link: ${links.viewUrl}\n`
      + `writer link: ${links.writeUrl}\n`
      + `owner link:  ${links.ownerUrl}\n`,
    );
  });
}

/**
 * Ends what a killed server left behind, starts the app, prints `ttyroom listening on URL` as the first
 * stdout line, calls `ready`, and shuts down gracefully on SIGTERM/SIGINT, at the end of a --once room,
 * or when --timeout runs out.
 */
async function runServer(config: ServerConfig, ready: (app: App, base: string, shutdown: Shutdown) => void): Promise<void> {
  await recoverLeftovers(config.dataDir, logLine);
  const app = parseOrExit(() => createApp(config));
  const shutdown = new Shutdown(app, {
    deadlineMs: config.shutdownDeadlineMs,
    killGraceMs: config.killGraceMs,
    exit: (status) => process.exit(status),
    log: logLine,
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (!shutdown.begin(ExitStatus.Ok, `${signal} received, closing rooms`)) logLine(`${signal} received again; already shutting down`);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  app.httpServer.on('error', (error: NodeJS.ErrnoException) => {
    logLine(`cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`);
    // Nothing was created yet, but a room could be: end it all before leaving.
    app.rooms.dispose();
    process.exit(ExitStatus.Failure);
  });
  app.httpServer.listen(config.port, config.host, () => {
    if (shutdown.isStarted) return;
    const base = app.origin();
    // Scripts read the address from this first line (README.md, Usage).
    process.stdout.write(`ttyroom listening on ${base}\n`);

    const watcher = new OneShotWatcher(app.rooms, { once: config.once, joinTimeoutMs: config.joinTimeoutMs });
    watcher.onRoomEnded(() => shutdown.begin(ExitStatus.Ok, "the room's process ended and its members were told (--once); exiting"));
    watcher.onJoinTimeout(() => shutdown.begin(ExitStatus.NobodyJoined, `nobody joined within ${config.joinTimeoutMs / 1000} s (--timeout); exiting`));
    ready(app, base, shutdown);
  });
}
