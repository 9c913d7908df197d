// asciicast v3 lines (https://docs.asciinema.org/manual/asciicast/v3/): the header and the events, each one line of JSON.

/** The event codes this server writes: output, input, resize, marker, exit. */
export type AsciicastCode = 'o' | 'i' | 'r' | 'm' | 'x';

export interface AsciicastHeader {
  version: 3;
  term: { cols: number; rows: number; type: string };
  /** Unix time of the recording's start, in whole seconds. */
  timestamp: number;
  title: string;
}

/** What the room's terminal is to programs inside it (node-pty's default name). */
export const RECORDED_TERM_TYPE = 'xterm-256color';

/** The media type asciinema registers for .cast files. */
export const ASCIICAST_MEDIA_TYPE = 'application/x-asciicast';

export function headerLine(header: AsciicastHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/**
 * One event: `[interval, code, data]`, the interval in seconds since the previous event (v3's rule; v2 had
 * time since the start). Milliseconds in, so at most three decimals come out.
 */
export function eventLine(intervalMs: number, code: AsciicastCode, data: string): string {
  return `${JSON.stringify([Math.max(0, intervalMs) / 1000, code, data])}\n`;
}

/** A resize event's data: "COLSxROWS". */
export function sizeData(cols: number, rows: number): string {
  return `${cols}x${rows}`;
}
