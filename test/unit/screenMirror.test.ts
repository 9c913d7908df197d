// ScreenMirror round trip: write, snapshot, replay into a fresh terminal, compare cell by cell.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import headless from '@xterm/headless';
import { ScreenMirror } from '../../server/terminal/screenMirror.js';
import { sgrFor } from '../../server/terminal/snapshotState.js';
import { readHiddenState } from '../../server/terminal/xtermInternals.js';
import { diffTerminals, makeTerminal, writeAsync } from '../helpers/screens.js';

const COLS = 40;
const ROWS = 12;

async function mirrorOf(content: string, cols = COLS, rows = ROWS): Promise<ScreenMirror> {
  const mirror = new ScreenMirror({ cols, rows, scrollback: 200 });
  await new Promise<void>((resolve) => mirror.write(content, () => resolve()));
  return mirror;
}

/** Snapshot the mirror, write the snapshot into a fresh terminal, return the differences. */
async function roundTrip(content: string): Promise<string[]> {
  const mirror = await mirrorOf(content);
  try {
    const snapshot = mirror.snapshot();
    assert.equal(snapshot.offset, content.length, 'the snapshot is taken at the end of what was written');
    const replay = makeTerminal(snapshot.cols, snapshot.rows, 200);
    await writeAsync(replay, snapshot.data);
    const diffs = diffTerminals(mirror.xterm, replay);
    replay.dispose();
    return diffs;
  } finally {
    mirror.dispose();
  }
}

const lines = (n: number, prefix: string): string => Array.from({ length: n }, (_, i) => `${prefix} ${i}\r\n`).join('');

const CASES: Record<string, string> = {
  'plain text with scrollback': lines(60, 'line'),
  'SGR 16, 256 and truecolour, fg and bg': '\x1b[31mred\x1b[42mgreen-bg\x1b[0m \x1b[38;5;208morange\x1b[48;5;17m navy\x1b[0m \x1b[38;2;1;2;3mrgb\x1b[48;2;250;128;0mrgbbg\x1b[0m\r\n\x1b[91mbright\x1b[0m',
  'attributes: bold dim italic underline blink inverse invisible strike overline':
    '\x1b[1mB\x1b[0m\x1b[2mD\x1b[0m\x1b[3mI\x1b[0m\x1b[4mU\x1b[0m\x1b[5mK\x1b[0m\x1b[7mR\x1b[0m\x1b[8mH\x1b[0m\x1b[9mS\x1b[0m\x1b[53mO\x1b[0m\x1b[1;3;4;38;5;99mall\x1b[0m',
  'wide CJK and emoji': '漢字かなカナ 한국어\r\n👍🏽 🇩🇪 ❤️ 👨‍👩‍👧 end\r\n' + '中'.repeat(25),
  'cursor position mid-screen': lines(5, 'x') + '\x1b[7;13Hhere\x1b[3;5H',
  'alternate screen with content on both': lines(20, 'normal') + '\x1b[?1049h\x1b[2J\x1b[H\x1b[44malt screen\x1b[0m\x1b[5;10Hcursor',
  'scroll region': lines(12, 'r') + '\x1b[3;9r\x1b[9;1H\r\nscrolled\x1b[4;2H',
  'modes: app cursor, app keypad, bracketed paste, mouse drag + SGR encoding, focus, hidden cursor':
    'vim-like\x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?1004h\x1b[?25l',
  'origin mode inside a region, autowrap off': '\x1b[2;10r\x1b[?6h\x1b[?7lorigin' + 'w'.repeat(60),
  'pending pen: colour set but nothing printed yet': 'before\x1b[1;35;48;2;10;20;30m',
  'wrapped long lines': 'a'.repeat(COLS * 3 + 7) + '\r\n' + 'b'.repeat(COLS + 1),
  'insert mode and erase': 'hello world\x1b[1;3H\x1b[4hXY\x1b[K',
  'a wrapped line whose first row was erased (serialize addon CUF 0 bug)': 'top\r\n' + 'z'.repeat(COLS + 5) + '\x1b[2;1H\x1b[2K\x1b[5;1Hafter',
  'wrap pending after the last column': 'x'.repeat(COLS * 2) ,
  'wrap pending after a wide character in the last two columns, insert mode on': 'y'.repeat(COLS - 2) + '\x1b[44m中\x1b[0m\x1b[4h',
  'a coloured wrap at the bottom: the scrolled-in line takes that background (BCE)':
    lines(ROWS, 'fill') + '\x1b[41m' + 'w'.repeat(COLS + 5) + '\x1b[0m\x1b[3X  gap\r\n',
  'blank cells with their own background between text': 'a\x1b[44m\x1b[5X\x1b[0m\x1b[6Cb\x1b[45m\x1b[K\x1b[0m',
  'a wide character that did not fit wraps to the next row': 'z'.repeat(COLS - 1) + '\x1b[32m漢\x1b[0m',
  'a wrapped row that starts blank': 'q'.repeat(COLS) + ' \x1b[D\x1b[X\x1b[5Cafter',
  'the right half of a wide character overwritten at the margin with autowrap off':
    'y'.repeat(COLS - 2) + '字\x1b[?7lX\x1b[?7h',
};

/** Output that reveals state no cell shows: where ESC 8 goes, which charset prints, where 1049l lands. */
const CONTINUED: Record<string, [content: string, continuation: string]> = {
  'saved cursor (DECSC) with pen': ['\x1b[5;7H\x1b[35m\x1b7\x1b[0m\x1b[1;1Hmoved', '\x1b8restored'],
  'line drawing charset in G0': ['\x1b(0lqq', 'qqk\x1b(B'],
  'line drawing through G1 shifted in': ['\x1b)0\x0emq', 'qj\x0f text'],
  'alternate screen entered from a saved cursor, left again': ['top\r\n\x1b[3;4H\x1b[33m\x1b[?1049h\x1b[0malt', '\x1b[?1049lback'],
  "the normal screen's scroll region while the alternate screen is active": ['\x1b[2;6r\x1b[?1049h', '\x1b[?1049l\x1b[6;1H\r\n\r\nscrolled'],
  'the alternate screen keeps its saved cursor between visits': ['\x1b[?1047h\x1b[4;9H\x1b7\x1b[?1047l', '\x1b[?1047h\x1b8here'],
  'a CSI sequence cut in half by the snapshot': ['before\x1b[1;3', '1mred'],
  'an OSC title cut in half by the snapshot': ['\x1b]0;half', ' title\x07after'],
  'a hyperlink being printed': ['\x1b]8;;https://example.com/\x1b\\li', 'nk\x1b]8;;\x1b\\ plain'],
  'cursor shape (DECSCUSR)': ['\x1b[5 q', ''],
};

for (const [name, [content, continuation]] of Object.entries(CONTINUED)) {
  test(`round trip, then the same output on both: ${name}`, async () => {
    const mirror = await mirrorOf(content);
    const replay = makeTerminal(COLS, ROWS, 200);
    await writeAsync(replay, mirror.snapshot().data);
    await new Promise<void>((resolve) => mirror.write(continuation, () => resolve()));
    await writeAsync(replay, continuation);
    assert.deepEqual(diffTerminals(mirror.xterm, replay), []);
    assert.deepEqual(readHiddenState(replay).cursorStyle, readHiddenState(mirror.xterm).cursorStyle);
    mirror.dispose();
    replay.dispose();
  });
}

test('xterm 6.0 still throws on ED 1 at the bottom-right corner (remove guardEraseAbove once it does not)', async () => {
  const raw = new headless.Terminal({ cols: 10, rows: 3, allowProposedApi: true });
  const inputHandler = (raw as unknown as { _core: { _inputHandler: { parse(data: string): void } } })._core._inputHandler;
  assert.throws(() => inputHandler.parse('\x1b[3;10H\x1b[1J'), /isWrapped/);
  raw.dispose();
});

test('ED 1 at the bottom-right corner erases the screen instead of crashing the server', async () => {
  const mirror = await mirrorOf('one\r\ntwo\x1b[999;999H\x1b[1J\x1b[?1049hthree\x1b[999;999H\x1b[?1J');
  assert.deepEqual(mirror.screenText().filter((line) => line !== ''), [], 'everything above and at the cursor is erased');
  await new Promise<void>((resolve) => mirror.write('\x1b[Hstill parsing', () => resolve()));
  assert.equal(mirror.screenText()[0], 'still parsing');
  mirror.dispose();
});

for (const [name, content] of Object.entries(CASES)) {
  test(`round trip: ${name}`, async () => {
    assert.deepEqual(await roundTrip(content), []);
  });
}

test('the pen is part of the snapshot: the next output gets the right colour', async () => {
  const content = 'prompt \x1b[32m';
  const mirror = await mirrorOf(content);
  const replay = makeTerminal(COLS, ROWS);
  await writeAsync(replay, mirror.snapshot().data);
  await new Promise<void>((resolve) => mirror.write('green', () => resolve()));
  await writeAsync(replay, 'green');
  assert.deepEqual(diffTerminals(mirror.xterm, replay), []);
  const cell = replay.buffer.active.getLine(0)!.getCell(7)!;
  assert.equal(cell.isFgPalette(), true);
  assert.equal(cell.getFgColor(), 2);
  mirror.dispose();
  replay.dispose();
});

test('without the hidden-state suffix the scroll region would be lost (the comparison can fail)', async () => {
  const mirror = await mirrorOf('\x1b[3;9r');
  const replay = makeTerminal(COLS, ROWS);
  const serialized = mirror.snapshot().data;
  const withoutRegion = serialized.replace('\x1b[3;9r', '');
  await writeAsync(replay, withoutRegion);
  assert.notDeepEqual(diffTerminals(mirror.xterm, replay), []);
  mirror.dispose();
  replay.dispose();
});

test('sgrFor encodes exactly the attributes of a cell', async () => {
  const mirror = await mirrorOf('\x1b[1;4;38;5;200;48;2;1;2;3mX');
  const cell = mirror.xterm.buffer.active.getLine(0)!.getCell(0)!;
  assert.equal(sgrFor(cell), '\x1b[0;1;4;38;5;200;48;2;1;2;3m');
  mirror.dispose();
});

test('the private xterm fields the snapshot reads exist and track the terminal (pins the @xterm/headless upgrade)', async () => {
  const mirror = await mirrorOf('\x1b[2;5r\x1b[?25l\x1b[?1000h\x1b[?1006h\x1b[1m');
  const state = readHiddenState(mirror.xterm);
  assert.equal(state.scrollTop, 1);
  assert.equal(state.scrollBottom, 4);
  assert.equal(state.cursorHidden, true);
  assert.equal(state.mouseEncoding, 'SGR');
  assert.ok(state.pen.isBold(), 'bold pen');
  mirror.dispose();
});

test('offsets: parsedOffset follows writes in order, and snapshots are taken at the parsed offset', async () => {
  const mirror = new ScreenMirror({ cols: COLS, rows: ROWS, scrollback: 100 });
  const starts: number[] = [];
  const chunks = ['abc', '\x1b[31mdef', '😀x', ''];
  await new Promise<void>((resolve) => {
    for (const chunk of chunks) mirror.write(chunk, (offset) => starts.push(offset));
    mirror.afterParsed(resolve);
  });
  assert.deepEqual(starts, [0, 3, 11, 14]);
  assert.equal(mirror.parsedOffset, 14);
  assert.equal(mirror.backlog, 0);
  assert.equal(mirror.snapshot().offset, 14);
  mirror.dispose();
});

test('terminal queries in the output are answered by the mirror', async () => {
  const mirror = new ScreenMirror({ cols: COLS, rows: ROWS, scrollback: 100 });
  const replies: string[] = [];
  mirror.onReply((reply) => replies.push(reply));
  await new Promise<void>((resolve) => mirror.write('ab\x1b[6n\x1b[c', () => resolve()));
  assert.deepEqual(replies, ['\x1b[1;3R', '\x1b[?1;2c']);
  mirror.dispose();
});

/** Every XTWINOPS report xterm knows (`CSI Ps t`): states, positions, sizes, icon label and window title. */
const WINDOW_REPORTS = [11, 13, 14, 15, 16, 18, 19, 20, 21].map((ps) => `\x1b[${ps}t`);

test('window reports and clipboard requests get no answer from the mirror: nothing a program set comes back as input', async () => {
  const mirror = new ScreenMirror({ cols: COLS, rows: ROWS, scrollback: 100 });
  const replies: string[] = [];
  mirror.onReply((reply) => replies.push(reply));
  const title = '\x1b]2;x\ntouch /tmp/pwned\n\x07';
  const clipboard = '\x1b]52;c;aGVsbG8=\x07\x1b]52;c;?\x07';
  // DECRQSS for a setting that does not exist, holding a newline and a command: xterm once echoed it back.
  const badDecrqss = '\x1bP$q\ntouch /tmp/pwned\n\x1b\\';
  await new Promise<void>((resolve) => mirror.write(title + WINDOW_REPORTS.join('') + clipboard + badDecrqss + '\x1b[c', () => resolve()));
  // Only the "invalid request" answer (no payload echoed) and the device attributes the test asked for last.
  assert.deepEqual(replies, ['\x1bP0$r\x1b\\', '\x1b[?1;2c']);
  mirror.dispose();
});

test('malformed sequences in the output are not logged: a program cannot flood the server log', async (t) => {
  const logged: unknown[][] = [];
  for (const method of ['error', 'warn', 'info', 'log', 'debug'] as const) {
    t.mock.method(console, method, (...args: unknown[]) => logged.push(args));
  }
  const mirror = new ScreenMirror({ cols: COLS, rows: ROWS, scrollback: 100 });
  // ESC then a character no escape sequence has: xterm's parser reports a parsing error for each.
  await new Promise<void>((resolve) => mirror.write('\x1b\u202e'.repeat(50) + 'after', () => resolve()));
  t.mock.restoreAll();
  assert.deepEqual(logged, []);
  assert.match(mirror.screenText()[0]!, /after/, 'the parser recovered');
  mirror.dispose();
});

test('the screen text is the screen, wherever the terminal\'s viewport was left scrolled', async () => {
  const mirror = new ScreenMirror({ cols: COLS, rows: ROWS, scrollback: 100 });
  const lines = Array.from({ length: ROWS * 3 }, (_, i) => `line ${i}`);
  await new Promise<void>((resolve) => mirror.write(lines.join('\r\n'), () => resolve()));
  // What xterm does to a viewport in some states (a full scrollback being trimmed, a reflow): it stays up there.
  mirror.xterm.scrollLines(-ROWS);
  assert.notEqual(mirror.xterm.buffer.active.viewportY, mirror.xterm.buffer.active.baseY, 'the viewport is scrolled up');
  assert.deepEqual(mirror.screenText(), lines.slice(-ROWS), 'the last screenful, not the viewport\'s lines');
  mirror.dispose();
});

test('resize happens at the stream point it was queued at', async () => {
  const mirror = new ScreenMirror({ cols: 20, rows: 5, scrollback: 100 });
  let resizedAt = -1;
  let colsSeenByEarlierWrite = -1;
  mirror.write('x'.repeat(30), () => {
    colsSeenByEarlierWrite = mirror.cols;
  });
  mirror.resize(10, 5, (offset) => {
    resizedAt = offset;
  });
  await new Promise<void>((resolve) => mirror.afterParsed(resolve));
  assert.equal(colsSeenByEarlierWrite, 20);
  assert.equal(resizedAt, 30);
  assert.equal(mirror.cols, 10);
  mirror.dispose();
});
