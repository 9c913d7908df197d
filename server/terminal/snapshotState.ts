// Everything a snapshot holds besides the cells: the alternate screen entered from the right saved
// cursor, modes, scroll region, saved cursors, charsets, pending wrap, pen, cursor shape, and the
// escape sequence the stream is in the middle of.

import type { IBuffer, Terminal } from '@xterm/headless';
import { DEFAULT_PEN, PEN_UNDERLINE, penOf, serializeBuffer, sgrForPen, type AttributeSource } from './bufferSerializer.js';
import { readActiveLink, readHiddenState, type Charset, type HiddenTerminalState, type SavedCursor } from './xtermInternals.js';

/**
 * The full snapshot for a fresh terminal of the same size: the normal buffer (its scrollback from line
 * `firstLine` on), then the alternate one
 * if active, then the cursor, modes and hidden state, then the unfinished escape sequence the stream
 * ended in, so the joiner's parser resumes in the same state as the mirror's.
 */
export function composeSnapshot(terminal: Terminal, pendingSequence: string, firstLine = 0): string {
  const state = readHiddenState(terminal);
  const { cols, rows } = terminal;
  let out = serializeBuffer(terminal.buffer.normal, cols, rows, DEFAULT_PEN, firstLine);
  if (terminal.buffer.active.type === 'alternate') {
    // Entered from the normal screen's saved cursor and pen, so DECSC (part of 1049h) saves what the
    // program saved and leaving the alternate screen (vim, less, htop quitting) lands where it does
    // for everyone else. 1049h fills the alternate screen with that pen's background, as it did then.
    const saved = state.savedCursor.normal;
    const { top, bottom } = state.normalRegion;
    if (top !== 0 || bottom !== rows - 1) out += `\x1b[${top + 1};${bottom + 1}r`;
    // DECSC and 1047h are 1049h in two steps, with room between them to tidy up after the save.
    // The normal screen keeps its own cursor while hidden; it decides which lines a resize drops then.
    const normal = terminal.buffer.normal;
    out += saveCursor(terminal, normal, saved, false) + `\x1b[${normal.cursorY + 1};${Math.min(normal.cursorX, cols - 1) + 1}H`;
    out += sgrFor(saved.pen) + '\x1b[?1047h' + designate(0, undefined) + '\x1b[H';
    out += serializeBuffer(terminal.buffer.alternate, cols, rows, penOf(saved.pen));
  }
  const buffer = terminal.buffer.active;
  out += `\x1b[${buffer.cursorY + 1};${Math.min(buffer.cursorX, cols - 1) + 1}H`;
  return out + serializeModes(terminal) + serializeHiddenState(terminal, state) + pendingSequence;
}

/** Public modes, except origin mode, which serializeHiddenState sets together with the region. */
function serializeModes(terminal: Terminal): string {
  const m = terminal.modes;
  let out = '';
  if (m.applicationCursorKeysMode) out += '\x1b[?1h';
  if (m.applicationKeypadMode) out += '\x1b[?66h';
  if (m.bracketedPasteMode) out += '\x1b[?2004h';
  if (m.insertMode) out += '\x1b[4h';
  if (m.reverseWraparoundMode) out += '\x1b[?45h';
  if (m.sendFocusMode) out += '\x1b[?1004h';
  if (!m.wraparoundMode) out += '\x1b[?7l';
  if (m.synchronizedOutputMode) out += '\x1b[?2026h';
  const tracking: Record<string, string> = { x10: '\x1b[?9h', vt200: '\x1b[?1000h', drag: '\x1b[?1002h', any: '\x1b[?1003h' };
  out += tracking[m.mouseTrackingMode] ?? '';
  return out;
}

/** DECSCUSR parameter: odd blinks, even is steady. */
const CURSOR_SHAPES = { block: 1, underline: 3, bar: 5 } as const;

/**
 * Scroll region and origin mode, the active buffer's saved cursor (DECSC), charsets, a wrap pending
 * at the right edge, cursor visibility and shape, mouse encoding and the pen. Without them a late
 * joiner's vim scrolls the wrong lines, `ESC 8` jumps elsewhere, line drawing prints as letters, or
 * the next output gets the wrong colour. Known gaps: a blank cell keeps only its background (its
 * bold/underline flags are invisible except on a wide character's filler), underline styles and
 * colours (SGR 4:x, 58) and the character REP repeats are not carried, and hyperlinks (OSC 8) already
 * on screen arrive as underlined text without their link (the link being printed continues).
 */
function serializeHiddenState(terminal: Terminal, state: HiddenTerminalState): string {
  const buffer = terminal.buffer.active;
  const inAlternate = buffer.type === 'alternate';
  const saved = inAlternate ? state.savedCursor.alternate : state.savedCursor.normal;
  const restoreSaved = !isInitialSavedCursor(saved);
  // The alternate screen keeps its saved cursor between visits; it is visited briefly to set it.
  const restoreAlternateSaved = !inAlternate && !isInitialSavedCursor(state.savedCursor.alternate);
  const defaultRegion = state.scrollTop === 0 && state.scrollBottom === terminal.rows - 1;
  const originMode = terminal.modes.originMode;
  let out = '';
  if (restoreSaved || restoreAlternateSaved || !defaultRegion || originMode) {
    // Positions below are absolute, so origin mode goes off first. DECSTBM and DECOM both home the
    // cursor, so the region comes before origin mode, and the cursor is put back last (relative to
    // the region when origin mode is on, 1-based).
    out += '\x1b[?6l';
    const insert = terminal.modes.insertMode;
    if (restoreAlternateSaved) {
      out += '\x1b[?47h' + saveCursor(terminal, terminal.buffer.alternate, state.savedCursor.alternate, insert) + '\x1b[?47l';
    }
    if (restoreSaved) out += saveCursor(terminal, buffer, saved, insert);
    if (restoreSaved || restoreAlternateSaved) out += designate(0, undefined);
    out += `\x1b[${state.scrollTop + 1};${state.scrollBottom + 1}r`;
    if (originMode) out += '\x1b[?6h';
    const row = originMode ? buffer.cursorY - state.scrollTop : buffer.cursorY;
    out += `\x1b[${row + 1};${Math.min(buffer.cursorX, terminal.cols - 1) + 1}H`;
  }
  if (buffer.cursorX >= terminal.cols) {
    const row = originMode ? buffer.cursorY - state.scrollTop : buffer.cursorY;
    out += reprintLastCell(terminal, buffer, buffer.baseY + buffer.cursorY, row, terminal.modes.insertMode);
  }
  // After any reprint, which must print the cell's own character, not its line-drawing translation.
  for (let g = 0; g < state.charsets.length; g++) if (state.charsets[g]) out += designate(g, state.charsets[g]);
  out += LOCKING_SHIFTS[state.glevel] ?? '';
  if (state.cursorHidden) out += '\x1b[?25l';
  if (state.cursorStyle) out += `\x1b[${CURSOR_SHAPES[state.cursorStyle] + (state.cursorBlink ? 0 : 1)} q`;
  const encodingModes: Record<string, string> = { SGR: '\x1b[?1006h', SGR_PIXELS: '\x1b[?1016h', URXVT: '\x1b[?1015h', UTF8: '\x1b[?1005h' };
  out += encodingModes[state.mouseEncoding] ?? '';
  // Inside an OSC 8 hyperlink the pen reads as underlined; the link is reopened instead, so text
  // printed after the snapshot joins it and the underline ends with it, as on the mirror.
  const link = readActiveLink(terminal);
  const pen = penOf(state.pen);
  if (link?.underlinedByLink) pen.flags &= ~PEN_UNDERLINE;
  out += sgrForPen(pen);
  if (link) out += `\x1b]8;${link.id ? `id=${link.id}` : ''};${link.uri}\x1b\\`;
  return out;
}

function isInitialSavedCursor(saved: SavedCursor): boolean {
  return saved.x === 0 && saved.row <= 0 && saved.charset === undefined && sgrFor(saved.pen) === '\x1b[0m';
}

/**
 * Sets the saved cursor (DECSC) of `buffer`: the saved position with the saved pen and charset (in G0,
 * shifted in). A saved line that scrolled into the scrollback is restored to the top row, which is where
 * DECRC puts the cursor then too. A wrap pending at save time (x = cols, as after a status line that
 * ends in the last column) is recreated by printing that row's last cell again, in ASCII; if that cell
 * has been erased since, it is erased again after the save, so it does not turn into a printed space.
 * `insertOn`: whether the joiner has insert mode on at this point of the snapshot.
 */
function saveCursor(terminal: Terminal, buffer: IBuffer, saved: SavedCursor, insertOn: boolean): string {
  const row = Math.max(saved.row, 0);
  const pendingWrap = saved.x >= terminal.cols;
  const position = pendingWrap
    ? designate(0, undefined) + LOCKING_SHIFTS[0] + reprintLastCell(terminal, buffer, buffer.baseY + row, row, insertOn)
    : `\x1b[${row + 1};${saved.x + 1}H`;
  let out = position + sgrFor(saved.pen) + designate(0, saved.charset) + LOCKING_SHIFTS[0] + '\x1b7';
  const last = pendingWrap ? buffer.getLine(buffer.baseY + row)?.getCell(terminal.cols - 1) : undefined;
  if (last && last.getChars() === '' && last.getWidth() === 1) out += `\x1b[${row + 1};${terminal.cols}H` + sgrFor(last) + '\x1b[X';
  return out;
}

/** SI, SO, LS2, LS3: which of G0–G3 prints. */
const LOCKING_SHIFTS = ['\x0f', '\x0e', '\x1bn', '\x1bo'];
/** SCS intermediates for G0–G3. */
const DESIGNATORS = ['(', ')', '*', '+'];

/**
 * xterm stores a charset as its translation table, so it is recognised by one entry it translates:
 * DEC line drawing (what TUIs use for borders) and the UK set. The other national replacement sets
 * are treated as ASCII; no program in use today selects them.
 */
function charsetFinal(charset: Charset): string {
  if (charset?.['q'] === '\u2500') return '0';
  if (charset?.['#'] === '\u00a3') return 'A';
  return 'B';
}

function designate(g: number, charset: Charset): string {
  return `\x1b${DESIGNATORS[g]}${charsetFinal(charset)}`;
}

/**
 * After printing in the last column the cursor sits past the edge with a wrap pending, which no
 * cursor-positioning sequence can express; printing that last cell again recreates the state.
 * `lineIndex` is the line in `buffer`, `row` the 0-based row a CUP addresses it by (relative to the
 * region in origin mode); `insert` whether insert mode is on in the joiner at this point.
 */
function reprintLastCell(terminal: Terminal, buffer: IBuffer, lineIndex: number, row: number, insert: boolean): string {
  const line = buffer.getLine(lineIndex);
  let col = terminal.cols - 1;
  let cell = line?.getCell(col);
  if (cell && cell.getWidth() === 0 && col > 0) cell = line?.getCell(--col);
  // The alternate buffer holds no lines while the normal one is shown; a blank stands in for its cell.
  if (!cell) return (insert ? '\x1b[4l' : '') + `\x1b[${row + 1};${col + 1}H\x1b[0m ` + (insert ? '\x1b[4h' : '');
  let print = sgrFor(cell) + (cell.getChars() || ' ');
  const wideBefore = col > 0 ? line?.getCell(col - 1) : undefined;
  if (col === terminal.cols - 1 && cell.getWidth() === 1 && wideBefore?.getWidth() === 2) {
    // A wide character whose right half was overwritten at the margin (see bufferSerializer.ts):
    // print the wide one, then the last cell over its right half with autowrap off.
    col -= 1;
    print = sgrFor(wideBefore) + wideBefore.getChars() + '\x1b[?7l' + print + (terminal.modes.wraparoundMode ? '\x1b[?7h' : '');
  }
  return (insert ? '\x1b[4l' : '') + `\x1b[${row + 1};${col + 1}H` + print + (insert ? '\x1b[4h' : '');
}

/** The SGR sequence that sets exactly these attributes, starting from a reset. */
export function sgrFor(attrs: AttributeSource): string {
  return sgrForPen(penOf(attrs));
}
