// The headless xterm as the mirror configures it (options, unicode 11, the erase guard): the one place that says
// how output is parsed on the server, so a replay of a recording (the transcript) reads the screen the mirror had.

import headless from '@xterm/headless';
import unicode11Addon from '@xterm/addon-unicode11';
import { guardEraseAbove } from '../shared/xtermGuards.js';
import { NO_WINDOW_OPERATIONS } from '../shared/xtermOptions.js';

const { Terminal } = headless;
const { Unicode11Addon } = unicode11Addon;

export type HeadlessTerminal = InstanceType<typeof Terminal>;

/** Browser clients must activate the same unicode version, or wide characters land in other cells. */
export const UNICODE_VERSION = '11';

export interface HeadlessTerminalSize {
  cols: number;
  rows: number;
  /** Lines kept above the screen. */
  scrollback: number;
}

/** A terminal parsing as the mirror does, and the guards it carries (dispose them with it). */
export function createHeadlessTerminal(size: HeadlessTerminalSize): { terminal: HeadlessTerminal; guards: { dispose(): void }[] } {
  const terminal = new Terminal({
    cols: size.cols,
    rows: size.rows,
    scrollback: size.scrollback,
    allowProposedApi: true,
    // The mirror is the room's one responder: a window report from it would go straight into the PTY.
    windowOptions: { ...NO_WINDOW_OPERATIONS },
    // xterm logs every malformed sequence (a 40-line dump per ESC followed by a non-ASCII character), so a
    // program could flood the server's log at will; the parser recovers by itself.
    logLevel: 'off',
  });
  terminal.loadAddon(new Unicode11Addon() as unknown as Parameters<typeof terminal.loadAddon>[0]);
  terminal.unicode.activeVersion = UNICODE_VERSION;
  return { terminal, guards: guardEraseAbove(terminal) };
}
