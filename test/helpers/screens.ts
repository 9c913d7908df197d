// Cell-by-cell comparison of two xterm buffers (text, width, colours, attributes, cursor, modes).

import headless from '@xterm/headless';
import unicode11Addon from '@xterm/addon-unicode11';
import { UNICODE_VERSION } from '../../server/terminal/screenMirror.js';
import { guardEraseAbove } from '../../server/shared/xtermGuards.js';
import { dumpScreen, type ScreenDump } from '../../server/terminal/screenDump.js';

const { Terminal } = headless;
export type HeadlessTerminal = InstanceType<typeof Terminal>;

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
 * Differences between two screens, at most `limit` of them: empty means the same screen, the same
 * scrollback (last `scrollbackLines` lines), the same cursor, modes and hidden state. `expected` may be a
 * terminal or a dump of one (a mirror in a worker: Room.mirrorScreen()).
 */
export function diffTerminals(expected: HeadlessTerminal | ScreenDump, actual: HeadlessTerminal | ScreenDump, limit = 10, scrollbackLines = Infinity): string[] {
  const e = 'normal' in expected ? expected : dumpScreen(expected);
  const a = 'normal' in actual ? actual : dumpScreen(actual);
  const diffs: string[] = [];
  const note = (message: string): boolean => {
    diffs.push(message);
    return diffs.length >= limit;
  };
  if (e.cols !== a.cols || e.rows !== a.rows) {
    note(`size ${e.cols}x${e.rows} != ${a.cols}x${a.rows}`);
    return diffs;
  }
  if (e.active !== a.active) note(`active buffer ${e.active} != ${a.active}`);
  if (e.cursor.x !== a.cursor.x || e.cursor.y !== a.cursor.y) note(`cursor ${e.cursor.x},${e.cursor.y} != ${a.cursor.x},${a.cursor.y}`);
  if (e.modes !== a.modes) note(`modes ${e.modes} != ${a.modes}`);
  if (e.hidden !== a.hidden) note(`state ${e.hidden} != ${a.hidden}`);
  for (const which of ['normal', 'alternate'] as const) {
    const el = e[which].lines;
    const al = a[which].lines;
    const eLines = Math.min(el.length, e.rows + scrollbackLines);
    const aLines = Math.min(al.length, a.rows + scrollbackLines);
    if (eLines !== aLines) {
      if (note(`${which} buffer has ${eLines} lines != ${aLines}`)) return diffs;
      continue;
    }
    for (let i = 0; i < eLines; i++) {
      const eLine = el[el.length - eLines + i]!;
      const aLine = al[al.length - aLines + i]!;
      if (eLine === aLine) continue;
      const ec = eLine.split('\t');
      const ac = aLine.split('\t');
      if (ec[0] !== ac[0] && note(`${which} line ${i} ${ec[0]} != ${ac[0]}`)) return diffs;
      for (let x = 1; x < ec.length; x++) {
        if (ec[x] !== ac[x] && note(`${which} line ${i} col ${x - 1}: ${ec[x]} != ${ac[x]}`)) return diffs;
      }
    }
  }
  return diffs;
}
