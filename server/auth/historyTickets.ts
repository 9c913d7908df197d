// HistoryTickets: one-time, short-lived secrets that let an admitted member fetch its room's history over HTTP
// (a REST caller is no member, so the member asks over its socket and presents the ticket; docs/protocol.md, Rewind).

import { createHash, randomBytes } from 'node:crypto';
import { RewindLimits } from '../shared/limits.js';
import type { Clock } from '../util/clock.js';

/** Random bytes per ticket: as many as a room token has, beyond guessing. */
const TICKET_BYTES = 32;

export interface IssuedTicket {
  ticket: string;
  /** Clock ms after which it is refused. */
  expiresAt: number;
}

interface Held {
  roomId: string;
  memberId: string;
  expiresAt: number;
}

/** Tickets are held by their hash: a lookup on the secret itself would time the comparison of a guess. */
function keyOf(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url');
}

export class HistoryTickets {
  /** Insertion order is issue order: the first key is the oldest, dropped first past MaxTickets. */
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: { TicketTtlMs: number; MaxTickets: number } = RewindLimits,
  ) {}

  /** A fresh ticket for `memberId` of `roomId`, good once within TicketTtlMs. */
  issue(roomId: string, memberId: string): IssuedTicket {
    const now = this.clock.now();
    this.sweep(now);
    while (this.held.size >= this.limits.MaxTickets) this.held.delete(this.held.keys().next().value!);
    const ticket = randomBytes(TICKET_BYTES).toString('base64url');
    const expiresAt = now + this.limits.TicketTtlMs;
    this.held.set(keyOf(ticket), { roomId, memberId, expiresAt });
    return { ticket, expiresAt };
  }

  /**
   * The member a ticket was issued to, when it is live and for this room; undefined otherwise. Presenting a ticket
   * uses it up, whatever the answer, so it never works twice.
   */
  redeem(roomId: string, ticket: string): string | undefined {
    const key = keyOf(ticket);
    const held = this.held.get(key);
    if (!held) return undefined;
    this.held.delete(key);
    if (held.roomId !== roomId || this.clock.now() >= held.expiresAt) return undefined;
    return held.memberId;
  }

  /** Tickets held now (for the memory bound's test). */
  get size(): number {
    return this.held.size;
  }

  private sweep(now: number): void {
    for (const [key, held] of this.held) {
      if (now >= held.expiresAt) this.held.delete(key);
    }
  }
}
