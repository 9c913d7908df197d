// RequestGuard: the first look at every HTTP request and WebSocket upgrade, before express or engine.io — security headers, header count, Host and Origin allowlist, connection attempts per address.

import { STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError } from '../shared/events.js';
import type { AuditLimit, Auditor } from '../audit/auditLog.js';
import { RefusalTally } from '../audit/refusalTally.js';
import type { Clock } from '../util/clock.js';
import { Disposable } from '../shared/disposable.js';
import type { ClientAddress } from '../net/clientAddress.js';
import type { NodeForwards } from '../net/nodeForwards.js';
import type { ConnectionLimiter } from './connectionLimiter.js';
import type { OriginPolicy } from './originPolicy.js';
import type { SecurityHeaders } from './securityHeaders.js';
import { engineSessionId } from '../net/engineSession.js';
import { hasTooManyHeaders, WebServerLimits, type WebServerSettings } from './webServer.js';

export const GuardLimits = {
  /** Characters of a refused Origin or Host kept in the audit record: enough to recognise, too few to flood the log. */
  MaxAuditedValue: 200,
} as const;

/** Methods that change state: a foreign Origin may not send them (CSRF), even though browsers would hide the answer. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Refusal {
  status: 403 | 429 | 431;
  code: ApiError['error']['code'];
  message: string;
  headers?: Readonly<Record<string, string>>;
}

/** A header value fit for the audit log: control characters removed, length capped. */
function auditable(value: string | undefined): string {
  if (value === undefined) return '';
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return clean.length > GuardLimits.MaxAuditedValue ? `${clean.slice(0, GuardLimits.MaxAuditedValue)}…` : clean;
}

export interface RequestGuardOptions {
  origins: OriginPolicy;
  clientAddress: ClientAddress;
  connections: ConnectionLimiter;
  headers: SecurityHeaders;
  auditor: Auditor;
  clock: Clock;
  /** engine.io's path prefix, e.g. `/socket.io/`: requests under it open or carry socket sessions. */
  enginePath: string;
  limits?: WebServerSettings;
  /**
   * Ends a socket session: engine.io answers a polling POST over its message limit with 413 but keeps the
   * session, where the same frame over WebSocket closes it; the guard closes it too.
   */
  closeSession?: (sid: string) => void;
  /**
   * Scale-out: a request another node forwarded passed that node's Host and Origin check (every node has the
   * same --allowed-origins), and names that node's Host, which may not be one of this node's defaults.
   */
  nodes?: NodeForwards;
}

/**
 * Takes over the server's 'request' and 'upgrade' listeners (express, and engine.io which attached its
 * own) and calls them only for requests that pass. A refused upgrade is answered with a real HTTP status
 * before any WebSocket exists: engine.io's own allowRequest refusal would answer an upgrade with 400.
 * Construct it after socket.io is attached.
 */
export class RequestGuard extends Disposable {
  private readonly originRefusals: RefusalTally;
  private readonly connectionRefusals: RefusalTally;
  private readonly limits: WebServerSettings;

  constructor(
    server: HttpServer,
    private readonly options: RequestGuardOptions,
  ) {
    super();
    this.limits = options.limits ?? WebServerLimits;
    this.originRefusals = this.register(new RefusalTally(options.auditor, options.clock, { event: 'origin.refused' }));
    this.connectionRefusals = this.register(new RefusalTally(options.auditor, options.clock, {
      event: 'limit.refused',
      detail: { limit: 'connections-per-address' satisfies AuditLimit },
    }));

    const requestListeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    const upgradeListeners = server.listeners('upgrade') as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
    server.removeAllListeners('request');
    server.removeAllListeners('upgrade');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      options.headers(req, res, (error) => {
        if (error) {
          res.statusCode = 500;
          res.end();
          return;
        }
        const refusal = this.check(req, false);
        if (refusal) return refuseRequest(res, refusal);
        this.closeSessionIfOversized(req, res);
        for (const listener of requestListeners) listener.call(server, req, res);
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const refusal = this.check(req, true);
      if (refusal) return refuseUpgrade(socket, refusal);
      for (const listener of upgradeListeners) listener.call(server, req, socket, head);
    });
  }

  private isEngineRequest(req: IncomingMessage): boolean {
    return (req.url ?? '').startsWith(this.options.enginePath);
  }

  private check(req: IncomingMessage, upgrade: boolean): Refusal | undefined {
    if (hasTooManyHeaders(req, this.limits)) {
      return { status: 431, code: 'bad-request', message: `too many request headers: at most ${this.limits.MaxHeaderCount}` };
    }
    const engine = upgrade || this.isEngineRequest(req);
    const { host, origin } = req.headers;
    if (this.options.nodes?.verify(req)) return undefined;
    if (!this.options.origins.allowsHost(host)) {
      this.noteOriginRefusal(req, 'host');
      return { status: 403, code: 'forbidden', message: 'the Host header does not name this server (see --allowed-origins)' };
    }
    if (origin !== undefined && (engine || STATE_CHANGING.has(req.method ?? '')) && !this.options.origins.allowsOrigin(origin)) {
      this.noteOriginRefusal(req, 'origin');
      return { status: 403, code: 'forbidden', message: 'requests from this Origin are not allowed (see --allowed-origins)' };
    }
    // A new socket session (no sid) or a WebSocket upgrade is a connection attempt; the polls of a session are not.
    if (upgrade || (engine && engineSessionId(req.url) === null)) {
      const address = this.options.clientAddress.of(req);
      const admission = this.options.connections.tryAdmit(address);
      if (!admission.ok) {
        this.connectionRefusals.note(address);
        return {
          status: 429,
          code: 'rate-limited',
          message: 'too many connection attempts from this address; try again shortly',
          headers: { 'Retry-After': String(admission.retryAfterSeconds) },
        };
      }
    }
    return undefined;
  }

  private closeSessionIfOversized(req: IncomingMessage, res: ServerResponse): void {
    const closeSession = this.options.closeSession;
    if (!closeSession || req.method !== 'POST' || !this.isEngineRequest(req)) return;
    const sid = engineSessionId(req.url);
    if (sid === null) return;
    res.once('finish', () => {
      if (res.statusCode === 413) closeSession(sid);
    });
  }

  private noteOriginRefusal(req: IncomingMessage, reason: 'host' | 'origin'): void {
    this.originRefusals.note(this.options.clientAddress.of(req), {
      reason,
      origin: auditable(req.headers.origin),
      host: auditable(req.headers.host),
    });
  }
}

function body(refusal: Refusal): string {
  const error: ApiError = { error: { code: refusal.code, message: refusal.message } };
  return JSON.stringify(error);
}

function refuseRequest(res: ServerResponse, refusal: Refusal): void {
  const text = body(refusal);
  res.statusCode = refusal.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  for (const [name, value] of Object.entries(refusal.headers ?? {})) res.setHeader(name, value);
  res.end(text);
}

/** Answers an upgrade request with a plain HTTP response and closes the connection, as ws's abortHandshake does. */
function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  // The client may reset the connection first; there is nothing left to do for it then.
  socket.on('error', () => undefined);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = body(refusal);
  const headers = {
    Connection: 'close',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...refusal.headers,
  };
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n`
    + Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
    + `\r\n${text}`,
  );
}
