// RoomChat: the side chat of one room — who may post and how often, and the recent messages a joiner is shown.

import { ChatLimits } from '../shared/limits.js';
import type { ChatMessage } from '../shared/events.js';
import type { Clock } from '../util/clock.js';
import { KeyedTokenBuckets } from '../util/tokenBucket.js';

export type ChatResult = { ok: true; message: ChatMessage } | { ok: false; reason: 'off' | 'rate-limited' };

/** Who posted (a chat line, a bookmark): as members are shown, with their colour. */
export interface ChatAuthor {
  memberId: string;
  name: string;
  colour: string;
}

/**
 * Messages are plain text (parseChat already cleaned them) and are never written to the terminal stream;
 * only the last ChatLimits.HistoryMessages are kept, in memory, for joiners.
 */
export class RoomChat {
  private readonly recent: ChatMessage[] = [];
  private readonly budgets: KeyedTokenBuckets;
  private nextId = 1;

  constructor(
    private readonly clock: Clock,
    /** The owner can turn the chat off (room:settings); members then cannot post. */
    public enabled: boolean,
  ) {
    this.budgets = new KeyedTokenBuckets(clock, ChatLimits.PerSecond, ChatLimits.Burst);
  }

  post(author: ChatAuthor, text: string): ChatResult {
    if (!this.enabled) return { ok: false, reason: 'off' };
    if (!this.budgets.tryTake(author.memberId)) return { ok: false, reason: 'rate-limited' };
    const message: ChatMessage = {
      id: this.nextId++,
      memberId: author.memberId,
      name: author.name,
      colour: author.colour,
      text,
      at: new Date(this.clock.now()).toISOString(),
    };
    this.recent.push(message);
    if (this.recent.length > ChatLimits.HistoryMessages) this.recent.shift();
    return { ok: true, message };
  }

  /** The recent messages, oldest first, for a joiner. */
  history(): readonly ChatMessage[] {
    return this.recent;
  }

  /** A member left: its rate budget goes with it (a new connection is a new member). */
  forget(memberId: string): void {
    this.budgets.forget(memberId);
  }
}
