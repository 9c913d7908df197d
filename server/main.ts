// Entry for `ttyroom serve`: parse config, end a killed server's leftovers, createApp(), listen, print the URL, dispose on SIGINT/SIGTERM.

import { createApp } from './app.js';
import { ConfigError, helpText, parseConfig } from './config.js';
import { recoverLeftovers } from './terminal/processJournal.js';

export const ShutdownTiming = {
  /** After SIGTERM/SIGINT, exit even if some process refuses to die or a client hangs on. */
  HardDeadlineMs: 10_000,
} as const;

/** Exit status for bad options, as CONTRACT.md §2 requires. */
const USAGE_EXIT = 2;

export async function serve(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseConfig(argv, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ttyroom: ${error.message}\n`);
      process.exit(USAGE_EXIT);
    }
    throw error;
  }
  if (parsed.help) {
    process.stdout.write(`${helpText('serve')}\n`);
    return;
  }
  const { config } = parsed;
  // Before any room of ours is recorded: the records found are those of a server that was killed.
  await recoverLeftovers(config.dataDir, (line) => process.stderr.write(`ttyroom: ${line}\n`));
  const app = createApp(config);
  app.httpServer.on('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(`ttyroom: cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}\n`);
    process.exit(1);
  });
  app.httpServer.listen(config.port, config.host, () => {
    const address = app.httpServer.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    // Scripts read the address from this first line (CONTRACT.md §2).
    process.stdout.write(`ttyroom listening on http://${host}:${port}\n`);
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`ttyroom: ${signal} received, closing rooms\n`);
    const deadline = setTimeout(() => {
      process.stderr.write('ttyroom: shutdown deadline passed, exiting anyway\n');
      process.exit(1);
    }, ShutdownTiming.HardDeadlineMs);
    deadline.unref();
    app.dispose().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`ttyroom: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
