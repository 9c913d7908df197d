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
  /** The credential its member came in with (token id and user): the pass works only with the same one. */
  readonly credential: string;
  /** Clock ms after which it no longer works; undefined while its member is still inside. */
  expiresAt: number | undefined;
}

/**
 * One pass per admitted member, a 256-bit secret sent only to it (`room:pass`). It says "the owner let me in
 * before with this credential", never what role: the role still comes from the credential, which must be the
 * one the member came in with (a viewer let in cannot come back past approval on a writer link). Only a hash is
 * kept, so a lookup cannot leak the secret by its timing. A pass works once (coming back issues a new one);
 * kicking the member, or its access being revoked, voids it.
 */
export class RejoinPasses {
  private readonly byHash = new Map<string, Pass>();
  private readonly hashOf = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  issue(memberId: string, credential: string): string {
    this.void(memberId);
    const pass = mintToken();
    const hash = digest(pass);
    this.byHash.set(hash, { memberId, credential, expiresAt: undefined });
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

  /**
   * The member a live `pass` was issued to, when presented with the same credential; undefined otherwise. A pass
   * that exists is used up either way, so one that leaked cannot be tried twice.
   */
  redeem(pass: string, credential: string): string | undefined {
    const hash = digest(pass);
    const entry = this.byHash.get(hash);
    if (!entry) return undefined;
    this.byHash.delete(hash);
    this.hashOf.delete(entry.memberId);
    const live = entry.expiresAt === undefined || entry.expiresAt > this.clock.now();
    return live && entry.credential === credential ? entry.memberId : undefined;
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
