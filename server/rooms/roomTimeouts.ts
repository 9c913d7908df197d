// RoomTimeouts: a room's idle limit (no writer input) and absolute lifetime, with warnings, on an injectable clock.

import type { NoticePayload } from '../shared/events.js';
import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';

export const RoomTimeoutLimits = {
  /** Members are warned this long before an idle close: time for a writer to notice and type. */
  IdleWarningMs: 2 * 60_000,
  /** Members are warned this long before the lifetime ends, to save their work. */
  LifetimeWarningMs: 2 * 60_000,
} as const;

export type TimeoutReason = 'idle-timeout' | 'lifetime';

export interface RoomTimeoutOptions {
  clock: Clock;
  /** Close after this long without writer input; 0 turns the idle close off. */
  idleMs: number;
  /** Close this long after the room started, whatever happens in it; 0 turns the limit off. */
  lifetimeMs: number;
}

/** The warning comes `lead` before the deadline, but never before half the limit has passed. */
function warningLead(limitMs: number, preferredMs: number): number {
  return Math.min(preferredMs, limitMs / 2);
}

/**
 * One deadline that can only move later. Its timer is not moved when the deadline moves: when it fires
 * it re-reads the deadline and sleeps again if it was postponed, so frequent postponing (every keystroke)
 * costs a field write instead of a timer each time.
 */
class Deadline extends Disposable {
  private timer: IDisposable | undefined;
  private warnedFlag = false;

  constructor(
    private readonly clock: Clock,
    private readonly due: () => number,
    private readonly leadMs: number,
    private readonly handlers: { warn(closesAt: number): void; expire(): void },
  ) {
    super();
    this.register(toDisposable(() => this.timer?.dispose()));
    this.check();
  }

  get warned(): boolean {
    return this.warnedFlag;
  }

  /** The deadline moved past the one warned about; says whether a warning was in force. */
  withdrawWarning(): boolean {
    const was = this.warnedFlag;
    this.warnedFlag = false;
    return was;
  }

  get closesAt(): number {
    return this.due();
  }

  private check(): void {
    this.timer = undefined;
    if (this.isDisposed) return;
    const now = this.clock.now();
    const due = this.due();
    if (now >= due) {
      this.handlers.expire();
      return;
    }
    const warnAt = due - this.leadMs;
    if (!this.warnedFlag && now >= warnAt) {
      this.warnedFlag = true;
      this.handlers.warn(due);
    }
    this.timer = this.clock.setTimer((this.warnedFlag ? due : warnAt) - now, () => this.check());
  }
}

export class RoomTimeouts extends Disposable {
  private readonly noticeEmitter = this.register(new Emitter<NoticePayload>());
  /** A warning, or the end of one, that every member should see. */
  readonly onNotice = this.noticeEmitter.event;
  private readonly expiredEmitter = this.register(new Emitter<TimeoutReason>());
  /** Fires at most once, when a limit is reached; the owner of the room then closes it. */
  readonly onExpired = this.expiredEmitter.event;

  private lastInputAt: number;
  private readonly idle: Deadline | undefined;
  private readonly lifetime: Deadline | undefined;

  constructor(private readonly options: RoomTimeoutOptions) {
    super();
    const startedAt = options.clock.now();
    this.lastInputAt = startedAt;
    if (options.lifetimeMs > 0) {
      this.lifetime = this.register(new Deadline(
        options.clock,
        () => startedAt + options.lifetimeMs,
        warningLead(options.lifetimeMs, RoomTimeoutLimits.LifetimeWarningMs),
        { warn: (closesAt) => this.noticeEmitter.fire(this.lifetimeNotice(closesAt)), expire: () => this.expire('lifetime') },
      ));
    }
    if (options.idleMs > 0) {
      this.idle = this.register(new Deadline(
        options.clock,
        () => this.lastInputAt + options.idleMs,
        warningLead(options.idleMs, RoomTimeoutLimits.IdleWarningMs),
        { warn: (closesAt) => this.noticeEmitter.fire(this.idleNotice(closesAt)), expire: () => this.expire('idle-timeout') },
      ));
    }
  }

  /** A writer typed: the idle deadline moves to idleMs from now, and a pending idle warning is withdrawn. */
  noteWriterInput(): void {
    if (this.isDisposed) return;
    this.lastInputAt = this.options.clock.now();
    if (this.idle?.withdrawWarning()) {
      this.noticeEmitter.fire({ code: 'idle-cleared', message: 'A writer typed: the room stays open.' });
    }
  }

  /** Warnings in force now, for a member who joins after they were sent. */
  activeNotices(): NoticePayload[] {
    const notices: NoticePayload[] = [];
    if (this.isDisposed) return notices;
    if (this.lifetime?.warned) notices.push(this.lifetimeNotice(this.lifetime.closesAt));
    if (this.idle?.warned) notices.push(this.idleNotice(this.idle.closesAt));
    return notices;
  }

  private idleNotice(closesAt: number): NoticePayload {
    return {
      code: 'idle-warning',
      message: 'No one has typed for a while: the room closes soon unless a writer types.',
      closesAt: new Date(closesAt).toISOString(),
    };
  }

  private lifetimeNotice(closesAt: number): NoticePayload {
    return {
      code: 'lifetime-warning',
      message: 'The room reaches its time limit and closes soon.',
      closesAt: new Date(closesAt).toISOString(),
    };
  }

  private expire(reason: TimeoutReason): void {
    if (this.isDisposed) return;
    this.expiredEmitter.fire(reason);
    // One close is enough: the other limit must not fire while the room is shutting down.
    this.dispose();
  }
}
