// The `ttyroom` command: dispatches subcommands (CONTRACT.md §2).

import { serve } from './main.js';

const USAGE = `usage: ttyroom <command> [options]

commands:
  serve     run the server (see: ttyroom serve --help)

With no command, ttyroom serves.`;

export async function run(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command.startsWith('--')) {
    if (command === '--help' || command === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    return serve(argv);
  }
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`ttyroom: unknown command "${command}" (try: ttyroom --help)\n`);
      process.exit(2);
  }
}
