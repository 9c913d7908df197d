// A QR code of a room link drawn in a terminal with half blocks, two modules a character cell, in explicit
// black on white so a phone reads it off a projector whatever the terminal's colour scheme.

import { create } from 'qrcode';

/** The quiet zone around the code, in modules: the QR specification asks for four; phones manage with two. */
const QUIET_ZONE_MODULES = 2;
/** Upper half block: its foreground paints the upper module, its background the lower one. */
const UPPER_HALF = '\u2580';
/** SGR colours: 30/40 black (a dark module), 97/107 bright white (a light one), 0 back to the terminal's own. */
const DARK_FG = 30;
const LIGHT_FG = 97;
const DARK_BG = 40;
const LIGHT_BG = 107;
const RESET = '\x1b[0m';

/** The code as lines for a terminal (ANSI colours), about (21 + 4) / 2 rows for a short link. Error correction M. */
export function terminalQr(text: string): string[] {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size + 2 * QUIET_ZONE_MODULES;
  const dark = (row: number, col: number): boolean => {
    const r = row - QUIET_ZONE_MODULES;
    const c = col - QUIET_ZONE_MODULES;
    return r >= 0 && c >= 0 && r < modules.size && c < modules.size && modules.get(r, c) === 1;
  };
  const lines: string[] = [];
  for (let row = 0; row < size; row += 2) {
    let line = '';
    for (let col = 0; col < size; col++) {
      const fg = dark(row, col) ? DARK_FG : LIGHT_FG;
      const bg = row + 1 < size && dark(row + 1, col) ? DARK_BG : LIGHT_BG;
      line += `\x1b[${fg};${bg}m${UPPER_HALF}`;
    }
    lines.push(`${line}${RESET}`);
  }
  return lines;
}
