// CapabilityStore: one room's capability tokens (id, role, SHA-256 hash, expiry, label, creator): mint, look up
// in constant time, list without secrets, revoke, and expire on the injectable clock.

import { timingSafeEqual } from 'node:crypto';
import type { Role, TokenSummary } from '../shared/events.js';
import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import { hashToken, mintToken, randomId } from './capabilities.js';

export const CapabilityLimits = {
  /** Public token ids only need to be unique within a room and short enough to read out: 48 bits. */
  IdBytes: 6,
  /**
   * Tokens one room holds at once (owner and writer links included). Every join compares against all of
   * them, so the cap bounds that work as well as the memory; a class of 100 gets one link each.
   */
  MaxTokensPerRoom: 128,
} as const;

/** What may be shown about a token: everything but the secret and its hash (the REST list's shape). */
export type CapabilityInfo = TokenSummary;

export interface MintOptions {
  role: Role;
  /** Milliseconds from now on the store's clock; absent means no expiry. */
  expiresInMs?: number;
  label?: string;
  createdBy?: string;
}

/** Why a token stopped working. */
export type RemovalReason = 'revoked' | 'expired';

interface Entry {
  readonly id: string;
  readonly role: Role;
  readonly hash: Buffer;
  readonly createdAt: number;
  readonly expiresAt: number | undefined;
  readonly label: string | undefined;
  readonly createdBy: string | undefined;
  expiry: IDisposable | undefined;
}

/** A token with its SHA-256 hash: what a record of the room's owners keeps (never the token). */
export interface HashedCapability {
  info: CapabilityInfo;
  hash: Buffer;
}

export class CapabilityStoreFullError extends Error {}

export class CapabilityStore extends Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly removedEmitter = this.register(new Emitter<HashedCapability & { reason: RemovalReason }>());
  /** A token was revoked or expired: members that joined with it must have their role re-derived. */
  readonly onRemoved = this.removedEmitter.event;
  private readonly addedEmitter = this.register(new Emitter<HashedCapability>());
  /** A token was minted or stored (tokens() has those added before a listener came). */
  readonly onAdded = this.addedEmitter.event;

  constructor(private readonly clock: Clock) {
    super();
    this.register(toDisposable(() => {
      for (const entry of this.entries.values()) entry.expiry?.dispose();
      this.entries.clear();
    }));
  }

  get size(): number {
    return this.entries.size;
  }

  /** A new token with at least 128 random bits (see TokenSizes); only its hash is kept. */
  mint(options: MintOptions): { token: string; info: CapabilityInfo } {
    const token = mintToken();
    return { token, info: this.add(token, options) };
  }

  /** Stores a token minted elsewhere (the room's first owner and writer links). */
  add(token: string, options: MintOptions): CapabilityInfo {
    if (this.entries.size >= CapabilityLimits.MaxTokensPerRoom) {
      throw new CapabilityStoreFullError(`a room holds at most ${CapabilityLimits.MaxTokensPerRoom} tokens; revoke some first`);
    }
    const now = this.clock.now();
    const entry: Entry = {
      id: this.unusedId(),
      role: options.role,
      hash: hashToken(token),
      createdAt: now,
      expiresAt: options.expiresInMs === undefined ? undefined : now + options.expiresInMs,
      label: options.label,
      createdBy: options.createdBy,
      expiry: undefined,
    };
    this.entries.set(entry.id, entry);
    if (options.expiresInMs !== undefined) {
      entry.expiry = this.clock.setTimer(options.expiresInMs, () => this.remove(entry.id, 'expired'));
    }
    const info = infoOf(entry);
    this.addedEmitter.fire({ info, hash: entry.hash });
    return info;
  }

  /**
   * The token's entry, or undefined. The candidate's hash is compared with every stored hash by
   * timingSafeEqual and the loop never stops early, so the time taken depends on how many tokens the
   * room holds, not on which one (if any) came close. An expired token whose timer has not run yet
   * (the clock jumped) does not count.
   */
  lookup(candidate: string): CapabilityInfo | undefined {
    const hash = hashToken(candidate);
    let found: Entry | undefined;
    for (const entry of this.entries.values()) {
      const equal = timingSafeEqual(hash, entry.hash);
      if (equal && found === undefined) found = entry;
    }
    if (!found || (found.expiresAt !== undefined && this.clock.now() >= found.expiresAt)) return undefined;
    return infoOf(found);
  }

  /** Whether the token with this id still works (it may have been revoked or expired since a member joined). */
  isValid(id: string): boolean {
    const entry = this.entries.get(id);
    return entry !== undefined && (entry.expiresAt === undefined || this.clock.now() < entry.expiresAt);
  }

  list(): CapabilityInfo[] {
    return [...this.entries.values()].map(infoOf);
  }

  /** Every token held, with its hash, in the order added. */
  tokens(): HashedCapability[] {
    return [...this.entries.values()].map((entry) => ({ info: infoOf(entry), hash: entry.hash }));
  }

  get(id: string): CapabilityInfo | undefined {
    const entry = this.entries.get(id);
    return entry ? infoOf(entry) : undefined;
  }

  /** Forgets the token at once; members that joined with it are re-derived by whoever listens to onRemoved. */
  revoke(id: string): CapabilityInfo | undefined {
    return this.remove(id, 'revoked');
  }

  private remove(id: string, reason: RemovalReason): CapabilityInfo | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    entry.expiry?.dispose();
    this.entries.delete(id);
    const info = infoOf(entry);
    this.removedEmitter.fire({ info, hash: entry.hash, reason });
    return info;
  }

  private unusedId(): string {
    for (;;) {
      const id = randomId(CapabilityLimits.IdBytes);
      if (!this.entries.has(id)) return id;
    }
  }
}

function infoOf(entry: Entry): CapabilityInfo {
  const info: CapabilityInfo = { id: entry.id, role: entry.role, createdAt: new Date(entry.createdAt).toISOString() };
  if (entry.expiresAt !== undefined) info.expiresAt = new Date(entry.expiresAt).toISOString();
  if (entry.label !== undefined) info.label = entry.label;
  if (entry.createdBy !== undefined) info.createdBy = entry.createdBy;
  return info;
}
