// ScreenMirror: the headless xterm that parses every output byte; exact snapshots at a stream offset.

import headless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';
import unicode11Addon from '@xterm/addon-unicode11';
import { Disposable, toDisposable } from '../util/disposable.js';
import { Emitter } from '../util/emitter.js';
import type { SnapshotPayload } from '../protocol/events.js';
import { assertInternals, readHiddenState, type AttributesLike } from './xtermInternals.js';

const { Terminal } = headless;
const { SerializeAddon } = serializeAddon;
const { Unicode11Addon } = unicode11Addon;

/** Browser clients must activate the same unicode version, or wide characters land in other cells. */
export const UNICODE_VERSION = '11';

export interface MirrorOptions {
  cols: number;
  rows: number;
  /** Lines kept above the screen; bounds the mirror's memory and the snapshot's size. */
  scrollback: number;
}

/**
 * Parses the stream in order and knows, at every moment between event-loop turns, exactly which
 * offset its screen reflects: xterm calls a write's callback right after that chunk is parsed.
 */
export class ScreenMirror extends Disposable {
  private readonly terminal: InstanceType<typeof Terminal>;
  private readonly serializer = new SerializeAddon();
  private readonly replyEmitter = this.register(new Emitter<string>());
  /** Answers to terminal queries found in the output (DA, DSR/CPR, …): the room's one responder. */
  readonly onReply = this.replyEmitter.event;

  /** Offset of everything handed to write(). */
  private writtenOffset = 0;
  /** Offset of everything parsed: the screen reflects exactly [0, parsedOffset). */
  private parsed = 0;

  constructor(options: MirrorOptions) {
    super();
    this.terminal = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: options.scrollback,
      allowProposedApi: true,
    });
    this.register(toDisposable(() => this.terminal.dispose()));
    // The addon is typed against @xterm/xterm's Terminal; the headless one has the same API it uses.
    this.terminal.loadAddon(this.serializer as unknown as Parameters<typeof this.terminal.loadAddon>[0]);
    this.terminal.loadAddon(new Unicode11Addon() as unknown as Parameters<typeof this.terminal.loadAddon>[0]);
    this.terminal.unicode.activeVersion = UNICODE_VERSION;
    assertInternals(this.terminal);
    this.register(this.terminal.onData((reply) => this.replyEmitter.fire(reply)));
  }

  get cols(): number {
    return this.terminal.cols;
  }

  get rows(): number {
    return this.terminal.rows;
  }

  get parsedOffset(): number {
    return this.parsed;
  }

  /** Code units handed to the parser and not yet parsed: what paces the PTY. */
  get backlog(): number {
    return this.writtenOffset - this.parsed;
  }

  /** Queues `data`; `onParsed(offset)` runs right after it is parsed, with the offset it started at. */
  write(data: string, onParsed: (offset: number) => void): void {
    if (this.isDisposed) return;
    const offset = this.writtenOffset;
    this.writtenOffset += data.length;
    this.terminal.write(data, () => {
      this.parsed = offset + data.length;
      onParsed(offset);
    });
  }

  /** Runs `callback` once everything written so far is parsed. */
  afterParsed(callback: () => void): void {
    if (this.isDisposed) return;
    this.terminal.write('', () => {
      if (!this.isDisposed) callback();
    });
  }

  /** Resizes after everything written so far is parsed, so the reflow happens at that stream point. */
  resize(cols: number, rows: number, onResized: (offset: number) => void): void {
    this.afterParsed(() => {
      this.terminal.resize(cols, rows);
      onResized(this.parsed);
    });
  }

  /** Serializes the screen as it is at `parsedOffset`; synchronous, so no chunk can slip in between. */
  snapshot(): SnapshotPayload {
    return { offset: this.parsed, cols: this.terminal.cols, rows: this.terminal.rows, data: this.serialize() };
  }

  /** The visible screen as plain text lines, trailing blanks trimmed. */
  screenText(): string[] {
    const buffer = this.terminal.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.terminal.rows; y++) {
      lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    }
    return lines;
  }

  /** For tests and tools that compare screens cell by cell. */
  get xterm(): InstanceType<typeof Terminal> {
    return this.terminal;
  }

  private serialize(): string {
    return fixBlankWrappedRows(this.serializer.serialize()) + serializeHiddenState(this.terminal);
  }
}

/**
 * When a wrapped line's first row is entirely blank, the serialize addon forces the wrap with dashes
 * and erases them with `CUU; CUF 0; ECH n; CUB 0; CUD`, but terminals read a 0 count as 1, so one
 * dash survives at column 0. Cells never hold ESC, so this exact sequence only comes from the addon.
 */
const ZERO_MOVE_ERASE = /\x1b\[A\x1b\[0C(\x1b\[\d+X)\x1b\[0D\x1b\[B/g;

export function fixBlankWrappedRows(serialized: string): string {
  return serialized.replace(ZERO_MOVE_ERASE, '\x1b[A$1\x1b[B');
}

/**
 * The serialize addon restores cells, cursor position, the alternate screen and the common modes,
 * but not the scroll region, cursor visibility, mouse encoding, a wrap pending at the right edge or
 * the current pen (the attributes the next character will get). Without them a late joiner's vim
 * scrolls the wrong lines, shows a stray cursor, or paints the next output in the wrong colour, so
 * we append them. One known gap stays: a blank cell keeps only its background (the addon drops the
 * bold/underline/inverse flags of blanks, which only the filler left by a wide character wrapped
 * under such a pen carries); rewriting those blanks as spaces would change how lines reflow.
 */
export function serializeHiddenState(terminal: InstanceType<typeof Terminal>): string {
  const state = readHiddenState(terminal);
  let out = '';
  const defaultRegion = state.scrollTop === 0 && state.scrollBottom === terminal.rows - 1;
  const originMode = terminal.modes.originMode;
  if (!defaultRegion || originMode) {
    // DECSTBM and DECOM both home the cursor, so set the region with origin mode off, then origin
    // mode, then put the cursor back (relative to the region when origin mode is on, 1-based).
    const buffer = terminal.buffer.active;
    const row = originMode ? buffer.cursorY - state.scrollTop : buffer.cursorY;
    out += '\x1b[?6l';
    out += `\x1b[${state.scrollTop + 1};${state.scrollBottom + 1}r`;
    if (originMode) out += '\x1b[?6h';
    out += `\x1b[${row + 1};${buffer.cursorX + 1}H`;
  }
  if (terminal.buffer.active.cursorX >= terminal.cols) out += reprintLastCell(terminal, state.scrollTop);
  if (state.cursorHidden) out += '\x1b[?25l';
  const encodingModes: Record<string, string> = { SGR: '\x1b[?1006h', SGR_PIXELS: '\x1b[?1016h', URXVT: '\x1b[?1015h', UTF8: '\x1b[?1005h' };
  out += encodingModes[state.mouseEncoding] ?? '';
  out += sgrFor(state.pen);
  return out;
}

/**
 * After printing in the last column the cursor sits past the edge with a wrap pending, which no
 * cursor-positioning sequence can express; printing that last cell again recreates the state.
 */
function reprintLastCell(terminal: InstanceType<typeof Terminal>, scrollTop: number): string {
  const buffer = terminal.buffer.active;
  const line = buffer.getLine(buffer.baseY + buffer.cursorY);
  let col = terminal.cols - 1;
  let cell = line?.getCell(col);
  if (cell && cell.getWidth() === 0 && col > 0) cell = line?.getCell(--col);
  if (!cell) return '';
  const row = terminal.modes.originMode ? buffer.cursorY - scrollTop : buffer.cursorY;
  const insert = terminal.modes.insertMode;
  return (insert ? '\x1b[4l' : '') + `\x1b[${row + 1};${col + 1}H` + sgrFor(cell) + (cell.getChars() || ' ') + (insert ? '\x1b[4h' : '');
}

/** The SGR sequence that sets exactly these attributes, starting from a reset. */
export function sgrFor(attrs: AttributesLike): string {
  const params: string[] = ['0'];
  if (attrs.isBold()) params.push('1');
  if (attrs.isDim()) params.push('2');
  if (attrs.isItalic()) params.push('3');
  if (attrs.isUnderline()) params.push('4');
  if (attrs.isBlink()) params.push('5');
  if (attrs.isInverse()) params.push('7');
  if (attrs.isInvisible()) params.push('8');
  if (attrs.isStrikethrough()) params.push('9');
  if (attrs.isOverline()) params.push('53');
  params.push(...colourParams(attrs.isFgRGB(), attrs.isFgPalette(), attrs.getFgColor(), 30, 38));
  params.push(...colourParams(attrs.isBgRGB(), attrs.isBgPalette(), attrs.getBgColor(), 40, 48));
  return `\x1b[${params.join(';')}m`;
}

/** Palette colours 0–7 use the short codes so the output matches what programs usually emit. */
function colourParams(rgb: boolean, palette: boolean, colour: number, base: number, extended: number): string[] {
  if (rgb) return [String(extended), '2', String((colour >> 16) & 0xff), String((colour >> 8) & 0xff), String(colour & 0xff)];
  if (!palette) return [];
  if (colour < 8) return [String(base + colour)];
  if (colour < 16) return [String(base + 60 + colour - 8)];
  return [String(extended), '5', String(colour)];
}
