// asciicast v2 lines (https://docs.asciinema.org/manual/asciicast/v2/): the header and the events, each one line
// of JSON, written and read back. v2 rather than v3: the asciinema CLI that Debian and Ubuntu ship (2.x) opens
// only v1 and v2 ("only asciicast v1 and v2 formats can be opened"), while asciinema 3.x and asciinema-player
// read v2 as well.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

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

/** One event read back from a recording. */
export interface AsciicastEvent {
  /** Seconds since the recording's start. */
  time: number;
  code: string;
  data: string;
}

/**
 * Reads a recording line by line (never the whole file in memory): the header, then each event in order. Only
 * the first `length` bytes are read (a file being written grows meanwhile); a line that does not parse (a torn
 * last line) is skipped. Yields nothing for a file without a v2 header.
 */
export async function* readAsciicast(path: string, length: number): AsyncGenerator<AsciicastHeader | AsciicastEvent> {
  if (length <= 0) return;
  const lines = createInterface({ input: createReadStream(path, { start: 0, end: length - 1 }), crlfDelay: Infinity });
  let header: AsciicastHeader | undefined;
  for await (const line of lines) {
    const value = parseLine(line);
    if (!header) {
      if (!isHeader(value)) return;
      // v2 makes the start time optional: without it, times count from the epoch rather than failing.
      header = { ...value, timestamp: Number.isInteger(value.timestamp) ? value.timestamp : 0 };
      yield header;
      continue;
    }
    if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'number' && typeof value[1] === 'string' && typeof value[2] === 'string') {
      yield { time: value[0], code: value[1], data: value[2] };
    }
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    // A torn line (a write the server was killed in the middle of): the rest of the file still counts.
    return undefined;
  }
}

function isHeader(value: unknown): value is AsciicastHeader {
  const header = value as Partial<AsciicastHeader> | undefined;
  return typeof header === 'object' && header !== null && header.version === 2
    && Number.isInteger(header.width) && Number.isInteger(header.height);
}

/**
 * Bytes of the file that end with its last whole line: what is read of a recording that may be being written,
 * by this server or, for the operator's commands, another process.
 */
export async function wholeLinesLength(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const block = Buffer.alloc(Math.min(size, WHOLE_LINE_SEARCH_BLOCK));
    for (let end = size; end > 0; end -= block.length) {
      const start = Math.max(0, end - block.length);
      const { bytesRead } = await handle.read(block, 0, end - start, start);
      const newline = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (newline !== -1) return start + newline + 1;
    }
    return 0;
  } finally {
    await handle.close();
  }
}

/** Bytes read at a time from the end of a recording when looking for its last newline (a line is rarely longer). */
const WHOLE_LINE_SEARCH_BLOCK = 64 * 1024;
