// RejoinPasses: lets an admitted member whose connection dropped come back past join approval and a lock, for a while.

import { createHash } from 'node:crypto';
import { mintToken } from '../auth/capabilities.js';
import type { Clock } from '../util/clock.js';

export const RejoinPassLimits = {
  /**
   * How long after a member's connection ends its pass still opens the door: a phone changing networks or a
   * laptop lid closed for a meeting, not a day away (then it asks again like anyone).
   */
  ValidAfterLeaveMs: 10 * 60_000,
  /** Passes a room holds at once; past this the oldest go (a member coming back after that waits like anyone). */
  MaxHeld: 1000,
} as const;

interface Pass {
  readonly memberId: string;
  /** Clock ms after which it no longer works; undefined while its member is still inside. */
  expiresAt: number | undefined;
}

/**
 * One pass per admitted member, a 256-bit secret sent only to it (`room:pass`). It says "the owner let me in
 * before", never what role: the role still comes from the credential presented with it. Only a hash is kept,
 * so a lookup cannot leak the secret by its timing. A pass works once (coming back issues a new one); kicking
 * the member, or its access being revoked, voids it.
 */
export class RejoinPasses {
  private readonly byHash = new Map<string, Pass>();
  private readonly hashOf = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  issue(memberId: string): string {
    this.void(memberId);
    const pass = mintToken();
    const hash = digest(pass);
    this.byHash.set(hash, { memberId, expiresAt: undefined });
    this.hashOf.set(memberId, hash);
    this.prune();
    return pass;
  }

  /** The member's connection ended: its pass works for RejoinPassLimits.ValidAfterLeaveMs more. */
  left(memberId: string): void {
    const hash = this.hashOf.get(memberId);
    if (hash === undefined) return;
    const pass = this.byHash.get(hash)!;
    pass.expiresAt = this.clock.now() + RejoinPassLimits.ValidAfterLeaveMs;
    // Re-inserted, so the map runs in order of expiry (passes of members inside, never expiring, are skipped).
    this.byHash.delete(hash);
    this.byHash.set(hash, pass);
  }

  /** The member was kicked or lost its access: its pass no longer works. */
  void(memberId: string): void {
    const hash = this.hashOf.get(memberId);
    if (hash === undefined) return;
    this.hashOf.delete(memberId);
    this.byHash.delete(hash);
  }

  /** Whether `pass` is a live one; it is used up either way. */
  redeem(pass: string): boolean {
    const hash = digest(pass);
    const entry = this.byHash.get(hash);
    if (!entry) return false;
    this.byHash.delete(hash);
    this.hashOf.delete(entry.memberId);
    return entry.expiresAt === undefined || entry.expiresAt > this.clock.now();
  }

  get size(): number {
    return this.byHash.size;
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [hash, pass] of this.byHash) {
      const overfull = this.byHash.size > RejoinPassLimits.MaxHeld;
      const expired = pass.expiresAt !== undefined && pass.expiresAt <= now;
      if (!overfull && !expired) {
        if (pass.expiresAt !== undefined) break;
        continue;
      }
      this.byHash.delete(hash);
      this.hashOf.delete(pass.memberId);
    }
  }
}

function digest(pass: string): string {
  return createHash('sha256').update(pass).digest('base64url');
}
