// ScreenDump: every cell, the cursor, modes and hidden state of a terminal as plain data, so a screen held in a
// mirror worker can be compared cell by cell with a member's (tests, diagnostics). Never sent to members.

import type { Terminal } from '@xterm/headless';

type BufferCell = NonNullable<ReturnType<NonNullable<ReturnType<Terminal['buffer']['active']['getLine']>>['getCell']>>;

export interface DumpedBuffer {
  /** One entry per line, oldest first: the wrap flag, then each cell's description, joined by tabs. */
  lines: string[];
}

export interface ScreenDump {
  cols: number;
  rows: number;
  active: 'normal' | 'alternate';
  cursor: { x: number; y: number };
  /** The public modes, as JSON. */
  modes: string;
  /** Scroll region, cursor visibility and mouse encoding (private fields). */
  hidden: string;
  normal: DumpedBuffer;
  alternate: DumpedBuffer;
}

interface Internals {
  _core: {
    buffer: { scrollTop: number; scrollBottom: number };
    coreService: { isCursorHidden: boolean };
    coreMouseService: { activeEncoding: string };
  };
}

/**
 * A blank cell renders like a space with the same background, so both describe alike. A blank's
 * foreground flags are left out: a snapshot keeps only the background of blank cells (the known gap
 * documented at serializeHiddenState in snapshotState.ts).
 */
function describeCell(cell: BufferCell): string {
  if (cell.getChars() === '' && cell.getWidth() === 1) {
    return `" "/w1/bg=${cell.isBgRGB() ? 'rgb' : cell.isBgPalette() ? 'pal' : 'def'}:${cell.getBgColor()}/blank`;
  }
  const fgMode = cell.isFgRGB() ? 'rgb' : cell.isFgPalette() ? 'pal' : 'def';
  const bgMode = cell.isBgRGB() ? 'rgb' : cell.isBgPalette() ? 'pal' : 'def';
  const attrs = [
    cell.isBold(), cell.isDim(), cell.isItalic(), cell.isUnderline(), cell.isBlink(),
    cell.isInverse(), cell.isInvisible(), cell.isStrikethrough(), cell.isOverline(),
  ].map((flag) => (flag ? 1 : 0)).join('');
  return `${JSON.stringify(cell.getChars())}/w${cell.getWidth()}/fg=${fgMode}:${cell.getFgColor()}/bg=${bgMode}:${cell.getBgColor()}/a=${attrs}`;
}

function dumpBuffer(terminal: Terminal, which: 'normal' | 'alternate'): DumpedBuffer {
  const buffer = terminal.buffer[which];
  const cell = buffer.getNullCell();
  const lines: string[] = [];
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (!line) continue;
    const cells: string[] = [line.isWrapped ? 'wrapped' : 'unwrapped'];
    for (let x = 0; x < terminal.cols; x++) {
      const c = line.getCell(x, cell);
      cells.push(c ? describeCell(c) : '-');
    }
    lines.push(cells.join('\t'));
  }
  return { lines };
}

export function dumpScreen(terminal: Terminal): ScreenDump {
  const core = (terminal as unknown as Internals)._core;
  const active = terminal.buffer.active;
  return {
    cols: terminal.cols,
    rows: terminal.rows,
    active: active.type,
    cursor: { x: active.cursorX, y: active.cursorY },
    modes: JSON.stringify(terminal.modes),
    hidden: `region=${core.buffer.scrollTop}-${core.buffer.scrollBottom} hidden=${core.coreService.isCursorHidden} mouse=${core.coreMouseService.activeEncoding}`,
    normal: dumpBuffer(terminal, 'normal'),
    alternate: dumpBuffer(terminal, 'alternate'),
  };
}
