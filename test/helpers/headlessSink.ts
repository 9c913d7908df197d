// HeadlessSink: the browser's TerminalSink on a headless xterm, with the same queueing contract as
// client/src/terminalView.ts, so tests can drive the real RoomClient as a browser tab does.

import type { TerminalSink } from '../../server/shared/roomClient.js';
import { makeTerminal, type HeadlessTerminal } from './screens.js';

/** CAN then RIS, as client/src/terminalView.ts writes before a snapshot: the parser leaves any sequence first. */
const ABORT_AND_RESET = '\x18\x1bc';

export class HeadlessSink implements TerminalSink {
  readonly terminal: HeadlessTerminal;
  /** Snapshots applied so far. */
  replaces = 0;

  constructor(scrollback = 1000) {
    this.terminal = makeTerminal(80, 24, scrollback);
  }

  /** As TerminalView does: the reset is queued behind older output, and the data right behind the reset. */
  replace(cols: number, rows: number, data: Uint8Array, parsed: () => void): void {
    this.terminal.write(ABORT_AND_RESET, () => {
      this.replaces++;
      this.terminal.reset();
      this.terminal.resize(cols, rows);
    });
    this.terminal.write(data, parsed);
  }

  write(data: string, parsed: () => void): void {
    this.terminal.write(data, parsed);
  }

  resize(cols: number, rows: number): void {
    this.terminal.write('', () => this.terminal.resize(cols, rows));
  }

  settled(): Promise<void> {
    return new Promise((resolve) => this.terminal.write('', resolve));
  }
}
