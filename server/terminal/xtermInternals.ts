// The few private @xterm/headless fields the snapshot needs beyond the public API, and the parse guard.
// Kept in one place, shape-checked at construction, and pinned by test/unit/screenMirror.test.ts.

import type { Terminal } from '@xterm/headless';
import type { AttributeSource } from './bufferSerializer.js';

/** A character set as xterm stores it: a map from ASCII to replacement, undefined for plain ASCII. */
export type Charset = Record<string, string> | undefined;

interface BufferShape {
  ybase: number;
  scrollTop: number;
  scrollBottom: number;
  savedX: number;
  /** Absolute line index (ybase + y) at DECSC time. */
  savedY: number;
  savedCurAttrData: AttributeSource;
  savedCharset: Charset;
}

interface CoreShape {
  /** Parses `data` now, on the caller's stack (xterm's write() parses later, on a timer, in slices of up to 12 ms). */
  writeSync(data: string): void;
  buffer: { scrollTop: number; scrollBottom: number };
  buffers: { normal: BufferShape; alt: BufferShape };
  coreService: { isCursorHidden: boolean; decPrivateModes: { cursorStyle?: CursorStyle; cursorBlink?: boolean } };
  coreMouseService: { activeEncoding: string };
  unicodeService: { getStringCellWidth(text: string): number };
  _oscLinkService: { getLinkData(urlId: number): { id?: string; uri: string } | undefined };
  _inputHandler: {
    parse: (...args: unknown[]) => unknown;
    _curAttrData: AttributeSource & { fg: number; extended: { urlId: number; underlineStyle: number; _ext: number } };
    _parser: { currentState: number };
    _charsetService: { glevel: number; _charsets: Charset[]; charset: Charset };
  };
}

/** The cursor, pen and charset DECSC saved in one buffer, restored by DECRC or leaving the alt screen. */
export interface SavedCursor {
  x: number;
  /** Row on the screen, 0-based; negative when the saved line has scrolled into the scrollback. */
  row: number;
  pen: AttributeSource;
  charset: Charset;
}

/** DECSCUSR shapes; undefined is the user's configured default. */
export type CursorStyle = 'block' | 'underline' | 'bar';

export interface HiddenTerminalState {
  cursorStyle: CursorStyle | undefined;
  cursorBlink: boolean | undefined;
  scrollTop: number;
  scrollBottom: number;
  cursorHidden: boolean;
  mouseEncoding: string;
  pen: AttributeSource;
  savedCursor: { normal: SavedCursor; alternate: SavedCursor };
  /** The normal screen's scroll region, which stays set while the alternate screen is active. */
  normalRegion: { top: number; bottom: number };
  /** Designated G0–G3 sets and the one shifted in (SI/SO/LS2/LS3). */
  charsets: Charset[];
  glevel: number;
}

/** xterm's EscapeSequenceParser state between sequences; anything else means one is half-read. */
export const PARSER_GROUND_STATE = 0;

function core(terminal: Terminal): CoreShape {
  return (terminal as unknown as { _core: CoreShape })._core;
}

/** Throws when an @xterm/headless upgrade moved a field we read, instead of silently serializing less. */
export function assertInternals(terminal: Terminal): void {
  const c = core(terminal);
  const bufferOk = (b: BufferShape | undefined): boolean =>
    typeof b?.ybase === 'number' && typeof b.scrollTop === 'number' && typeof b.scrollBottom === 'number' && typeof b.savedX === 'number' && typeof b.savedY === 'number' &&
    typeof b.savedCurAttrData?.isBold === 'function';
  const ok =
    typeof c?.writeSync === 'function' &&
    typeof c.buffer?.scrollTop === 'number' &&
    typeof c.buffer.scrollBottom === 'number' &&
    bufferOk(c.buffers?.normal) &&
    bufferOk(c.buffers?.alt) &&
    typeof c.coreService?.isCursorHidden === 'boolean' &&
    typeof c.coreService.decPrivateModes === 'object' &&
    typeof c.coreMouseService?.activeEncoding === 'string' &&
    typeof c.unicodeService?.getStringCellWidth === 'function' &&
    typeof c._inputHandler?.parse === 'function' &&
    typeof c._inputHandler._curAttrData?.isBold === 'function' &&
    typeof c._inputHandler._curAttrData.extended?.urlId === 'number' &&
    typeof c._inputHandler._curAttrData.extended._ext === 'number' &&
    typeof c._oscLinkService?.getLinkData === 'function' &&
    typeof c._inputHandler._parser?.currentState === 'number' &&
    typeof c._inputHandler._charsetService?.glevel === 'number' &&
    Array.isArray(c._inputHandler._charsetService._charsets);
  if (!ok) throw new Error('@xterm/headless internals changed: snapshot state cannot be read');
}

function savedCursor(buffer: BufferShape): SavedCursor {
  return { x: buffer.savedX, row: buffer.savedY - buffer.ybase, pen: buffer.savedCurAttrData, charset: buffer.savedCharset };
}

export function readHiddenState(terminal: Terminal): HiddenTerminalState {
  const c = core(terminal);
  const charsets = c._inputHandler._charsetService;
  return {
    cursorStyle: c.coreService.decPrivateModes.cursorStyle,
    cursorBlink: c.coreService.decPrivateModes.cursorBlink,
    scrollTop: c.buffer.scrollTop,
    scrollBottom: c.buffer.scrollBottom,
    cursorHidden: c.coreService.isCursorHidden,
    mouseEncoding: c.coreMouseService.activeEncoding,
    pen: c._inputHandler._curAttrData,
    savedCursor: { normal: savedCursor(c.buffers.normal), alternate: savedCursor(c.buffers.alt) },
    normalRegion: { top: c.buffers.normal.scrollTop, bottom: c.buffers.normal.scrollBottom },
    charsets: [0, 1, 2, 3].map((g) => charsets._charsets[g]),
    glevel: charsets.glevel,
  };
}

/** Whether the parser is between sequences, so the next character starts fresh. */
export function parserIsInGround(terminal: Terminal): boolean {
  return core(terminal)._inputHandler._parser.currentState === PARSER_GROUND_STATE;
}

/**
 * Catches what xterm throws while parsing (its bugs, reachable from program output): uncaught, it
 * would end the server and every room in it. The chunk's remaining output is lost to this screen.
 */
export function catchParseErrors(terminal: Terminal, onError: (error: unknown) => void): void {
  const handler = core(terminal)._inputHandler;
  const parse = handler.parse.bind(handler);
  handler.parse = (...args: unknown[]): unknown => {
    try {
      return parse(...args);
    } catch (error) {
      onError(error);
      return undefined;
    }
  };
}

/** xterm's FgFlags.UNDERLINE and ExtFlags.UNDERLINE_STYLE: the underline SGR 4 / 4:x set. */
const UNDERLINE_FLAG = 0x10000000;
const UNDERLINE_STYLE_MASK = 0x1c000000;

/**
 * The OSC 8 hyperlink the next printed text joins, if any. xterm reports text in a link as
 * underlined (dashed), so `underlinedByLink` says the pen's underline comes only from the link.
 */
export function readActiveLink(terminal: Terminal): { uri: string; id: string | undefined; underlinedByLink: boolean } | undefined {
  const c = core(terminal);
  const pen = c._inputHandler._curAttrData;
  const urlId = pen.extended.urlId;
  const data = urlId ? c._oscLinkService.getLinkData(urlId) : undefined;
  if (!data) return undefined;
  const ownUnderline = (pen.fg & UNDERLINE_FLAG) !== 0 || (pen.extended._ext & UNDERLINE_STYLE_MASK) !== 0;
  return { uri: data.uri, id: data.id, underlinedByLink: !ownUnderline };
}

/** Cells `text` takes in this terminal's grid (its unicode version), for text drawn beside the grid. */
export function stringCellWidth(terminal: Terminal, text: string): number {
  return core(terminal).unicodeService.getStringCellWidth(text);
}

/** Parses `data` synchronously, so the mirror decides how big a slice of parsing holds up the thread. */
export function parseNow(terminal: Terminal, data: string): void {
  core(terminal).writeSync(data);
}
