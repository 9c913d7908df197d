// The QR code share prints: read back from its half blocks and colours, it is exactly the code of the link
// (module for module, with a light quiet zone), in black on bright white whatever the terminal's colours.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from 'qrcode';
import { terminalQr } from '../../server/termclient/terminalQr.js';

/** The modules a drawn code shows: true for dark, row by row, two rows per line (upper half block). */
function readBack(lines: string[]): boolean[][] {
  const rows: boolean[][] = [];
  for (const line of lines) {
    const upper: boolean[] = [];
    const lower: boolean[] = [];
    for (const match of line.matchAll(/\x1b\[(\d+);(\d+)m\u2580/g)) {
      const [fg, bg] = [Number(match[1]), Number(match[2])];
      assert.ok([30, 97].includes(fg) && [40, 107].includes(bg), `explicit black or bright white only, got ${fg};${bg}`);
      upper.push(fg === 30);
      lower.push(bg === 40);
    }
    rows.push(upper, lower);
  }
  return rows;
}

test('the drawn code is the link\'s QR code with a light quiet zone, and each line ends back at the terminal\'s colours', () => {
  const link = 'http://192.0.2.2:7681/r/BVXzM5UrqEcpH7SA';
  const lines = terminalQr(link);
  for (const line of lines) assert.ok(line.endsWith('\x1b[0m'), 'the colours end with the line');
  const drawn = readBack(lines);
  const { modules } = create(link, { errorCorrectionLevel: 'M' });
  const quiet = (drawn[0]!.length - modules.size) / 2;
  assert.ok(quiet >= 2 && Number.isInteger(quiet), `a quiet zone of ${quiet} modules around the code`);
  for (let row = 0; row < drawn.length; row++) {
    for (let col = 0; col < drawn[row]!.length; col++) {
      const r = row - quiet;
      const c = col - quiet;
      const inside = r >= 0 && c >= 0 && r < modules.size && c < modules.size;
      const expected = inside && modules.get(r, c) === 1;
      assert.equal(drawn[row]![col], expected, `module ${row},${col}`);
    }
  }
  assert.ok(drawn.length >= modules.size + 2 * quiet, 'every row of the code is drawn');
});
