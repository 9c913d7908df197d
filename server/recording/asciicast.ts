// asciicast v2 lines (https://docs.asciinema.org/manual/asciicast/v2/): the header and the events, each one line
// of JSON. v2 rather than v3: the asciinema CLI that Debian and Ubuntu ship (2.x) opens only v1 and v2 ("only
// asciicast v1 and v2 formats can be opened"), while asciinema 3.x and asciinema-player read v2 as well.

/** The event codes this server writes: output, input, resize, marker. */
export type AsciicastCode = 'o' | 'i' | 'r' | 'm';

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time of the recording's start, in whole seconds. */
  timestamp: number;
  title: string;
  env: { TERM: string };
}

/** What the room's terminal is to programs inside it (node-pty's default name). */
export const RECORDED_TERM_TYPE = 'xterm-256color';

/** The media type asciinema registers for .cast files. */
export const ASCIICAST_MEDIA_TYPE = 'application/x-asciicast';

export function headerLine(header: AsciicastHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/** One event: `[time, code, data]`, the time in seconds since the recording's start (milliseconds in). */
export function eventLine(elapsedMs: number, code: AsciicastCode, data: string): string {
  return `${JSON.stringify([Math.max(0, elapsedMs) / 1000, code, data])}\n`;
}

/** A resize event's data: "COLSxROWS". */
export function sizeData(cols: number, rows: number): string {
  return `${cols}x${rows}`;
}
