// xterm.js options that the server's mirror and the browser client share for safety: every window
// operation and report (XTWINOPS, `CSI Ps t`) off. Platform-neutral, so the client imports it too.

import type { IWindowOptions } from '@xterm/headless';

/**
 * All off, spelled out rather than left to xterm's defaults, so a change of default cannot turn one on.
 * Reports (title, icon label, sizes, position, state) would put program-chosen bytes into the PTY's input:
 * `CSI 21 t` after a title holding a newline and a command types that command (the classic xterm title
 * report attack). Window manipulation would let a program resize or move a viewer's browser window, and
 * the title stack is not needed by anything a shared terminal shows.
 */
export const NO_WINDOW_OPERATIONS = {
  restoreWin: false,
  minimizeWin: false,
  setWinPosition: false,
  setWinSizePixels: false,
  raiseWin: false,
  lowerWin: false,
  refreshWin: false,
  setWinSizeChars: false,
  maximizeWin: false,
  fullscreenWin: false,
  getWinState: false,
  getWinPosition: false,
  getWinSizePixels: false,
  getScreenSizePixels: false,
  getCellSizePixels: false,
  getWinSizeChars: false,
  getScreenSizeChars: false,
  getIconTitle: false,
  getWinTitle: false,
  pushTitle: false,
  popTitle: false,
  setWinLines: false,
} as const satisfies Required<IWindowOptions>;
