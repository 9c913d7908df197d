// Cell-by-cell comparison of two xterm buffers (text, width, colours, attributes, cursor, modes).

import headless from '@xterm/headless';
import unicode11Addon from '@xterm/addon-unicode11';
import { UNICODE_VERSION } from '../../server/terminal/screenMirror.js';
import { guardEraseAbove } from '../../server/shared/xtermGuards.js';

const { Terminal } = headless;
export type HeadlessTerminal = InstanceType<typeof Terminal>;
type BufferCell = NonNullable<ReturnType<NonNullable<ReturnType<HeadlessTerminal['buffer']['active']['getLine']>>['getCell']>>;

/** A terminal configured like a browser client: same unicode version and xterm guards as the mirror. */
export function makeTerminal(cols: number, rows: number, scrollback = 10_000): HeadlessTerminal {
  const terminal = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
  terminal.loadAddon(new unicode11Addon.Unicode11Addon() as unknown as Parameters<HeadlessTerminal['loadAddon']>[0]);
  terminal.unicode.activeVersion = UNICODE_VERSION;
  guardEraseAbove(terminal);
  return terminal;
}

export function writeAsync(terminal: HeadlessTerminal, data: string): Promise<void> {
  return new Promise((resolve) => terminal.write(data, resolve));
}

/**
 * A blank cell renders like a space with the same attributes, so both compare equal. A blank's
 * foreground flags are not compared: a snapshot keeps only the background of blank cells
 * (the known gap documented at serializeHiddenState in server/terminal/snapshotState.ts).
 */
function describeCell(cell: BufferCell): string {
  const chars = cell.getChars() === '' && cell.getWidth() === 1 ? ' ' : cell.getChars();
  if (cell.getChars() === '' && cell.getWidth() === 1) {
    return `" "/w1/bg=${cell.isBgRGB() ? 'rgb' : cell.isBgPalette() ? 'pal' : 'def'}:${cell.getBgColor()}/blank`;
  }
  const colour = (mode: string, value: number): string => `${mode}:${value}`;
  const fgMode = cell.isFgRGB() ? 'rgb' : cell.isFgPalette() ? 'pal' : 'def';
  const bgMode = cell.isBgRGB() ? 'rgb' : cell.isBgPalette() ? 'pal' : 'def';
  const attrs = [
    cell.isBold(), cell.isDim(), cell.isItalic(), cell.isUnderline(), cell.isBlink(),
    cell.isInverse(), cell.isInvisible(), cell.isStrikethrough(), cell.isOverline(),
  ].map((flag) => (flag ? 1 : 0)).join('');
  return `${JSON.stringify(chars)}/w${cell.getWidth()}/fg=${colour(fgMode, cell.getFgColor())}/bg=${colour(bgMode, cell.getBgColor())}/a=${attrs}`;
}

interface Internals {
  _core: {
    buffer: { scrollTop: number; scrollBottom: number };
    coreService: { isCursorHidden: boolean };
    coreMouseService: { activeEncoding: string };
  };
}

/**
 * Differences between two terminals, at most `limit` of them: empty means the same screen, the same
 * scrollback (last `scrollbackLines` lines), the same cursor, modes and hidden state.
 */
export function diffTerminals(expected: HeadlessTerminal, actual: HeadlessTerminal, limit = 10, scrollbackLines = Infinity): string[] {
  const diffs: string[] = [];
  const note = (message: string): boolean => {
    diffs.push(message);
    return diffs.length >= limit;
  };
  if (expected.cols !== actual.cols || expected.rows !== actual.rows) {
    note(`size ${expected.cols}x${expected.rows} != ${actual.cols}x${actual.rows}`);
    return diffs;
  }
  const eb = expected.buffer.active;
  const ab = actual.buffer.active;
  if (eb.type !== ab.type) note(`active buffer ${eb.type} != ${ab.type}`);
  if (eb.cursorX !== ab.cursorX || eb.cursorY !== ab.cursorY) note(`cursor ${eb.cursorX},${eb.cursorY} != ${ab.cursorX},${ab.cursorY}`);
  const em = JSON.stringify(expected.modes);
  const am = JSON.stringify(actual.modes);
  if (em !== am) note(`modes ${em} != ${am}`);
  const ei = (expected as unknown as Internals)._core;
  const ai = (actual as unknown as Internals)._core;
  const hidden = (c: Internals['_core']): string =>
    `region=${c.buffer.scrollTop}-${c.buffer.scrollBottom} hidden=${c.coreService.isCursorHidden} mouse=${c.coreMouseService.activeEncoding}`;
  if (hidden(ei) !== hidden(ai)) note(`state ${hidden(ei)} != ${hidden(ai)}`);

  for (const which of ['normal', 'alternate'] as const) {
    const e = expected.buffer[which];
    const a = actual.buffer[which];
    const eLines = Math.min(e.length, expected.rows + scrollbackLines);
    const aLines = Math.min(a.length, actual.rows + scrollbackLines);
    if (eLines !== aLines) {
      if (note(`${which} buffer has ${eLines} lines != ${aLines}`)) return diffs;
      continue;
    }
    for (let i = 0; i < eLines; i++) {
      const el = e.getLine(e.length - eLines + i);
      const al = a.getLine(a.length - aLines + i);
      if (!el || !al) continue;
      if (el.isWrapped !== al.isWrapped && note(`${which} line ${i} wrapped ${el.isWrapped} != ${al.isWrapped}`)) return diffs;
      for (let x = 0; x < expected.cols; x++) {
        const ec = el.getCell(x);
        const ac = al.getCell(x);
        if (!ec || !ac) continue;
        const ed = describeCell(ec);
        const ad = describeCell(ac);
        if (ed !== ad && note(`${which} line ${i} col ${x}: ${ed} != ${ad}`)) return diffs;
      }
    }
  }
  return diffs;
}
