// RoomLedger: writes each room's life (opened, closed and why), its owners (owner user, lasting owner links'
// hashes, so its record stays theirs after it ends), its writers' command counts and its bookmarks to the store.

import type { HashedCapability } from '../auth/capabilityStore.js';
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

export type RoomLedgerStore = Pick<
  Store,
  'roomOpened' | 'roomClosed' | 'commandsEntered' | 'bookmarkAdded' | 'ownerUserChanged' | 'ownerTokenAdded' | 'ownerTokenRemoved'
>;

/**
 * Whether a token opens the room's record after the room ends: owner links without an expiry. A timed owner
 * link is for the live room only; kept, its hash would outlive its expiry whenever the room (and its timer)
 * ends first, or the server is killed.
 */
export function opensRecord({ info }: HashedCapability): boolean {
  return info.role === 'owner' && info.expiresAt === undefined;
}

export class RoomLedger extends Disposable {
  constructor(
    registry: RoomRegistry,
    private readonly store: RoomLedgerStore,
    private readonly clock: Clock,
  ) {
    super();
    this.register(registry.onRoomCreated((room) => this.follow(room)));
  }

  /** The room's listeners go with the room (its emitters, and its capabilities', are disposed with it). */
  private follow(room: Room): void {
    this.store.roomOpened({ id: room.id, name: room.name, profile: room.profile.name, createdAt: room.createdAt.getTime(), ownerUser: room.access.ownerUser });
    // Written as they are minted and revoked, not at the end, so a killed server leaves the record right.
    const capabilities = room.access.capabilities;
    for (const token of capabilities.tokens()) if (opensRecord(token)) this.store.ownerTokenAdded(room.id, token.hash);
    capabilities.onAdded((token) => {
      if (opensRecord(token)) this.store.ownerTokenAdded(room.id, token.hash);
    });
    capabilities.onRemoved((token) => {
      if (opensRecord(token)) this.store.ownerTokenRemoved(room.id, token.hash);
    });
    room.onActivity((activity) => {
      if (activity.kind === 'bookmark') {
        const { bookmark } = activity;
        this.store.bookmarkAdded({ room: room.id, time: Date.parse(bookmark.at), memberId: bookmark.memberId, name: bookmark.name, label: bookmark.label });
      }
      // A hand-over makes someone else the owner, and the owner user moves with it (RoomAccess.handOver).
      if (activity.kind === 'role' && activity.role === 'owner') this.store.ownerUserChanged(room.id, room.access.ownerUser);
    });
    room.onInput(({ memberId, data }) => {
      // Only counted, never kept: the record holds no keystroke.
      const commands = countEnters(data);
      if (commands > 0) this.store.commandsEntered(room.id, memberId, commands);
    });
    room.onExit((exit) => {
      this.store.roomClosed(room.id, { closedAt: this.clock.now(), exitReason: exit.reason, exitCode: exit.exitCode, exitSignal: exit.signal });
    });
  }
}
