// RoomBookmarks: the moments members marked on a room's timeline — who may drop one and how often, and the list a joiner gets.

import { BookmarkLimits } from '../shared/limits.js';
import type { BookmarkPayload } from '../shared/events.js';
import type { Clock } from '../util/clock.js';
import { KeyedTokenBuckets } from '../util/tokenBucket.js';
import type { ChatAuthor } from './chat.js';

export type BookmarkResult = { ok: true; bookmark: BookmarkPayload } | { ok: false; reason: 'rate-limited' | 'full' };

/** Who dropped a bookmark: shown as a chat line's author is. */
export type BookmarkAuthor = ChatAuthor;

/**
 * Labels are plain text (parseBookmark already cleaned them); the time is the server's, never the client's.
 * Kept in memory for the room's life (the store keeps them for the record), at most BookmarkLimits.MaxPerRoom.
 */
export class RoomBookmarks {
  private readonly list: BookmarkPayload[] = [];
  private readonly budgets: KeyedTokenBuckets;

  constructor(private readonly clock: Clock) {
    this.budgets = new KeyedTokenBuckets(clock, BookmarkLimits.PerSecond, BookmarkLimits.Burst);
  }

  add(author: BookmarkAuthor, label: string): BookmarkResult {
    // Full before the budget: a refusal for a full room should not cost the member its next try.
    if (this.list.length >= BookmarkLimits.MaxPerRoom) return { ok: false, reason: 'full' };
    if (!this.budgets.tryTake(author.memberId)) return { ok: false, reason: 'rate-limited' };
    const bookmark: BookmarkPayload = {
      id: this.list.length + 1,
      memberId: author.memberId,
      name: author.name,
      colour: author.colour,
      label,
      at: new Date(this.clock.now()).toISOString(),
    };
    this.list.push(bookmark);
    return { ok: true, bookmark };
  }

  /** Every bookmark, oldest first, for a joiner. */
  all(): readonly BookmarkPayload[] {
    return this.list;
  }

  /** A member left: its rate budget goes with it (a new connection is a new member). */
  forget(memberId: string): void {
    this.budgets.forget(memberId);
  }
}
