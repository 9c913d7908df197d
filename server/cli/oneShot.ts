// OneShotWatcher: the --once and --timeout rules — a one-room server is done when its room ends; nobody joining in time is an error.

import type { RoomRegistry } from '../rooms/roomRegistry.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';

export interface OneShotOptions {
  /** `--once`: report when the first room's process has ended and its members were told. */
  once: boolean;
  /** `--timeout`: report if nobody has joined any room this long after the watch began; 0 = never. */
  joinTimeoutMs: number;
  /** Owners joining do not count for --timeout (share with its presenter attached as the owner: "nobody else came"). */
  ownersDoNotCount?: boolean;
}

export class OneShotWatcher extends Disposable {
  private readonly roomEndedEmitter = this.register(new Emitter<{ roomId: string }>());
  /** --once: the one room's process ended and every member got `term:exit`. Fires at most once. */
  readonly onRoomEnded = this.roomEndedEmitter.event;
  private readonly joinTimeoutEmitter = this.register(new Emitter<void>());
  /** --timeout: the time ran out before anyone joined. Fires at most once. */
  readonly onJoinTimeout = this.joinTimeoutEmitter.event;

  private joinTimer: NodeJS.Timeout | undefined;
  private roomEnded = false;

  /** Starts the --timeout clock now: create it once the server is listening. */
  constructor(rooms: RoomRegistry, options: OneShotOptions) {
    super();
    if (options.joinTimeoutMs > 0) {
      this.joinTimer = setTimeout(() => {
        this.joinTimer = undefined;
        this.joinTimeoutEmitter.fire();
      }, options.joinTimeoutMs);
      this.register(toDisposable(() => this.stopJoinClock()));
    }
    this.register(rooms.onRoomCreated((room) => {
      if (this.joinTimer) {
        room.onJoin(({ role }) => {
          if (!(options.ownersDoNotCount === true && role === 'owner')) this.stopJoinClock();
        });
      }
      // The registry accepts no second room under --once, so the first one is the one.
      if (options.once) {
        room.onExit(() => {
          if (this.roomEnded || this.isDisposed) return;
          this.roomEnded = true;
          this.roomEndedEmitter.fire({ roomId: room.id });
        });
      }
    }));
  }

  private stopJoinClock(): void {
    clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
  }
}
