// RoomLedger: writes each room's life (opened, closed and why), its writers' command counts and its bookmarks to the store.

import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { Disposable } from '../shared/disposable.js';
import type { RoomRegistry } from './roomRegistry.js';
import type { Room } from './room.js';

/** What a terminal receives for Enter: a command is counted per one of these in a writer's accepted input. */
const ENTER = '\r';

/** How many Enter presses a piece of input holds. */
export function countEnters(data: string): number {
  let count = 0;
  for (let at = data.indexOf(ENTER); at !== -1; at = data.indexOf(ENTER, at + 1)) count++;
  return count;
}

export type RoomLedgerStore = Pick<Store, 'roomOpened' | 'roomClosed' | 'commandsEntered' | 'bookmarkAdded'>;

export class RoomLedger extends Disposable {
  constructor(
    registry: RoomRegistry,
    private readonly store: RoomLedgerStore,
    private readonly clock: Clock,
  ) {
    super();
    this.register(registry.onRoomCreated((room) => this.follow(room)));
  }

  /** The room's listeners go with the room (its emitters are disposed with it). */
  private follow(room: Room): void {
    this.store.roomOpened({ id: room.id, name: room.name, profile: room.profile.name, createdAt: room.createdAt.getTime() });
    room.onInput(({ memberId, data }) => {
      // Only counted, never kept: the record holds no keystroke.
      const commands = countEnters(data);
      if (commands > 0) this.store.commandsEntered(room.id, memberId, commands);
    });
    room.onActivity((activity) => {
      if (activity.kind !== 'bookmark') return;
      const { bookmark } = activity;
      this.store.bookmarkAdded({ room: room.id, time: Date.parse(bookmark.at), memberId: bookmark.memberId, name: bookmark.name, label: bookmark.label });
    });
    room.onExit((exit) => {
      this.store.roomClosed(room.id, { closedAt: this.clock.now(), exitReason: exit.reason, exitCode: exit.exitCode, exitSignal: exit.signal });
    });
  }
}
