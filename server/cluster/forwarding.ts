// Forwards an HTTP request about a room this node does not hold (/api/rooms/:id/...) to the node that runs it or keeps its record, and streams the answer back.

import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { Request, RequestHandler, Response } from 'express';
import { ForwardHeaders, type NodeForwards } from '../net/nodeForwards.js';
import type { ClientAddress } from '../net/clientAddress.js';
import { sendError } from '../net/errors.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { parseId } from '../shared/validate.js';
import { log } from '../util/logger.js';

export const ForwardTiming = {
  /** A node that accepts no connection within this long (ms) is taken as unreachable: the caller gets 503 and may retry. */
  ConnectTimeoutMs: 5_000,
  /** A forwarded exchange silent this long (ms) is given up; a recording streams continuously, so only a hung node is cut. */
  IdleTimeoutMs: 30_000,
} as const;

export const ForwardLimits = {
  /** Connections kept open to each other node: forwarded requests are a room's REST calls, few at a time. */
  MaxSocketsPerNode: 16,
} as const;

/** Headers that belong to one connection (RFC 9110 §7.6.1), never passed from one hop to the next. */
const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

export interface ForwardingOptions {
  /** Whether this node can answer for the room itself: it runs it, or its record is here. */
  knowsRoom(roomId: string): boolean;
  /** The URL of the node to forward to (RoomDirectory.homeOf). */
  homeOf(roomId: string): Promise<string | undefined>;
  nodes: NodeForwards;
  clientAddress: ClientAddress;
}

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && !Object.values(ForwardHeaders).includes(name as never)) kept[name] = value;
  }
  return kept;
}

export class Forwarding extends Disposable {
  /** Forwarded requests so far, by how they ended (the metrics read it). */
  private readonly outcomes = { answered: 0, unavailable: 0 };
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: ForwardLimits.MaxSocketsPerNode }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: ForwardLimits.MaxSocketsPerNode }),
  };

  constructor(private readonly options: ForwardingOptions) {
    super();
    this.register(toDisposable(() => {
      this.agents.http.destroy();
      this.agents.https.destroy();
    }));
  }

  /**
   * Mounted at `/api/rooms/:id` before the API: a request for a room this node does not know goes to the room's
   * node, which checks the credential as it would from its own clients. Everything else passes to the API.
   */
  readonly middleware: RequestHandler = (req, res, next) => {
    const roomId = parseId(req.params.id);
    // A request a node forwarded is answered here or nowhere: two nodes with stale views never bounce it.
    if (roomId === undefined || this.options.nodes.claimsNode(req) || this.options.knowsRoom(roomId)) return next();
    void this.options.homeOf(roomId).then((home) => {
      if (home === undefined) return next();
      this.forward(req, res, home);
    }, next);
  };

  /** Forwarded requests so far: answered by the room's node (whatever its status), or not reachable. */
  counts(): { answered: number; unavailable: number } {
    return { ...this.outcomes };
  }

  /** The room's node cannot be reached (or not proven to, before the node key was read): the caller may retry. */
  private unavailable(res: Response): void {
    this.outcomes.unavailable++;
    sendError(res, 'unavailable', 'this room is on another node, which cannot be reached now; try again shortly');
  }

  private forward(req: Request, res: Response, home: string): void {
    const key = this.options.nodes.currentKey();
    if (key === undefined) return this.unavailable(res);
    const target = new URL(req.originalUrl, home);
    const secure = target.protocol === 'https:';
    const headers: IncomingHttpHeaders = {
      ...withoutHopByHop(req.headers),
      [ForwardHeaders.key]: key,
      [ForwardHeaders.client]: this.options.clientAddress.of(req),
      [ForwardHeaders.proto]: req.protocol,
    };
    const upstream = (secure ? httpsRequest : httpRequest)(target, {
      method: req.method,
      headers,
      agent: secure ? this.agents.https : this.agents.http,
      timeout: ForwardTiming.IdleTimeoutMs,
    });
    let connected = false;
    const connectTimer = setTimeout(() => {
      if (!connected) upstream.destroy(new Error('connect timeout'));
    }, ForwardTiming.ConnectTimeoutMs);
    upstream.once('socket', (socket) => {
      // A kept-alive socket is connected already; a new one says so when it is.
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    upstream.on('timeout', () => upstream.destroy(new Error('idle timeout')));
    upstream.once('response', (answer: IncomingMessage) => {
      clearTimeout(connectTimer);
      this.outcomes.answered++;
      res.status(answer.statusCode ?? 502);
      for (const [name, value] of Object.entries(withoutHopByHop(answer.headers))) if (value !== undefined) res.setHeader(name, value);
      pipeline(answer, res).catch(() => {
        // The client or the other node went away mid-answer: the response is cut, as a direct one would be.
        res.destroy();
      });
    });
    let clientGone = false;
    upstream.once('error', (error) => {
      clearTimeout(connectTimer);
      // Destroyed below because the client left: nothing failed on the other node's side.
      if (clientGone) return;
      log.warn({ node: home }, `forwarding ${req.method} to ${home}: ${error.message}`);
      if (!res.headersSent) this.unavailable(res);
      else res.destroy();
    });
    // The client gave up: so does the forwarded request.
    res.once('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      upstream.destroy();
    });
    pipeline(req, upstream).catch(() => undefined);
  }
}
