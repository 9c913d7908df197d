// The `ttyroom` command: dispatches subcommands (README.md, Usage).

import { serve, share } from './main.js';
import { ExitStatus } from './shutdown.js';
import { userCommand } from './userCommand.js';
import { auditCommand } from './auditCommand.js';
import { bundleCommand } from './bundleCommand.js';
import { attachCommand } from './attachCommand.js';

const USAGE = `usage: ttyroom <command> [options]

commands:
  serve     run the server (see: ttyroom serve --help)
  share     share this terminal: a room running a command (default: your shell), its links and a QR code,
            then this terminal attached as the owner (ttyroom share [options] [-- COMMAND [ARGS...]])
  attach    join a room from this terminal with its viewer, writer or owner link (ttyroom attach URL)
  user      add or remove a user of --auth local (ttyroom user add|remove NAME; see: ttyroom user --help)
  audit     print the audit events or member sessions the server recorded
            (ttyroom audit [--room ID] [--sessions] [--json] [--data-dir DIR]; see: ttyroom audit --help)
  bundle    write a room's incident bundle (a zip: recording, audit, sessions, bookmarks, chat, transcript)
            (ttyroom bundle ROOM_ID [--out FILE] [--data-dir DIR]; see: ttyroom bundle --help)

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
    case 'share':
      return share(rest);
    case 'attach':
      return attachCommand(rest);
    case 'user':
      return userCommand(rest);
    case 'audit':
      return auditCommand(rest);
    case 'bundle':
      return bundleCommand(rest);
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`ttyroom: unknown command "${command}" (try: ttyroom --help)\n`);
      process.exit(ExitStatus.Usage);
  }
}
