// Capability tokens: minted with 256 random bits, kept only as hashes, compared in constant time.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PayloadLimits } from '../shared/limits.js';

export const TokenSizes = {
  /** 256 bits: far past guessing, comfortably above the 128-bit floor (docs/protocol.md, Words). */
  CapabilityBytes: 32,
  /** Room ids are view links: 96 bits keeps them unguessable while short enough to read out. */
  RoomIdBytes: 12,
  /** Member ids only need to be unique within a room. */
  MemberIdBytes: 6,
} as const;

export function randomId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function mintToken(): string {
  return randomId(TokenSizes.CapabilityBytes);
}

/** A SHA-256 digest: fixed length, so the comparison below never leaks the secret's length either. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function tokenMatches(candidate: string, storedHash: Buffer): boolean {
  return timingSafeEqual(hashToken(candidate), storedHash);
}

export const CapabilityTokenShape = {
  /** 128 bits in base64url: the floor for a capability (docs/protocol.md, Words); ours are 256 bits (43 characters). */
  MinLength: 22,
  MaxLength: PayloadLimits.MaxTokenLength,
} as const;

/** Whether `value` looks like a capability token (base64url of a sane length); validity is the room's call. */
export function isWellFormedToken(value: unknown): value is string {
  return typeof value === 'string'
    && value.length >= CapabilityTokenShape.MinLength
    && value.length <= CapabilityTokenShape.MaxLength
    && /^[A-Za-z0-9_-]+$/.test(value);
}

/**
 * The token of an `Authorization: Bearer <token>` header: undefined when there is no bearer header (other
 * schemes, such as sign-in's Basic, are not ours to read), null when the bearer value is not a well-formed
 * token (which then counts as a wrong credential, not as none). Never read from the query string.
 */
export function bearerToken(req: IncomingMessage): string | null | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !/^bearer\s/i.test(header)) return undefined;
  const match = /^bearer (\S+)$/i.exec(header);
  return match && isWellFormedToken(match[1]) ? match[1] : null;
}
