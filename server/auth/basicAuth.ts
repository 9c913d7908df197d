// HTTP Basic credentials: strict parsing of the header, the browser challenge, and the constant-time check of --credential.
// Not passport-http's BasicStrategy: it splits the decoded text at every colon and keeps two parts (a password
// with a colon is cut, "u::x" is refused), and it answers a malformed header like a missing one, which the
// handshake must tell apart (fail closed on malformed, A6 in docs/properties.md).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The realm browsers show in their sign-in prompt. */
export const BASIC_REALM = 'ttyroom';

/** `WWW-Authenticate` value that makes a browser prompt; UTF-8 so names and passwords beyond ASCII work. */
export const BASIC_CHALLENGE = `Basic realm="${BASIC_REALM}", charset="UTF-8"`;

/** The page a browser gets for a page that needs Basic sign-in: 401 with the challenge, so it asks for the credential. */
export function sendBasicChallenge(res: ServerResponse): void {
  res.statusCode = 401;
  res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('Sign in to use ttyroom.\n');
}

export const BasicLimits = {
  /** base64 of a 64-character name, a colon and a 1024-character password, with room to spare. */
  MaxHeaderLength: 2048,
} as const;

export type BasicCredential = { user: string; password: string };

/**
 * What an `Authorization` header holds: nothing (absent, or another scheme such as Bearer), a well-formed
 * Basic credential, or 'malformed' (Basic with bad base64, no colon, an empty name or password, or too long).
 */
export function parseBasicHeader(header: string | undefined): BasicCredential | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic(?: +(.*))?$/is.exec(header.trim());
  if (!match) return undefined;
  const encoded = match[1] ?? '';
  if (header.length > BasicLimits.MaxHeaderLength) return 'malformed';
  // Strict base64: Buffer.from would silently skip junk characters and decode something.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return 'malformed';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  // Split at the first colon only (RFC 7617): passwords may contain colons.
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return 'malformed';
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function basicCredentialOf(req: IncomingMessage): BasicCredential | 'malformed' | undefined {
  const header = req.headers.authorization;
  return parseBasicHeader(typeof header === 'string' ? header : undefined);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compares name and password in constant time: both comparisons always run, over fixed-length digests. */
export function credentialMatches(candidate: BasicCredential, expected: BasicCredential): boolean {
  const user = timingSafeEqual(digest(candidate.user), digest(expected.user));
  const password = timingSafeEqual(digest(candidate.password), digest(expected.password));
  return user && password;
}
