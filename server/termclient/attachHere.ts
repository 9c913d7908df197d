// attachHere: runs an AttachSession in this process's own terminal and gives the terminal back, exactly as found,
// however the session ends (the room's end, a detach, a refusal, a lost server, SIGINT, SIGTERM or SIGHUP).

import { systemClock } from '../util/clock.js';
import { AttachSession, type AttachEnd, type AttachOptions } from './attachSession.js';
import { EXIT_SIGNALS, TtyTerminal } from './localTerminal.js';

export type AttachHereOptions = Omit<AttachOptions, 'local' | 'setClosingSequence' | 'clock'>;

/**
 * Attaches the current terminal; resolves once the session ended and the terminal is restored. `started`
 * gets the session (share shows its server's log lines on the status line through it). Throws a ConfigError
 * before touching the terminal when stdin or stdout is not one.
 */
export async function attachHere(options: AttachHereOptions, started?: (session: AttachSession) => void): Promise<AttachEnd> {
  const local = TtyTerminal.open();
  let session: AttachSession | undefined;
  const onSignal = (signal: keyof typeof EXIT_SIGNALS): void => {
    // Raw mode turns Ctrl-C into a byte for the room; a signal here came from outside (kill, a closed window).
    session?.endBySignal(signal, EXIT_SIGNALS[signal]);
  };
  const handlers = Object.keys(EXIT_SIGNALS).map((name) => {
    const signal = name as keyof typeof EXIT_SIGNALS;
    const handler = (): void => onSignal(signal);
    process.on(signal, handler);
    return { signal, handler };
  });
  try {
    session = new AttachSession({
      ...options,
      clock: systemClock,
      local,
      setClosingSequence: (sequence) => local.setClosingSequence(sequence),
    });
    started?.(session);
    const end = await session.ended;
    session.dispose();
    local.dispose();
    // As with ssh, what the program last showed stays in the terminal after it ended (not with tmux, which
    // leaves with the alternate screen): printed as text on the restored screen.
    if (end.kind === 'exited' && end.lastScreen.length > 0) process.stdout.write(`${end.lastScreen.join('\n')}\n`);
    return end;
  } finally {
    session?.dispose();
    local.dispose();
    for (const { signal, handler } of handlers) process.off(signal, handler);
  }
}
