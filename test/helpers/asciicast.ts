// A strict asciicast v2 reader for tests (the spec, docs.asciinema.org/manual/asciicast/v2), and a replay of a
// recording into a fresh headless xterm configured like the mirror.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeTerminal, writeAsync, type HeadlessTerminal } from './screens.js';

export interface Cast {
  header: { version: 2; width: number; height: number; timestamp?: number; title?: string; env?: Record<string, string> };
  events: Array<{ time: number; code: string; data: string }>;
}

const CODES = new Set(['o', 'i', 'r', 'm']);

/**
 * Parses a whole recording, failing on anything the spec does not allow: a header without its required
 * fields, an event that is not `[time, code, data]`, times that are not numbers or go backwards, a resize
 * whose data is not COLSxROWS, or a last line without its newline (a torn write).
 */
export function parseCast(text: string): Cast {
  assert.ok(text.endsWith('\n'), 'the file ends with a whole line');
  const lines = text.slice(0, -1).split('\n');
  const header = JSON.parse(lines[0]!) as Cast['header'];
  assert.equal(header.version, 2, 'version 2');
  for (const key of ['width', 'height'] as const) {
    assert.ok(Number.isInteger(header[key]) && header[key] > 0, `header ${key} is a positive integer`);
  }
  if (header.timestamp !== undefined) assert.ok(Number.isInteger(header.timestamp), 'timestamp is an integer');
  const events: Cast['events'] = [];
  let last = 0;
  for (const [i, line] of lines.slice(1).entries()) {
    const event = JSON.parse(line) as unknown;
    assert.ok(Array.isArray(event) && event.length === 3, `line ${i + 2} is a 3-element array`);
    const [time, code, data] = event as [unknown, unknown, unknown];
    assert.ok(typeof time === 'number' && Number.isFinite(time) && time >= last, `line ${i + 2}: time ${String(time)} is a number, not before ${last}`);
    assert.ok(typeof code === 'string' && CODES.has(code), `line ${i + 2}: known code ${String(code)}`);
    assert.equal(typeof data, 'string', `line ${i + 2}: data is a string`);
    if (code === 'r') assert.match(data as string, /^\d+x\d+$/, `line ${i + 2}: resize data`);
    last = time;
    events.push({ time, code, data: data as string });
  }
  return { header, events };
}

export function readCast(path: string): Cast {
  return parseCast(readFileSync(path, 'utf8'));
}

/** What a player shows: a terminal of the header's size fed every output and resize event in order. */
export async function replayCast(cast: Cast, scrollback?: number): Promise<HeadlessTerminal> {
  const terminal = makeTerminal(cast.header.width, cast.header.height, scrollback);
  for (const { code, data } of cast.events) {
    if (code === 'o') await writeAsync(terminal, data);
    else if (code === 'r') {
      const [cols, rows] = data.split('x').map(Number);
      terminal.resize(cols!, rows!);
    }
  }
  return terminal;
}

export function markers(cast: Cast): string[] {
  return cast.events.filter((event) => event.code === 'm').map((event) => event.data);
}

/** Input events, each with the member named by the last `typing:` marker before it. */
export function attributedInput(cast: Cast): Array<{ memberId: string | undefined; data: string }> {
  let typist: string | undefined;
  const input: Array<{ memberId: string | undefined; data: string }> = [];
  for (const event of cast.events) {
    if (event.code === 'm' && event.data.startsWith('typing: ')) typist = /\[([^\]]+)\]$/.exec(event.data)?.[1];
    if (event.code === 'i') input.push({ memberId: typist, data: event.data });
  }
  return input;
}
