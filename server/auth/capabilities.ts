// Capability tokens: minted with 256 random bits, kept only as hashes, compared in constant time.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TokenSizes = {
  /** 256 bits: far past guessing, comfortably above the 128-bit floor in CONTRACT.md. */
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
