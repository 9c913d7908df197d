// StatusLine: the one line under the room's grid in `attach` — room, role, members, recording, connection —
// and the room's notices for a few seconds each (role changes, curtain, idle warnings), never inside the grid.

import type { Role } from '../shared/events.js';
import type { ConnectionState } from '../shared/roomClient.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import type { Clock } from '../util/clock.js';
import { UNSAFE_IN_LINE } from '../shared/unsafeText.js';

export const StatusTiming = {
  /** How long a notice stays on the status line, in ms: long enough to read a sentence. */
  NoticeMs: 6_000,
} as const;

/** Between the status line's parts. */
const SEPARATOR = ' · ';

export interface StatusFacts {
  role?: Role | undefined;
  members?: number;
  recording?: boolean;
  connection?: ConnectionState;
  waiting?: boolean;
  catchingUp?: boolean;
  /** Said while the local window cannot show the whole grid. */
  sizeWarning?: string | undefined;
}

export class StatusLine extends Disposable {
  private readonly changedEmitter = this.register(new Emitter<void>());
  readonly onChanged = this.changedEmitter.event;
  private facts: StatusFacts = { connection: 'connecting' };
  private noticeText: string | undefined;
  private noticeTimer: IDisposable | undefined;

  constructor(private readonly clock: Clock, private readonly fixed: { detachHint: string }) {
    super();
    this.register(toDisposable(() => this.noticeTimer?.dispose()));
  }

  get hasNotice(): boolean {
    return this.noticeText !== undefined;
  }

  update(facts: StatusFacts): void {
    const next = { ...this.facts, ...facts };
    if (JSON.stringify(next) === JSON.stringify(this.facts)) return;
    this.facts = next;
    this.changedEmitter.fire();
  }

  /** Shows `message` for StatusTiming.NoticeMs (a newer notice replaces it). */
  notice(message: string): void {
    this.noticeText = message.replace(UNSAFE_IN_LINE, ' ');
    this.noticeTimer?.dispose();
    this.noticeTimer = this.clock.setTimer(StatusTiming.NoticeMs, () => {
      this.noticeTimer = undefined;
      this.noticeText = undefined;
      this.changedEmitter.fire();
    });
    this.changedEmitter.fire();
  }

  /** The line as plain text, at most `width` columns (the painter pads it and paints it in reverse video). */
  text(width: number): string {
    // A lost connection, a notice (news) and a window too small to show the whole room take the line, after a
    // short name, so a narrow window still shows them whole; the connection first, as what you see is stale.
    const urgent = [this.connectionTrouble(), this.noticeText, this.facts.sizeWarning].filter((part) => part !== undefined);
    const line = urgent.length > 0 ? ['ttyroom', ...urgent].join(SEPARATOR) : this.factsLine();
    const points = Array.from(line);
    return points.length > width ? `${points.slice(0, Math.max(0, width - 1)).join('')}…` : line;
  }

  private connectionTrouble(): string | undefined {
    switch (this.facts.connection) {
      case 'reconnecting':
        return 'reconnecting…';
      case 'connecting':
        return 'connecting…';
      case 'disconnected':
        return 'disconnected';
      default:
        return undefined;
    }
  }

  private factsLine(): string {
    const facts = this.facts;
    // No room id: it is in the link, and the line is short.
    const parts = ['ttyroom'];
    if (facts.waiting) parts.push('waiting for the owner to let you in');
    else {
      if (facts.role !== undefined) parts.push(facts.role === 'viewer' ? 'watching' : facts.role);
      if (facts.members !== undefined) parts.push(`${facts.members} here`);
      if (facts.recording) parts.push('● recording');
      if (facts.catchingUp) parts.push('catching up…');
    }
    if (this.fixed.detachHint.length > 0) parts.push(this.fixed.detachHint);
    return parts.join(SEPARATOR);
  }
}
