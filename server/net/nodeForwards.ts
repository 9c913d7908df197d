// NodeForwards: how a scale-out node recognises an HTTP request another node forwarded to it (the cluster's key), and the client and scheme that node vouches for.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The headers a forwarding node adds; a request that arrives with them from anyone without the key gains nothing. */
export const ForwardHeaders = {
  /** The cluster's shared key, proving the sender is a node (every node reads it from Redis). */
  key: 'x-ttyroom-node-key',
  /** The client's address as the forwarding node saw it (after its own --trust-proxy). */
  client: 'x-ttyroom-client',
  /** The scheme the client used at the forwarding node, for the links an answer holds. */
  proto: 'x-ttyroom-proto',
} as const;

/** What a verified forward vouches for. */
export interface ForwardedRequest {
  client: string;
  proto: 'http' | 'https';
}

/**
 * Created once per server, before anything reads a client's address; holds no key (and so trusts nobody)
 * until the cluster has read the shared key from Redis. Without --redis it never gets one.
 */
export class NodeForwards {
  private key: Buffer | undefined;

  /** The cluster's key, read from Redis once it is reachable. */
  setKey(key: string): void {
    this.key = Buffer.from(key);
  }

  /** The key to send with a forwarded request; undefined until read. */
  currentKey(): string | undefined {
    return this.key?.toString();
  }

  /** Whether the request claims to come from a node (verified or not): such a request is never forwarded again. */
  claimsNode(req: IncomingMessage): boolean {
    return req.headers[ForwardHeaders.key] !== undefined;
  }

  /** The client and scheme a request forwarded by another node vouches for; undefined for any other request. */
  verify(req: IncomingMessage): ForwardedRequest | undefined {
    const offered = req.headers[ForwardHeaders.key];
    if (this.key === undefined || typeof offered !== 'string') return undefined;
    const given = Buffer.from(offered);
    if (given.length !== this.key.length || !timingSafeEqual(given, this.key)) return undefined;
    const client = req.headers[ForwardHeaders.client];
    const proto = req.headers[ForwardHeaders.proto];
    if (typeof client !== 'string' || isIP(client) === 0) return undefined;
    return { client, proto: proto === 'https' ? 'https' : 'http' };
  }
}
