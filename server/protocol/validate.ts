// Validators for every incoming payload: `unknown` in, the typed value or undefined out (STYLE.md rule 3).

import type { AckPayload, JoinRequest, ResizePayload } from './events.js';
import { PayloadLimits, TerminalSize } from './limits.js';

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A whole number of cells within [min, max]; strings, fractions, NaN and Infinity are refused, not coerced. */
export function parseDimension(value: unknown, min: number, max: number): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  if (value < min || value > max) return undefined;
  return value;
}

/** The `{ cols, rows }` of a payload that may carry more (a snapshot, a resize event in the stream). */
export function parseSize(value: unknown): ResizePayload | undefined {
  if (!isRecord(value)) return undefined;
  const cols = parseDimension(value.cols, TerminalSize.MinCols, TerminalSize.MaxCols);
  const rows = parseDimension(value.rows, TerminalSize.MinRows, TerminalSize.MaxRows);
  if (cols === undefined || rows === undefined) return undefined;
  return { cols, rows };
}

/** A client's `term:resize`: exactly `{ cols, rows }`; a field that is not in the protocol is refused. */
export function parseResize(value: unknown): ResizePayload | undefined {
  if (!isRecord(value) || Object.keys(value).some((key) => key !== 'cols' && key !== 'rows')) return undefined;
  return parseSize(value);
}

export function parseOffset(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return undefined;
  return value === 0 ? 0 : value; // normalises -0
}

export function parseAck(value: unknown): AckPayload | undefined {
  if (!isRecord(value)) return undefined;
  const offset = parseOffset(value.offset);
  return offset === undefined ? undefined : { offset };
}

export function parseInput(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > PayloadLimits.MaxInputChunk) return undefined;
  return value;
}

export function parseId(value: unknown, maxLength: number = PayloadLimits.MaxIdLength): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) return undefined;
  return ID_PATTERN.test(value) ? value : undefined;
}

/**
 * Display names: control characters (C0, DEL, C1) and bidi overrides are removed so a name cannot
 * restyle a terminal or the page, then the result is cut to the name limit. Empty means "no name".
 */
export function sanitizeName(value: unknown, maxLength: number = PayloadLimits.MaxNameLength): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = value
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim();
  if (cleaned.length === 0) return undefined;
  return Array.from(cleaned).slice(0, maxLength).join('').trimEnd();
}

export function parseJoin(value: unknown): JoinRequest | undefined {
  if (!isRecord(value)) return undefined;
  const roomId = parseId(value.roomId);
  if (roomId === undefined) return undefined;
  const request: JoinRequest = { roomId };
  if (value.token !== undefined) {
    const token = parseId(value.token, PayloadLimits.MaxTokenLength);
    if (token === undefined) return undefined;
    request.token = token;
  }
  if (value.name !== undefined) {
    if (typeof value.name !== 'string') return undefined;
    const name = sanitizeName(value.name);
    if (name !== undefined) request.name = name;
  }
  if (value.resumeFrom !== undefined) {
    const resumeFrom = parseOffset(value.resumeFrom);
    if (resumeFrom === undefined) return undefined;
    request.resumeFrom = resumeFrom;
  }
  if (value.acks !== undefined) {
    if (typeof value.acks !== 'boolean') return undefined;
    request.acks = value.acks;
  }
  return request;
}

export interface CreateRoomBody {
  name?: string;
  profile?: string;
  cols?: number;
  rows?: number;
}

/** Body of POST /api/rooms; returns an error message instead of the value when it is not acceptable. */
export function parseCreateRoom(value: unknown): CreateRoomBody | string {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) return 'body must be a JSON object';
  const body: CreateRoomBody = {};
  if (value.name !== undefined) {
    if (typeof value.name !== 'string') return 'name must be a string';
    if (value.name.length > PayloadLimits.MaxRoomNameLength) {
      return `name must be at most ${PayloadLimits.MaxRoomNameLength} characters`;
    }
    const name = sanitizeName(value.name, PayloadLimits.MaxRoomNameLength);
    if (name !== undefined) body.name = name;
  }
  if (value.profile !== undefined) {
    const profile = parseId(value.profile, PayloadLimits.MaxProfileLength);
    if (profile === undefined) return 'profile must be a profile name';
    body.profile = profile;
  }
  if (value.cols !== undefined) {
    const cols = parseDimension(value.cols, TerminalSize.MinCols, TerminalSize.MaxCols);
    if (cols === undefined) return `cols must be a whole number from ${TerminalSize.MinCols} to ${TerminalSize.MaxCols}`;
    body.cols = cols;
  }
  if (value.rows !== undefined) {
    const rows = parseDimension(value.rows, TerminalSize.MinRows, TerminalSize.MaxRows);
    if (rows === undefined) return `rows must be a whole number from ${TerminalSize.MinRows} to ${TerminalSize.MaxRows}`;
    body.rows = rows;
  }
  const known = new Set(['name', 'profile', 'cols', 'rows']);
  const unknownKey = Object.keys(value).find((key) => !known.has(key));
  if (unknownKey !== undefined) return `unknown field "${unknownKey}"`;
  return body;
}
