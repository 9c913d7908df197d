// Writes an xterm buffer as the output that rebuilds it, row by row, in a fresh terminal of the same
// size: text, wide characters, colours, soft wraps, and the colour of every blank cell.

import type { IBuffer, IBufferCell, IBufferLine } from '@xterm/headless';

/** The attributes a printed character takes: colours as (mode, value) and the SGR flags. */
export interface Pen {
  fgMode: number;
  fg: number;
  bgMode: number;
  bg: number;
  /** One bit per flag, in SGR_FLAGS order. */
  flags: number;
}

/** What `getCell` and xterm's AttributeData both offer. */
export interface AttributeSource {
  getFgColorMode(): number;
  getFgColor(): number;
  getBgColorMode(): number;
  getBgColor(): number;
  isBold(): number;
  isDim(): number;
  isItalic(): number;
  isUnderline(): number;
  isBlink(): number;
  isInverse(): number;
  isInvisible(): number;
  isStrikethrough(): number;
  isOverline(): number;
}

/** SGR parameter of each flag bit. */
const SGR_FLAGS: ReadonlyArray<[param: string, read: (a: AttributeSource) => number]> = [
  ['1', (a) => a.isBold()],
  ['2', (a) => a.isDim()],
  ['3', (a) => a.isItalic()],
  ['4', (a) => a.isUnderline()],
  ['5', (a) => a.isBlink()],
  ['7', (a) => a.isInverse()],
  ['8', (a) => a.isInvisible()],
  ['9', (a) => a.isStrikethrough()],
  ['53', (a) => a.isOverline()],
];

/** The underline bit of Pen.flags (SGR 4 is fourth in SGR_FLAGS). */
export const PEN_UNDERLINE = 1 << SGR_FLAGS.findIndex(([param]) => param === '4');

/** xterm's colour-mode bits (Attributes.CM_* in xterm's Constants.ts). */
const COLOUR_MODE = { Default: 0, Palette16: 0x1000000, Palette256: 0x2000000, Rgb: 0x3000000 } as const;

export const DEFAULT_PEN: Pen = Object.freeze({ fgMode: COLOUR_MODE.Default, fg: -1, bgMode: COLOUR_MODE.Default, bg: -1, flags: 0 });

/** A pen of the caller's own (snapshotState changes it); the serializer's hot path shares pens (PenReader). */
export function penOf(a: AttributeSource): Pen {
  return { ...new PenReader().of(a) };
}

export function samePen(a: Pen, b: Pen): boolean {
  return a.fgMode === b.fgMode && a.fg === b.fg && sameBackground(a, b) && a.flags === b.flags;
}

function sameBackground(a: Pen, b: Pen): boolean {
  return a.bgMode === b.bgMode && a.bg === b.bg;
}

/** The pen an erase leaves behind (ECH, EL, a line scrolled in): only the background survives. */
function eraseOf(pen: Pen): Pen {
  return { ...DEFAULT_PEN, bgMode: pen.bgMode, bg: pen.bg };
}

/**
 * The pens of a buffer's cells, without an object per cell: neighbouring cells mostly share their attributes,
 * so the last pen (and the last erase pen) read is handed out again while the next cell's attributes are the
 * same. A serialize of 10 000 lines otherwise spends a third of its time collecting that garbage. The pens it
 * returns are shared: read them, never change them.
 */
export class PenReader {
  private last: Pen = DEFAULT_PEN;
  private lastErase: Pen = DEFAULT_PEN;

  of(a: AttributeSource): Pen {
    let flags = 0;
    for (let i = 0; i < SGR_FLAGS.length; i++) if (SGR_FLAGS[i]![1](a)) flags |= 1 << i;
    const fgMode = a.getFgColorMode();
    const bgMode = a.getBgColorMode();
    // Default colours read as -1 or 0 depending on where they came from; normalise for comparison.
    const fg = fgMode === COLOUR_MODE.Default ? -1 : a.getFgColor();
    const bg = bgMode === COLOUR_MODE.Default ? -1 : a.getBgColor();
    const last = this.last;
    if (last.flags === flags && last.fgMode === fgMode && last.fg === fg && last.bgMode === bgMode && last.bg === bg) return last;
    this.last = { fgMode, fg, bgMode, bg, flags };
    return this.last;
  }

  /** The erase pen of a blank cell: its background only. */
  eraseOf(a: AttributeSource): Pen {
    const bgMode = a.getBgColorMode();
    const bg = bgMode === COLOUR_MODE.Default ? -1 : a.getBgColor();
    const last = this.lastErase;
    if (last.bgMode === bgMode && last.bg === bg) return last;
    this.lastErase = { ...DEFAULT_PEN, bgMode, bg };
    return this.lastErase;
  }
}

/** The SGR sequence that sets exactly this pen, starting from a reset. */
export function sgrForPen(pen: Pen): string {
  const params = ['0'];
  for (let i = 0; i < SGR_FLAGS.length; i++) if (pen.flags & (1 << i)) params.push(SGR_FLAGS[i]![0]);
  params.push(...colourParams(pen.fgMode, pen.fg, 30, 38), ...colourParams(pen.bgMode, pen.bg, 40, 48));
  return `\x1b[${params.join(';')}m`;
}

/** Palette colours 0–15 use the short codes, as programs usually emit them. */
function colourParams(mode: number, colour: number, base: number, extended: number): string[] {
  if (mode === COLOUR_MODE.Rgb) return [String(extended), '2', String((colour >> 16) & 0xff), String((colour >> 8) & 0xff), String(colour & 0xff)];
  if (mode === COLOUR_MODE.Default) return [];
  if (colour < 8) return [String(base + colour)];
  if (colour < 16) return [String(base + 60 + colour - 8)];
  return [String(extended), '5', String(colour)];
}

/** A run of blank (never written or erased) cells sharing one background. */
interface BlankRun {
  from: number;
  to: number;
  pen: Pen;
}

/**
 * Writes one buffer from line `firstLine` on (0: all of the scrollback). The target starts with the
 * cursor home and `startPen` set, and its screen lines have that pen's background (default for a fresh normal screen; for an alternate screen just
 * entered, the pen it was entered with). Ends with the default pen and the cursor on the last row.
 *
 * Why not @xterm/addon-serialize: it skips blank cells by moving the cursor, assuming their line is
 * default-coloured, but a line scrolled in by a wrap takes the current background (BCE), so late
 * joiners saw coloured gaps; it also emitted `CSI 0 C` (read as 1) and let the alternate screen
 * inherit the normal screen's last colour. Here each row knows the background it was created with.
 */
export function serializeBuffer(buffer: IBuffer, cols: number, rows: number, startPen: Pen, firstLine = 0): string {
  const initialFill = eraseOf(startPen);
  const writer = new BufferWriter(buffer, cols, startPen, new PenReader());
  // The first line's predecessor left the scrollback (or was left out); its wrap flag cannot be recreated.
  let fill = initialFill;
  for (let y = firstLine; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (!line) continue;
    if (y > firstLine) {
      // Once `rows` lines are written each new one scrolls in, taking the background of the pen.
      const scrollsIn = y - firstLine >= rows;
      fill = line.isWrapped ? writer.wrapInto(line, scrollsIn ? null : initialFill) : writer.newLine(scrollsIn ? DEFAULT_PEN : initialFill);
    }
    writer.row(line, fill);
  }
  return writer.finish();
}

class BufferWriter {
  private out = '';
  private pen: Pen = DEFAULT_PEN;
  /** Column of the cursor in the target; `cols` means a wrap is pending. */
  private x = 0;
  private readonly cell: IBufferCell;
  /** Blank cells at the end of the last row written, erased to their colours when the row is left. */
  private previousTrailing: BlankRun[] = [];
  /** The background the last row written was created with. */
  private previousFill: Pen = DEFAULT_PEN;
  /** How far the last row's content reached, in columns. */
  private previousEnd = 0;
  /** Where row() starts: 1 when wrapInto has printed the first cell already. */
  private rowStart = 0;
  /** Set by wrapInto when column 0 holds a placeholder that row() must erase. */
  private forceEraseFrom0 = false;

  constructor(buffer: IBuffer, private readonly cols: number, startPen: Pen, private readonly pens: PenReader) {
    this.pen = startPen;
    this.cell = buffer.getNullCell();
  }

  /** Ends the row with CR LF; the next line is created (or reused) with `fill` as its background. */
  newLine(fill: Pen): Pen {
    this.eraseTrailing();
    this.setPen(DEFAULT_PEN);
    this.out += '\r\n';
    this.x = 0;
    return eraseOf(fill);
  }

  /**
   * Continues into a soft-wrapped row: the previous row is filled to the edge so the next print wraps.
   * Returns the new row's background: `reusedFill` for an existing screen line, else the wrapping pen's.
   */
  wrapInto(next: IBufferLine, reusedFill: Pen | null): Pen {
    const cell = next.getCell(0, this.cell);
    const first = cell && cell.getChars() !== '' ? cell : undefined;
    const firstIsBlank = first === undefined;
    const firstPen = first ? this.pens.of(first) : DEFAULT_PEN;
    const firstWidth = first ? first.getWidth() : 1;
    const firstChars = first ? first.getChars() : ' ';
    // A wide character that did not fit wraps by itself, leaving its own pen on the last cell.
    const wideOverflow = firstWidth === 2 && this.previousEnd === this.cols - 1;
    if (wideOverflow) {
      this.moveTo(this.cols - 1);
    } else if (this.x < this.cols) {
      // Placeholders bring the cursor to the edge; they are erased below, after the wrap.
      this.moveTo(this.previousEnd);
      this.setPen(DEFAULT_PEN);
      this.out += ' '.repeat(this.cols - this.x);
      this.x = this.cols;
    }
    this.setPen(firstPen);
    this.out += firstChars;
    this.x = firstWidth;
    this.rowStart = 1;
    const fill = eraseOf(reusedFill ?? firstPen);
    this.fixPreviousTrailing(wideOverflow ? eraseOf(firstPen) : null);
    if (firstIsBlank) {
      // The placeholder that forced the wrap becomes the blank it stands for in row().
      this.moveTo(0);
      this.forceEraseFrom0 = true;
      this.rowStart = 0;
    }
    return fill;
  }

  /**
   * Writes the row's cells from the cursor (0, or past a wrapping first character). Blank runs whose
   * background differs from the row's fill are erased with ECH; trailing ones when the row is left.
   */
  row(line: IBufferLine, fill: Pen): void {
    const end = contentEnd(line, this.cols, this.cell);
    let blank: BlankRun | null = null;
    const flushBlank = (): void => {
      if (!blank) return;
      const run: BlankRun = blank;
      blank = null;
      this.moveTo(run.from);
      const forced = this.forceEraseFrom0 && run.from === 0;
      if (forced || !sameBackground(run.pen, fill)) this.erase(run);
    };
    for (let col = this.rowStart; col < end; col++) {
      const cell = line.getCell(col, this.cell);
      if (!cell || cell.getWidth() === 0) continue;
      if (cell.getChars() === '') {
        const pen = this.pens.eraseOf(cell);
        if (blank && sameBackground(blank.pen, pen)) blank.to = col + 1;
        else {
          flushBlank();
          blank = { from: col, to: col + 1, pen };
        }
        continue;
      }
      flushBlank();
      this.setPen(this.pens.of(cell));
      if (col === this.cols - 1 && this.x === this.cols) {
        // The right half of a wide character at the margin holds another character: printing there
        // with autowrap off keeps the left half, and only that same path recreates it. (Reflow can
        // carry such a pair into a row's middle, where no output sequence recreates it; it is then
        // written as a plain print, which clears the left half.)
        this.out += `\x1b[?7l${cell.getChars()}\x1b[?7h`;
        continue;
      }
      this.moveTo(col);
      this.out += cell.getChars();
      this.x = col + cell.getWidth();
    }
    flushBlank();
    this.rowStart = 0;
    if (this.forceEraseFrom0 && end === 0) this.erase({ from: 0, to: 1, pen: fill });
    this.forceEraseFrom0 = false;
    this.previousEnd = end;
    this.previousFill = fill;
    this.previousTrailing = blankRuns(line, end, this.cols, this.cell, this.pens);
  }

  finish(): string {
    this.eraseTrailing();
    this.setPen(DEFAULT_PEN);
    return this.out;
  }

  /** Leaving a row by CR LF or at the end: its trailing blanks that differ from its fill get erased. */
  private eraseTrailing(): void {
    for (const run of this.previousTrailing) if (!sameBackground(run.pen, this.previousFill)) this.erase(run);
  }

  /**
   * Leaving a row by a wrap: its trailing blanks are placeholders now (or the wide-overflow filler),
   * so all of them are erased to their colours, from the row below.
   */
  private fixPreviousTrailing(wideFiller: Pen | null): void {
    const runs = this.previousTrailing.filter((run) => !wideFiller || !sameBackground(run.pen, wideFiller));
    if (runs.length === 0) return;
    const back = this.x;
    this.out += '\x1b[A';
    for (const run of runs) {
      this.out += `\x1b[${run.from + 1}G`;
      this.x = run.from;
      this.eraseHere(run);
    }
    this.out += '\x1b[B';
    this.x = -1;
    this.moveTo(back);
  }

  private erase(run: BlankRun): void {
    this.moveTo(run.from);
    this.eraseHere(run);
  }

  private eraseHere(run: BlankRun): void {
    if (!sameBackground(this.pen, run.pen)) this.setPen(run.pen);
    this.out += `\x1b[${run.to - run.from}X`;
  }

  private setPen(pen: Pen): void {
    if (samePen(this.pen, pen)) return;
    this.out += sgrForPen(pen);
    this.pen = pen;
  }

  /** Moves within the current row (CHA), ending any pending wrap. */
  private moveTo(col: number): void {
    if (col === this.x) return;
    this.out += col === 0 ? '\r' : `\x1b[${col + 1}G`;
    this.x = col;
  }
}

/** Columns up to and including the last cell with content (wide characters count both cells). */
function contentEnd(line: IBufferLine, cols: number, cell: IBufferCell): number {
  for (let col = cols - 1; col >= 0; col--) {
    const c = line.getCell(col, cell);
    if (!c) continue;
    if (c.getWidth() === 0) return col + 1;
    if (c.getChars() !== '') return col + c.getWidth();
  }
  return 0;
}

function blankRuns(line: IBufferLine, from: number, to: number, cell: IBufferCell, pens: PenReader): BlankRun[] {
  const runs: BlankRun[] = [];
  for (let col = from; col < to; col++) {
    const c = line.getCell(col, cell);
    if (!c) continue;
    const pen = pens.eraseOf(c);
    const last = runs[runs.length - 1];
    if (last && sameBackground(last.pen, pen)) last.to = col + 1;
    else runs.push({ from: col, to: col + 1, pen });
  }
  return runs;
}
