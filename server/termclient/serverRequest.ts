// The terminal client's JSON REST calls to a ttyroom server (list rooms, create one) over node:http(s), bounded in
// time and size, with every failure turned into one line a person can act on (ServerRequestError).

import http from 'node:http';
import https from 'node:https';
import type { CreatedRoom, RoomSummary } from '../shared/events.js';
import type { CreateRoomBody } from '../shared/validate.js';
import { PASSWORD_ENV, type ServerAccess } from './serverAccess.js';

export const ServerRequestLimits = {
  /** ms from sending a request to the end of its answer: a server that accepts and then says nothing must not hang a command. */
  TimeoutMs: 15_000,
  /** Bytes of answer read: a list of thousands of rooms is well under it; a wrong server streaming forever is not. */
  MaxAnswerBytes: 4 * 1024 * 1024,
} as const;

/** One request failed; `message` is the line to print (it names the server and, when there is one, the fix). */
export class ServerRequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
    /** The server's error code (`{ error: { code } }`), when it sent one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ServerRequestError';
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  /** A room capability (`Authorization: Bearer`); it takes the place of the sign-in header for this request. */
  bearer?: string;
  /** ms for the whole request; ServerRequestLimits.TimeoutMs unless a caller needs less. */
  timeoutMs?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Node's codes for a certificate that does not verify or a handshake that fails (tls and OpenSSL names). */
const TLS_ERROR = /CERT|SIGNATURE|ISSUER|SSL|TLS|EPROTO/;

function networkError(origin: string, error: NodeJS.ErrnoException): ServerRequestError {
  const code = error.code ?? error.message;
  if (TLS_ERROR.test(code)) {
    return new ServerRequestError(
      `cannot make a TLS connection to ${origin}: ${code} (${error.message}); if a private CA signed its certificate, pass --ca FILE`,
    );
  }
  return new ServerRequestError(`cannot reach ${origin}: ${code}`);
}

function answerError(origin: string, status: number, body: unknown, access: ServerAccess): ServerRequestError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  // The server's message is its own text about our request; control characters are dropped so it cannot restyle the terminal.
  const said = typeof error?.message === 'string' ? error.message.replace(/[\u0000-\u001f\u007f-\u009f]/g, '') : undefined;
  if (status === 401) {
    const message = access.authorization === undefined
      ? `the server asks for sign-in: pass --user NAME and the password in ${PASSWORD_ENV}`
      : `the server refused the sign-in: check --user NAME and the password in ${PASSWORD_ENV}`;
    return new ServerRequestError(message, status, code);
  }
  return new ServerRequestError(said === undefined ? `${origin} answered HTTP ${status}` : `${said} (HTTP ${status})`, status, code);
}

/** One JSON request to `origin` + `path`; resolves with the parsed 2xx answer, or rejects with a ServerRequestError. */
export function requestJson(origin: string, path: string, access: ServerAccess, options: RequestOptions = {}): Promise<unknown> {
  const url = new URL(path, origin);
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body), 'utf8');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  else if (access.authorization !== undefined) headers.authorization = access.authorization;
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const request = send(url, {
      method: options.method ?? 'GET',
      headers,
      // Only a CA given with --ca replaces the system's list; without it the system's CAs decide.
      ...(access.ca === undefined ? {} : { ca: access.ca }),
      // One request per command: no pooled socket that would keep the process alive after the answer.
      agent: false,
    });
    const timeoutMs = options.timeoutMs ?? ServerRequestLimits.TimeoutMs;
    const timer = setTimeout(() => {
      request.destroy(new ServerRequestError(`${origin} did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error instanceof ServerRequestError ? error : networkError(origin, error as NodeJS.ErrnoException));
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > ServerRequestLimits.MaxAnswerBytes) {
          request.destroy(new ServerRequestError(`the answer from ${origin} is larger than ${ServerRequestLimits.MaxAnswerBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        const status = response.statusCode ?? 0;
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        if (status < 200 || status >= 300) return reject(answerError(origin, status, body, access));
        if (body === undefined) return reject(new ServerRequestError(`${origin} sent an answer that is not JSON (is it a ttyroom server?)`, status));
        resolve(body);
      });
    });
    request.end(payload);
  });
}

function unexpected(origin: string, what: string): ServerRequestError {
  return new ServerRequestError(`${origin} sent ${what} that is not what a ttyroom server sends (is it one, and of this version?)`);
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** One entry of `GET /api/rooms` with every field checked, or undefined. */
export function parseRoomSummary(value: unknown): RoomSummary | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, profile, createdAt, members, cols, rows, exited, locked, approval } = value;
  if (typeof id !== 'string' || typeof name !== 'string' || typeof profile !== 'string') return undefined;
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) return undefined;
  if (!isCount(members) || !isCount(cols) || !isCount(rows)) return undefined;
  if (typeof exited !== 'boolean' || typeof locked !== 'boolean' || typeof approval !== 'boolean') return undefined;
  return { id, name, profile, createdAt, members, cols, rows, exited, locked, approval };
}

/** The `201` answer of `POST /api/rooms` with every field checked, or undefined. */
export function parseCreatedRoom(value: unknown): CreatedRoom | undefined {
  if (!isRecord(value)) return undefined;
  const fields = ['id', 'name', 'viewUrl', 'writeUrl', 'ownerUrl', 'ownerToken', 'writeToken'] as const;
  if (fields.some((field) => typeof value[field] !== 'string')) return undefined;
  const text = (field: (typeof fields)[number]): string => value[field] as string;
  return {
    id: text('id'),
    name: text('name'),
    viewUrl: text('viewUrl'),
    writeUrl: text('writeUrl'),
    ownerUrl: text('ownerUrl'),
    ownerToken: text('ownerToken'),
    writeToken: text('writeToken'),
  };
}

/** `GET /api/rooms`: the rooms this access may see, as the server lists them. */
export async function listRooms(origin: string, access: ServerAccess): Promise<RoomSummary[]> {
  const body = await requestJson(origin, '/api/rooms', access);
  if (!Array.isArray(body)) throw unexpected(origin, 'a room list');
  const rooms = body.map(parseRoomSummary);
  if (rooms.some((room) => room === undefined)) throw unexpected(origin, 'a room list');
  return rooms as RoomSummary[];
}

/** `POST /api/rooms`: creates a room; the answer holds its links and the owner's and writer's tokens. */
export async function createRoom(origin: string, access: ServerAccess, body: CreateRoomBody = {}): Promise<CreatedRoom> {
  const created = parseCreatedRoom(await requestJson(origin, '/api/rooms', access, { method: 'POST', body }));
  if (created === undefined) throw unexpected(origin, 'a created room');
  return created;
}
