// Entry for `ttyroom serve`: parse config, end a killed server's leftovers, createApp(), listen, print the URL, shut down (signals, --once, --timeout).

import { createApp } from './app.js';
import { ConfigError, helpText, parseConfig, type ServerConfig } from './config.js';
import { OneShotWatcher } from './oneShot.js';
import { ExitStatus, Shutdown } from './shutdown.js';
import { recoverLeftovers } from './terminal/processJournal.js';

function logLine(line: string): void {
  process.stderr.write(`ttyroom: ${line}\n`);
}

/** Runs `parse`, turning a ConfigError into one stderr line and exit status 2 (CONTRACT.md §2). */
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
  await runServer(parsed.config);
}

/**
 * Ends what a killed server left behind, starts the app, prints `ttyroom listening on URL` as the first
 * stdout line, and shuts down gracefully on SIGTERM/SIGINT, at the end of a --once room, or when
 * --timeout runs out.
 */
async function runServer(config: ServerConfig): Promise<void> {
  await recoverLeftovers(config.dataDir, logLine);
  const app = createApp(config);
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
    const address = app.httpServer.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    // Scripts read the address from this first line (CONTRACT.md §2).
    process.stdout.write(`ttyroom listening on http://${host}:${port}\n`);

    const watcher = new OneShotWatcher(app.rooms, { once: config.once, joinTimeoutMs: config.joinTimeoutMs });
    watcher.onRoomEnded(() => shutdown.begin(ExitStatus.Ok, "the room's process ended and its members were told (--once); exiting"));
    watcher.onJoinTimeout(() => shutdown.begin(ExitStatus.NobodyJoined, `nobody joined within ${config.joinTimeoutMs / 1000} s (--timeout); exiting`));
  });
}
