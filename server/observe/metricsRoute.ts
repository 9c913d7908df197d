// GET /metrics: the Prometheus text, for a caller with the metrics token or from an allowlisted address; absent (404,
// as any unknown path) when the operator configured neither, so the numbers are never public by default.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AddressAllowlist, type ClientAddress } from '../net/clientAddress.js';
import { sendError } from '../net/errors.js';
import { log } from '../util/logger.js';
import type { ServerMetrics } from './metrics.js';

export const MetricsTokenLimits = {
  /** Shortest metrics token accepted: 16 characters of a random string leave nothing to guess in the time a scrape takes. */
  MinLength: 16,
  /** Longest: a header, not a file. */
  MaxLength: 512,
} as const;

/** Who may read /metrics: a bearer token, an address allowlist, or both (either one lets a caller in). */
export interface MetricsAccess {
  token?: string;
  /** Addresses and CIDR ranges (parseAddressList's), matched against the client address behind --trust-proxy. */
  allow?: readonly string[];
}

export function metricsEnabled(access: MetricsAccess | undefined): access is MetricsAccess {
  return access !== undefined && (access.token !== undefined || (access.allow?.length ?? 0) > 0);
}

/** Both sides hashed first: timingSafeEqual needs equal lengths, and the time then depends on neither token's length. */
function sameToken(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer +(\S+)\s*$/i.exec(header) : null;
  return match ? match[1] : undefined;
}

/**
 * The route's handler. Refusals: 401 with `WWW-Authenticate: Bearer` when a token is configured (a caller may
 * present one), 403 when only the allowlist is. Not configured at all: passed on to the not-found answer.
 */
export function metricsHandler(metrics: ServerMetrics | undefined, access: MetricsAccess | undefined, clientAddress: ClientAddress) {
  const allowlist = access?.allow && access.allow.length > 0 ? new AddressAllowlist(access.allow) : undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!metrics || !metricsEnabled(access)) return next();
    const address = clientAddress.of(req);
    const given = bearerToken(req);
    const byToken = access.token !== undefined && given !== undefined && sameToken(given, access.token);
    if (!byToken && !(allowlist?.allows(address) ?? false)) {
      log.debug({ address, presentedToken: given !== undefined }, `metrics refused to ${address}`);
      if (access.token !== undefined) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="ttyroom metrics"');
        return sendError(res, 'unauthorized', 'the metrics need their bearer token (--metrics-token)');
      }
      return sendError(res, 'forbidden', 'this address may not read the metrics (--metrics-allow)');
    }
    res.setHeader('Cache-Control', 'no-store');
    metrics.text().then((text) => res.type(metrics.contentType).send(text), next);
  };
}
