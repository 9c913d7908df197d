// RoomScreen: the attach client's copy of the room's terminal, a headless xterm of the room's exact grid fed by
// RoomClient (snapshot, stream, resizes), parsed as the server's mirror parses. It answers no query: the
// server's mirror is the room's one responder, and the local terminal is painted from this copy, never fed the bytes.

import type { TerminalSink } from '../shared/roomClient.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import { createHeadlessTerminal, type HeadlessTerminal } from '../terminal/headlessTerminal.js';
import { TerminalSize } from '../shared/limits.js';

/** CAN then RIS before a snapshot: the parser leaves any half-read sequence of the old stream first. */
const ABORT_AND_RESET = '\x18\x1bc';

export const RoomScreenLimits = {
  /** Lines kept above the screen: none are shown (the painter draws the screen only), so none are kept. */
  Scrollback: 0,
} as const;

export class RoomScreen extends Disposable implements TerminalSink {
  readonly terminal: HeadlessTerminal;
  private readonly changedEmitter = this.register(new Emitter<void>());
  /** The screen changed: something was parsed, the grid was replaced or resized. */
  readonly onChanged = this.changedEmitter.event;
  private readonly bellEmitter = this.register(new Emitter<void>());
  readonly onBell = this.bellEmitter.event;
  private readonly titleEmitter = this.register(new Emitter<string>());
  readonly onTitle = this.titleEmitter.event;

  constructor() {
    super();
    const { terminal, guards } = createHeadlessTerminal({
      cols: TerminalSize.DefaultCols,
      rows: TerminalSize.DefaultRows,
      scrollback: RoomScreenLimits.Scrollback,
    });
    this.terminal = terminal;
    for (const guard of guards) this.register(guard);
    this.register(terminal.onBell(() => this.bellEmitter.fire()));
    this.register(terminal.onTitleChange((title) => this.titleEmitter.fire(title)));
    this.register(toDisposable(() => terminal.dispose()));
  }

  replace(cols: number, rows: number, data: Uint8Array, parsed: () => void): void {
    this.terminal.write(ABORT_AND_RESET, () => {
      this.terminal.reset();
      this.terminal.resize(cols, rows);
    });
    this.terminal.write(data, () => {
      parsed();
      this.changed();
    });
  }

  write(data: string, parsed: () => void): void {
    this.terminal.write(data, () => {
      parsed();
      this.changed();
    });
  }

  resize(cols: number, rows: number): void {
    this.terminal.write('', () => {
      this.terminal.resize(cols, rows);
      this.changed();
    });
  }

  /** Resolves once everything written so far is parsed. */
  settled(): Promise<void> {
    return new Promise((resolve) => this.terminal.write('', resolve));
  }

  /** The screen as plain text rows, trailing blanks and blank rows at the bottom left out. */
  text(): string[] {
    const buffer = this.terminal.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < this.terminal.rows; y++) rows.push(buffer.getLine(buffer.baseY + y)?.translateToString(true) ?? '');
    while (rows.length > 0 && rows.at(-1) === '') rows.pop();
    return rows;
  }

  private changed(): void {
    if (!this.isDisposed) this.changedEmitter.fire();
  }
}
