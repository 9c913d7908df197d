// The few private @xterm/headless fields the snapshot needs and the serialize addon leaves out.
// Kept in one place, shape-checked at construction, and pinned by test/unit/screenMirror.test.ts.

import type { Terminal } from '@xterm/headless';

/** The attribute accessors xterm's AttributeData shares with the public IBufferCell. */
export interface AttributesLike {
  isBold(): number;
  isDim(): number;
  isItalic(): number;
  isUnderline(): number;
  isBlink(): number;
  isInverse(): number;
  isInvisible(): number;
  isStrikethrough(): number;
  isOverline(): number;
  isFgRGB(): boolean;
  isBgRGB(): boolean;
  isFgPalette(): boolean;
  isBgPalette(): boolean;
  isFgDefault(): boolean;
  isBgDefault(): boolean;
  getFgColor(): number;
  getBgColor(): number;
}

interface CoreShape {
  buffer: { scrollTop: number; scrollBottom: number };
  coreService: { isCursorHidden: boolean };
  coreMouseService: { activeEncoding: string };
  _inputHandler: { _curAttrData: AttributesLike };
}

export interface HiddenTerminalState {
  scrollTop: number;
  scrollBottom: number;
  cursorHidden: boolean;
  mouseEncoding: string;
  pen: AttributesLike;
}

function core(terminal: Terminal): CoreShape {
  return (terminal as unknown as { _core: CoreShape })._core;
}

/** Throws when an @xterm/headless upgrade moved a field we read, instead of silently serializing less. */
export function assertInternals(terminal: Terminal): void {
  const c = core(terminal);
  const ok =
    typeof c?.buffer?.scrollTop === 'number' &&
    typeof c.buffer.scrollBottom === 'number' &&
    typeof c.coreService?.isCursorHidden === 'boolean' &&
    typeof c.coreMouseService?.activeEncoding === 'string' &&
    typeof c._inputHandler?._curAttrData?.isBold === 'function';
  if (!ok) throw new Error('@xterm/headless internals changed: snapshot state cannot be read');
}

export function readHiddenState(terminal: Terminal): HiddenTerminalState {
  const c = core(terminal);
  return {
    scrollTop: c.buffer.scrollTop,
    scrollBottom: c.buffer.scrollBottom,
    cursorHidden: c.coreService.isCursorHidden,
    mouseEncoding: c.coreMouseService.activeEncoding,
    pen: c._inputHandler._curAttrData,
  };
}
