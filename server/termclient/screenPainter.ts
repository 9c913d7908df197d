// ScreenPainter: draws a room's headless xterm into the user's real terminal as tmux draws a pane (the rows that changed, every cell, the cursor, the input modes); never forwards the room's own bytes.

import type { IBufferCell } from '@xterm/headless';
import type { HeadlessTerminal } from '../terminal/headlessTerminal.js';
import { DEFAULT_PEN, PenReader, samePen, sgrForPen, type Pen } from '../terminal/bufferSerializer.js';
import { assertInternals, readHiddenState, stringCellWidth, type CursorStyle } from '../terminal/xtermInternals.js';
import { UNSAFE_IN_LINE } from '../shared/unsafeText.js';

/** The local terminal the screen is painted into. */
export interface PaintView {
  /** The local terminal's size, in cells. */
  cols: number;
  rows: number;
  /** A status line's plain text, drawn on the local terminal's last row; control characters are dropped. */
  status?: string;
}

const ESC = '\x1b';
const CSI = `${ESC}[`;

/** The fixed sequences the painter writes (names from xterm's ctlseqs). */
const SEQUENCE = {
  /**
   * Alternate screen with the cursor saved (DECSET 1049): the user's shell screen and scrollback come back
   * untouched when attach ends, and the room's output never lands in the local scrollback.
   */
  alternateScreenOn: `${CSI}?1049h`,
  alternateScreenOff: `${CSI}?1049l`,
  home: `${CSI}H`,
  /** ED 2, with the default pen set first, so the blank screen has the default background. */
  clearScreen: `${CSI}2J`,
  /** SGR 0: every painted row ends with it, so no erase and no status line inherits a row's colours. */
  resetPen: `${CSI}0m`,
  /** EL 0: blanks a row from the cursor on, past the grid's right edge too. */
  eraseToEndOfLine: `${CSI}K`,
  reverseVideo: `${CSI}7m`,
  /**
   * DECAWM off while painting: a character the local terminal measures wider than the room's xterm does
   * overwrites the last column instead of wrapping, and on the last row, scrolling the whole screen.
   */
  autowrapOff: `${CSI}?7l`,
  autowrapOn: `${CSI}?7h`,
  /** DECTCEM: hidden while rows are painted, so terminals without synchronized output do not show it jumping. */
  cursorHide: `${CSI}?25l`,
  cursorShow: `${CSI}?25h`,
  /** Synchronized output (DECSET 2026): a frame shows at once, without tearing; terminals without it ignore it. */
  syncStart: `${CSI}?2026h`,
  syncEnd: `${CSI}?2026l`,
  /** DECCKM: arrows send ESC O A rather than ESC [ A, as full-screen programs ask. */
  applicationCursorKeysOn: `${CSI}?1h`,
  applicationCursorKeysOff: `${CSI}?1l`,
  /** DECKPAM / DECKPNM: the keypad sends application sequences. */
  applicationKeypadOn: `${ESC}=`,
  applicationKeypadOff: `${ESC}>`,
  /** A paste arrives wrapped in ESC [200~ … ESC [201~, so an editor does not run it as typed keys. */
  bracketedPasteOn: `${CSI}?2004h`,
  bracketedPasteOff: `${CSI}?2004l`,
} as const;

/** DECSCUSR parameters: the blinking form of each shape; the steady form is one more. 0 is the user's default. */
const CURSOR_SHAPE = { default: 0, block: 1, underline: 3, bar: 5 } as const satisfies Record<CursorStyle | 'default', number>;
const STEADY_OFFSET = 1;

/** Terminal positions in escape sequences count from 1. */
const ORIGIN = 1;
/** The last code point a local terminal is sure to draw one cell wide, as the room's xterm does (printable ASCII). */
const LAST_ASCII = 0x7e;
/** Rows the status line takes at the bottom of the local terminal. */
const STATUS_ROWS = 1;

/** What a local row shows when nothing of the room is on it. */
const BLANK_ROW = SEQUENCE.eraseToEndOfLine;

const cursorTo = (row: number, col: number): string => `${CSI}${row + ORIGIN};${col + ORIGIN}H`;
const columnTo = (col: number): string => `${CSI}${col + ORIGIN}G`;
const eraseCells = (count: number): string => `${CSI}${count}X`;
const cursorShape = (code: number): string => `${CSI}${code} q`;

/** The input modes the room's program set; the local terminal must send keys the way the program expects. */
interface InputModes {
  cursorKeys: boolean;
  keypad: boolean;
  bracketedPaste: boolean;
}

/** Where the room's grid lands in the local terminal. */
export interface PaintLayout {
  /** Rows and columns of the grid that are painted, from the top-left. */
  rows: number;
  cols: number;
  /** The local row of the status line, if there is one. */
  statusRow: number | undefined;
  /** Whether part of the grid does not fit (the caller tells the user). */
  cut: boolean;
}

/**
 * Paints one headless xterm into a local terminal. Pure: it returns the bytes to write and remembers what it
 * wrote, so each frame sends only what changed. Mouse reporting is not followed: the local terminal would
 * send mouse events in the local layout (a status line, a cut grid), and the room's other members may not
 * expect them; focus reporting (DECSET 1004) is not followed either.
 */
export class ScreenPainter {
  private readonly pens = new PenReader();
  private readonly cell: IBufferCell;
  /** Per local row, the bytes last painted on it (after the cursor move); each string fixes the whole row. */
  private painted: string[] = [];
  private lastView: { cols: number; rows: number } | undefined;
  private modes: InputModes | undefined;
  /** The DECSCUSR parameter last sent. */
  private shape: number | undefined;
  private cursorShown: boolean | undefined;
  /** Where the local cursor is, as far as the painter knows; undefined after painting rows. */
  private cursorAt: { x: number; y: number } | undefined;
  private needsFull = true;

  constructor(private readonly terminal: HeadlessTerminal) {
    assertInternals(terminal);
    this.cell = terminal.buffer.active.getNullCell();
  }

  /** What to write when attaching: the alternate screen, cleared, with the default pen. The next frame is full. */
  enter(): string {
    this.needsFull = true;
    return SEQUENCE.alternateScreenOn + SEQUENCE.resetPen + SEQUENCE.home + SEQUENCE.clearScreen;
  }

  /** What to write when leaving: the user's own screen, then every mode a frame may have set back to its default. */
  leave(): string {
    this.needsFull = true;
    this.modes = undefined;
    this.shape = undefined;
    this.cursorShown = undefined;
    // The screen first: a terminal may restore modes saved with it (tmux does the cursor's visibility), and
    // what is reset after the switch is what the user's shell then has.
    return (
      SEQUENCE.syncEnd +
      SEQUENCE.alternateScreenOff +
      SEQUENCE.resetPen +
      SEQUENCE.applicationCursorKeysOff +
      SEQUENCE.applicationKeypadOff +
      SEQUENCE.bracketedPasteOff +
      cursorShape(CURSOR_SHAPE.default) +
      SEQUENCE.cursorShow +
      SEQUENCE.autowrapOn
    );
  }

  /** Where the grid and the status line go in a local terminal of this size. */
  layout(view: PaintView): PaintLayout {
    const statusRow = view.status !== undefined && view.rows >= STATUS_ROWS ? view.rows - STATUS_ROWS : undefined;
    const gridRows = statusRow ?? Math.max(0, view.rows);
    const rows = Math.min(this.terminal.rows, gridRows);
    const cols = Math.min(this.terminal.cols, Math.max(0, view.cols));
    return { rows, cols, statusRow, cut: rows < this.terminal.rows || cols < this.terminal.cols };
  }

  /**
   * The bytes that bring the local terminal from the last frame to the room's current screen; '' when
   * nothing changed. `full` repaints everything: after a local resize, or after anything else wrote to the
   * local terminal (a change of the view's size forces it too).
   */
  frame(view: PaintView, full = false): string {
    if (full || this.needsFull || this.lastView?.cols !== view.cols || this.lastView.rows !== view.rows) return this.paint(view, true);
    return this.paint(view, false);
  }

  private paint(view: PaintView, full: boolean): string {
    const layout = this.layout(view);
    let rows = '';
    if (full) {
      rows += SEQUENCE.resetPen + SEQUENCE.home + SEQUENCE.clearScreen;
      this.painted = Array.from({ length: view.rows }, () => BLANK_ROW);
      this.lastView = { cols: view.cols, rows: view.rows };
      this.needsFull = false;
    }
    const buffer = this.terminal.buffer.active;
    for (let y = 0; y < view.rows; y++) {
      let row: string = BLANK_ROW;
      if (y < layout.rows) row = this.gridRow(buffer.baseY + y, layout.cols, view.cols);
      else if (y === layout.statusRow) row = this.statusRow(view.status ?? '', view.cols);
      if (row === this.painted[y]) continue;
      rows += cursorTo(y, 0) + row;
      this.painted[y] = row;
    }

    let out = '';
    if (rows !== '') {
      if (this.cursorShown !== false) out += SEQUENCE.cursorHide;
      this.cursorShown = false;
      this.cursorAt = undefined;
      out += SEQUENCE.autowrapOff + rows + SEQUENCE.autowrapOn;
    }
    out += this.inputModes(full) + this.cursor(layout, full);
    return out === '' ? '' : SEQUENCE.syncStart + out + SEQUENCE.syncEnd;
  }

  /**
   * One grid row as bytes from column 0: printed cells with their pens, blank runs erased to their
   * background (ECH keeps them blank, as in the room's screen), the rest of the local row erased with the
   * default pen. Ends with the default pen.
   */
  private gridRow(lineIndex: number, width: number, localCols: number): string {
    const line = this.terminal.buffer.active.getLine(lineIndex);
    if (!line) return BLANK_ROW;
    // Cells from `end` on are blanks of the default background: the closing EL draws them.
    let end = 0;
    for (let x = width - 1; x >= 0; x--) {
      const cell = line.getCell(x, this.cell);
      if (!cell) continue;
      if (cell.getChars() !== '' || cell.getWidth() !== 1 || cell.getBgColorMode() !== DEFAULT_PEN.bgMode) {
        end = x + 1;
        break;
      }
    }

    let out = '';
    let pen: Pen = DEFAULT_PEN;
    /** The local cursor's column; undefined after a character a local terminal might measure otherwise. */
    let at: number | undefined = 0;
    const setPen = (next: Pen): void => {
      if (samePen(pen, next)) return;
      out += sgrForPen(next);
      pen = next;
    };
    const moveTo = (x: number): void => {
      if (at === x) return;
      out += columnTo(x);
      at = x;
    };
    let blank: { from: number; pen: Pen } | undefined;
    const flushBlank = (to: number): void => {
      if (!blank) return;
      setPen(blank.pen);
      moveTo(blank.from);
      out += eraseCells(to - blank.from);
      blank = undefined;
    };

    for (let x = 0; x < end; x++) {
      const cell = line.getCell(x, this.cell);
      // Width 0: the right half of the wide character before it, drawn with it.
      if (!cell || cell.getWidth() === 0) continue;
      const chars = cell.getChars();
      // A wide character whose right half is cut off is left blank rather than drawn over the edge.
      const cutWide = cell.getWidth() > 1 && x + cell.getWidth() > width;
      if (chars === '' || cutWide) {
        const erasePen = this.pens.eraseOf(cell);
        if (blank && !samePen(blank.pen, erasePen)) flushBlank(x);
        blank ??= { from: x, pen: erasePen };
        continue;
      }
      flushBlank(x);
      setPen(this.pens.of(cell));
      moveTo(x);
      out += chars;
      at = x + cell.getWidth();
      // Wide, combining and emoji widths differ between terminals: the next cell is placed absolutely.
      for (let i = 0; i < chars.length; i++) if (chars.charCodeAt(i) > LAST_ASCII) at = undefined;
    }
    flushBlank(end);
    setPen(DEFAULT_PEN);
    if (end < localCols) {
      moveTo(end);
      out += SEQUENCE.eraseToEndOfLine;
    }
    return out;
  }

  /** The status line: reverse video across the whole local row, its text cut to fit. */
  private statusRow(status: string, localCols: number): string {
    let text = '';
    let used = 0;
    for (const char of status.replace(UNSAFE_IN_LINE, '')) {
      const width = stringCellWidth(this.terminal, char);
      if (used + width > localCols) break;
      text += char;
      used += width;
    }
    return SEQUENCE.reverseVideo + text + ' '.repeat(localCols - used) + SEQUENCE.resetPen;
  }

  /** The room program's input modes, where they differ from what the local terminal was last told. */
  private inputModes(full: boolean): string {
    const modes = this.terminal.modes;
    const next: InputModes = {
      cursorKeys: modes.applicationCursorKeysMode,
      keypad: modes.applicationKeypadMode,
      bracketedPaste: modes.bracketedPasteMode,
    };
    const last = full ? undefined : this.modes;
    this.modes = next;
    let out = '';
    if (last?.cursorKeys !== next.cursorKeys) out += next.cursorKeys ? SEQUENCE.applicationCursorKeysOn : SEQUENCE.applicationCursorKeysOff;
    if (last?.keypad !== next.keypad) out += next.keypad ? SEQUENCE.applicationKeypadOn : SEQUENCE.applicationKeypadOff;
    if (last?.bracketedPaste !== next.bracketedPaste) out += next.bracketedPaste ? SEQUENCE.bracketedPasteOn : SEQUENCE.bracketedPasteOff;
    return out;
  }

  /** The cursor's shape, place and visibility as the room's terminal has them; hidden outside the painted grid. */
  private cursor(layout: PaintLayout, full: boolean): string {
    const hidden = readHiddenState(this.terminal);
    let out = '';
    const shape = hidden.cursorStyle === undefined ? CURSOR_SHAPE.default : CURSOR_SHAPE[hidden.cursorStyle] + (hidden.cursorBlink === false ? STEADY_OFFSET : 0);
    if (full || shape !== this.shape) out += cursorShape(shape);
    this.shape = shape;

    const buffer = this.terminal.buffer.active;
    // After printing in the last column xterm's cursor waits past the edge (a wrap is pending); it is drawn on the last column.
    const x = Math.min(buffer.cursorX, this.terminal.cols - 1);
    const y = buffer.cursorY;
    const shown = !hidden.cursorHidden && x < layout.cols && y < layout.rows;
    if (shown && (this.cursorAt?.x !== x || this.cursorAt.y !== y)) {
      out += cursorTo(y, x);
      this.cursorAt = { x, y };
    }
    if (full || shown !== this.cursorShown) out += shown ? SEQUENCE.cursorShow : SEQUENCE.cursorHide;
    this.cursorShown = shown;
    return out;
  }
}
