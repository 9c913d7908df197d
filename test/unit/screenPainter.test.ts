// ScreenPainter: a room's headless xterm painted into a second headless xterm playing the local terminal equals it cell by cell (text, widths, colours, attributes), with its cursor and input modes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHeadlessTerminal, type HeadlessTerminal } from '../../server/terminal/headlessTerminal.js';
import { readHiddenState } from '../../server/terminal/xtermInternals.js';
import { dumpScreen } from '../../server/terminal/screenDump.js';
import { DEFAULT_PEN, penOf, samePen } from '../../server/terminal/bufferSerializer.js';
import { ScreenPainter, type PaintView } from '../../server/termclient/screenPainter.js';
import { createWorkload, seededRandom } from '../fixtures/workload.mjs';
import { writeAsync } from '../helpers/screens.js';

const COLS = 50;
const ROWS = 12;
/** Lines kept above the screen: the painter draws the screen only, so a little is enough to scroll. */
const SCROLLBACK = 50;

const SYNC_START = '\x1b[?2026h';
const SYNC_END = '\x1b[?2026l';

/** Colours of every kind, every attribute, wide and combining characters, coloured erases and gaps. */
const RICH = [
  '\x1b[31mred\x1b[0m \x1b[97mbright-white\x1b[0m \x1b[42mgreen-bg\x1b[0m \x1b[105mbright-bg\x1b[0m\r\n',
  '\x1b[38;5;208m256\x1b[48;5;17m navy-bg\x1b[0m \x1b[38;2;1;2;3mrgb\x1b[48;2;250;128;0m rgb-bg\x1b[0m\r\n',
  '\x1b[1mbold\x1b[0m \x1b[2mdim\x1b[0m \x1b[3mitalic\x1b[0m \x1b[4munder\x1b[0m \x1b[5mblink\x1b[0m\r\n',
  '\x1b[7minverse\x1b[0m \x1b[8minvisible\x1b[0m \x1b[9mstrike\x1b[0m \x1b[53mover\x1b[0m\r\n',
  '\x1b[1;2;3;4;5;7;9;53;38;5;33;48;2;9;9;9mall at once\x1b[0m\r\n',
  'wide 漢字カナ 👍 combining e\u0301 a\u0308\u0301 end\r\n',
  '\x1b[44m\x1b[K blue to the edge\x1b[0m\r\n',
  '\x1b[41m\x1b[5X\x1b[0m gap \x1b[10Cafter a jump\r\n',
  '   spaces   \x1b[4m   \x1b[0m',
  '\x1b[10;20H\x1b[32mplaced\x1b[0m',
].join('');

/** A full-screen program: alternate screen, a scroll region scrolled under a background, hidden cursor, its input modes. */
const FULL_SCREEN = [
  '\x1b[?1049h\x1b[H\x1b[2J',
  '\x1b[7m header of a full-screen program \x1b[0m',
  '\x1b[3;8r\x1b[8;1H',
  ...Array.from({ length: 9 }, (_, i) => `\x1b[43mregion line ${i}\x1b[0m\n`),
  '\x1b[12;1H\x1b[1;7m-- INSERT --\x1b[0m',
  '\x1b[?25l\x1b[?1h\x1b=\x1b[?2004h\x1b[6 q',
  '\x1b[5;7H',
].join('');

type Terminal = HeadlessTerminal;

function terminal(cols: number, rows: number): Terminal {
  return createHeadlessTerminal({ cols, rows, scrollback: SCROLLBACK }).terminal;
}

/** Each cell of the visible screen, described as test/helpers/screens.ts compares them. */
function screenCells(t: Terminal): string[][] {
  const dump = dumpScreen(t);
  return dump[dump.active].lines.slice(-t.rows).map((line) => line.split('\t').slice(1));
}

const BLANK_CELL = ((): string => {
  const fresh = terminal(2, 2);
  const cell = screenCells(fresh)[0]![0]!;
  fresh.dispose();
  return cell;
})();

/** A cell erased with the background of `described` (a cut wide character is drawn so). */
function blankWithBackgroundOf(described: string): string {
  const bg = /\/bg=([a-z]+:-?\d+)/.exec(described)?.[1];
  return `" "/w1/bg=${bg}/blank`;
}

/** The layout the painter promises, worked out here independently. */
function expectedLayout(source: Terminal, view: PaintView): { rows: number; cols: number; statusRow: number | undefined } {
  const statusRow = view.status === undefined ? undefined : view.rows - 1;
  return { rows: Math.min(source.rows, statusRow ?? view.rows), cols: Math.min(source.cols, view.cols), statusRow };
}

/** Differences between what the local terminal shows and the room's screen in this view; empty when equal. */
function differences(source: Terminal, local: Terminal, view: PaintView, limit = 8): string[] {
  const diffs: string[] = [];
  const layout = expectedLayout(source, view);
  const sourceCells = screenCells(source);
  const localCells = screenCells(local);
  if (local.cols !== view.cols || local.rows !== view.rows) return [`local terminal is ${local.cols}x${local.rows}, view ${view.cols}x${view.rows}`];
  for (let y = 0; y < view.rows && diffs.length < limit; y++) {
    if (y === layout.statusRow) {
      diffs.push(...statusDifferences(local, y, view.status ?? ''));
      continue;
    }
    for (let x = 0; x < view.cols && diffs.length < limit; x++) {
      let expected = BLANK_CELL;
      if (y < layout.rows && x < layout.cols) {
        expected = sourceCells[y]![x]!;
        if (x === layout.cols - 1 && expected.includes('/w2/')) expected = blankWithBackgroundOf(expected);
      }
      const actual = localCells[y]![x]!;
      if (actual !== expected) diffs.push(`row ${y} col ${x}: expected ${expected}, painted ${actual}`);
    }
  }

  const sourceState = readHiddenState(source);
  const localState = readHiddenState(local);
  const cursorX = Math.min(source.buffer.active.cursorX, source.cols - 1);
  const cursorY = source.buffer.active.cursorY;
  const shown = !sourceState.cursorHidden && cursorX < layout.cols && cursorY < layout.rows;
  if (localState.cursorHidden === shown) diffs.push(`cursor ${shown ? 'hidden' : 'shown'}, expected ${shown ? 'shown' : 'hidden'}`);
  if (shown && (local.buffer.active.cursorX !== cursorX || local.buffer.active.cursorY !== cursorY)) {
    diffs.push(`cursor at ${local.buffer.active.cursorX},${local.buffer.active.cursorY}, expected ${cursorX},${cursorY}`);
  }
  if (localState.cursorStyle !== sourceState.cursorStyle || localState.cursorBlink !== sourceState.cursorBlink) {
    diffs.push(`cursor style ${localState.cursorStyle}/${localState.cursorBlink}, expected ${sourceState.cursorStyle}/${sourceState.cursorBlink}`);
  }
  const modes = (t: Terminal): string => JSON.stringify([t.modes.applicationCursorKeysMode, t.modes.applicationKeypadMode, t.modes.bracketedPasteMode]);
  if (modes(local) !== modes(source)) diffs.push(`modes ${modes(local)}, expected ${modes(source)}`);
  if (!local.modes.wraparoundMode || local.modes.synchronizedOutputMode) diffs.push('autowrap or synchronized output left in the wrong state');
  if (!samePen(penOf(localState.pen), DEFAULT_PEN)) diffs.push('a frame ends with attributes on');
  return diffs;
}

function statusDifferences(local: Terminal, y: number, status: string): string[] {
  const line = local.buffer.active.getLine(local.buffer.active.baseY + y)!;
  const text = line.translateToString(false, 0, local.cols);
  const expected = status.replace(/[\p{Cc}]/gu, '').slice(0, local.cols).padEnd(local.cols);
  const diffs = text === expected ? [] : [`status line ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`];
  for (let x = 0; x < local.cols; x++) {
    const cell = line.getCell(x)!;
    if (!cell.isInverse() || !cell.isFgDefault() || !cell.isBgDefault() || cell.isBold() || cell.isUnderline()) {
      diffs.push(`status line col ${x} is not plain reverse video`);
      break;
    }
  }
  return diffs;
}

/** The local terminal: a shell screen the user had before attaching, then the painter's alternate screen. */
async function attachedTerminal(view: PaintView, painter: ScreenPainter): Promise<Terminal> {
  const local = terminal(view.cols, view.rows);
  await writeAsync(local, 'user$ ttyroom attach …');
  await writeAsync(local, painter.enter());
  return local;
}

async function paint(painter: ScreenPainter, local: Terminal, view: PaintView, full = false): Promise<string> {
  const frame = painter.frame(view, full);
  await writeAsync(local, frame);
  return frame;
}

/** Local rows a frame moves to the start of: the rows it repaints. */
function repaintedRows(frame: string): number[] {
  return [...frame.matchAll(/\x1b\[(\d+);1H/g)].map((m) => Number(m[1]) - 1);
}

test('same size: colours of every kind, every attribute, wide and combining characters', async () => {
  const source = terminal(COLS, ROWS);
  await writeAsync(source, RICH);
  const painter = new ScreenPainter(source);
  const view = { cols: COLS, rows: ROWS };
  const local = await attachedTerminal(view, painter);
  await paint(painter, local, view);
  assert.deepEqual(differences(source, local, view), []);
  local.dispose();
  source.dispose();
});

test('same size: a full-screen program on the alternate screen with a scroll region, hidden cursor and its input modes', async () => {
  const source = terminal(COLS, ROWS);
  await writeAsync(source, RICH + FULL_SCREEN);
  assert.equal(source.buffer.active.type, 'alternate');
  const painter = new ScreenPainter(source);
  const view = { cols: COLS, rows: ROWS };
  const local = await attachedTerminal(view, painter);
  await paint(painter, local, view);
  assert.deepEqual(differences(source, local, view), []);
  assert.equal(readHiddenState(local).cursorHidden, true);
  assert.equal(local.modes.applicationCursorKeysMode, true);
  assert.equal(readHiddenState(local).cursorStyle, 'bar');

  // The program shows the cursor again and leaves its modes: the local terminal follows.
  await writeAsync(source, '\x1b[?25h\x1b[?1l\x1b>\x1b[?2004l\x1b[0 q\x1b[?1049l');
  await paint(painter, local, view);
  assert.deepEqual(differences(source, local, view), []);
  assert.equal(local.modes.applicationCursorKeysMode, false);
  local.dispose();
  source.dispose();
});

test('local terminal larger: the grid at the top-left, blank beyond it, the status line on the last row', async () => {
  const source = terminal(COLS, ROWS);
  await writeAsync(source, RICH);
  const painter = new ScreenPainter(source);
  const view: PaintView = { cols: COLS + 17, rows: ROWS + 6, status: 'alice is typing · viewer' };
  const local = await attachedTerminal(view, painter);
  await paint(painter, local, view);
  assert.deepEqual(differences(source, local, view), []);
  // Without the status line the grid is still at the top and the last row is blank again.
  const plain = { cols: view.cols, rows: view.rows };
  await paint(painter, local, plain);
  assert.deepEqual(differences(source, local, plain), []);
  local.dispose();
  source.dispose();
});

test('local terminal smaller: the grid is cut (a cut wide character is left blank), the cursor hidden when outside', async () => {
  const source = terminal(COLS, ROWS);
  await writeAsync(source, RICH + '\x1b[1;30H漢\x1b[45m字\x1b[0m\x1b[2;29H\x1b[46mカナ\x1b[0m\x1b[11;45H');
  const painter = new ScreenPainter(source);
  const view: PaintView = { cols: 30, rows: 8, status: 'the room is 50x12, your terminal 30x8' };
  const local = await attachedTerminal(view, painter);
  assert.equal(painter.layout(view).cut, true);
  await paint(painter, local, view);
  assert.deepEqual(differences(source, local, view), []);
  assert.equal(readHiddenState(local).cursorHidden, true, 'the cursor is outside the painted part');

  await writeAsync(source, '\x1b[3;4H');
  await paint(painter, local, view);
  assert.deepEqual(differences(source, local, view), []);
  assert.equal(readHiddenState(local).cursorHidden, false, 'the cursor is inside the painted part');
  local.dispose();
  source.dispose();
});

test('a frame repaints only the rows that changed; a frame after no change is empty', async () => {
  const source = terminal(COLS, ROWS);
  await writeAsync(source, RICH);
  const painter = new ScreenPainter(source);
  const view = { cols: COLS, rows: ROWS, status: 'status' };
  const local = await attachedTerminal(view, painter);
  await paint(painter, local, view);
  assert.equal(painter.frame(view), '', 'nothing changed');

  await writeAsync(source, '\x1b[4;3H\x1b[35mZ\x1b[0m');
  const frame = await paint(painter, local, view);
  assert.deepEqual(repaintedRows(frame), [3]);
  assert.deepEqual(differences(source, local, view), []);

  await writeAsync(source, '\x1b[7;9H');
  const cursorOnly = await paint(painter, local, view);
  assert.deepEqual(repaintedRows(cursorOnly), [], 'a cursor move repaints no row');
  assert.deepEqual(differences(source, local, view), []);

  await writeAsync(source, '\x1b[?2004h');
  const modeOnly = await paint(painter, local, view);
  assert.equal(modeOnly, `${SYNC_START}\x1b[?2004h${SYNC_END}`, 'a mode change sends only that mode');

  const statusOnly = await paint(painter, local, { ...view, status: 'new status' });
  assert.deepEqual(repaintedRows(statusOnly), [ROWS - 1]);
  assert.equal(painter.frame({ ...view, status: 'new status' }), '');
  local.dispose();
  source.dispose();
});

test('the status line is plain text: control characters dropped, cut to the width, nothing coloured after it', async () => {
  const source = terminal(COLS, ROWS);
  await writeAsync(source, RICH);
  const painter = new ScreenPainter(source);
  const status = '\x1b[31mred?\x1b]0;title\x07 \u202eevil\r\n' + 'x'.repeat(80);
  const view = { cols: COLS, rows: ROWS + 1, status };
  const local = await attachedTerminal(view, painter);
  const frame = await paint(painter, local, view);
  assert.ok(!frame.includes('\x1b[31m') && !frame.includes('\x1b]'), 'nothing of the status text is sent as a sequence');
  const text = local.buffer.active.getLine(ROWS)!.translateToString(false);
  assert.equal(text, ('[31mred?]0;title evil' + 'x'.repeat(80)).slice(0, COLS));
  assert.deepEqual(differences(source, local, { ...view, status: text }), []);
  local.dispose();
  source.dispose();
});

test('leave() sets back every mode the frames set and returns to the user\'s screen', async () => {
  const source = terminal(COLS, ROWS);
  await writeAsync(source, RICH + FULL_SCREEN);
  const painter = new ScreenPainter(source);
  const view = { cols: COLS, rows: ROWS };
  const local = await attachedTerminal(view, painter);
  const fresh = terminal(COLS, ROWS);
  await paint(painter, local, view);
  assert.notDeepEqual(local.modes, fresh.modes, 'the frame set modes');

  await writeAsync(local, painter.leave());
  assert.deepEqual(local.modes, fresh.modes);
  assert.equal(local.buffer.active.type, 'normal');
  assert.equal(local.buffer.active.getLine(0)!.translateToString(true), 'user$ ttyroom attach …');
  const state = readHiddenState(local);
  assert.equal(state.cursorHidden, false);
  assert.equal(state.cursorStyle, undefined);
  assert.ok(samePen(penOf(state.pen), DEFAULT_PEN));
  fresh.dispose();
  local.dispose();
  source.dispose();
});

/** Workload chunks per seed. */
const CHUNKS = 60;
const SOURCE_RESIZE_CHANCE = 0.08;
const LOCAL_RESIZE_CHANCE = 0.08;
const STATUS_CHANCE = 0.2;

for (const seed of [1, 2, 3]) {
  test(`a seeded workload painted frame after frame stays equal to the room's screen (seed ${seed})`, async () => {
    const random = seededRandom(seed + 100);
    const int = (n: number): number => Math.floor(random() * n);
    const nextChunk = createWorkload(seed);
    const source = terminal(80, 24);
    const painter = new ScreenPainter(source);
    let view: PaintView = { cols: 80, rows: 24 };
    let local = await attachedTerminal(view, painter);
    let answers = '';
    let subscription = local.onData((data) => (answers += data));
    for (let i = 0; i < CHUNKS; i++) {
      await writeAsync(source, nextChunk());
      if (random() < SOURCE_RESIZE_CHANCE) source.resize(40 + int(60), 8 + int(24));
      let full = false;
      if (random() < LOCAL_RESIZE_CHANCE) {
        view = { cols: 30 + int(80), rows: 6 + int(30) };
        local.resize(view.cols, view.rows);
        full = true;
      }
      if (random() < STATUS_CHANCE) view = { ...view, status: random() < 0.5 ? undefined : `chunk ${i}` };
      const frame = await paint(painter, local, view, full);
      assert.ok(frame === '' || (frame.startsWith(SYNC_START) && frame.endsWith(SYNC_END)), 'a frame is synchronized output');
      assert.ok(!frame.includes('\x1b]'), "the room's own sequences (titles, links) never reach the local terminal");
      assert.deepEqual(differences(source, local, view), [], `after chunk ${i}`);
      assert.equal(painter.frame(view), '', `a second frame after chunk ${i} is empty`);
      if (i === CHUNKS / 2) {
        // Something else wrote to the local terminal (a message on stderr): a full frame draws it all again.
        subscription.dispose();
        local.dispose();
        local = terminal(view.cols, view.rows);
        subscription = local.onData((data) => (answers += data));
        await paint(painter, local, view, true);
        assert.deepEqual(differences(source, local, view), [], 'after a full frame');
      }
    }
    assert.equal(answers, '', 'no frame made the local terminal answer');
    subscription.dispose();
    local.dispose();
    source.dispose();
  });
}
