// What a room needs from the transport. The realtime layer implements these; the room never sees a socket.

import type { ServerEventArgs, ServerEventName } from '../shared/events.js';

export interface Outbox {
  send<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void;
}

/** One member's connection: direct sends, whether it receives the room's live broadcast, and its queue. */
export interface MemberPort extends Outbox {
  setLive(live: boolean): void;
  /**
   * Whether the member receives the room's `everyone` broadcasts (member list, chat, notices): not while it
   * waits for the owner's approval, which must tell it nothing of the room.
   */
  setPresent(present: boolean): void;
  /** Roughly how much is queued on the connection and not yet taken by the network (bytes or code units). */
  backlog(): number;
  /** Ends the connection after what was sent so far (a member whose access was revoked). */
  close(): void;
}

/** Room-wide broadcasts, each encoded once however many members it reaches. */
export interface RoomTransport {
  /** Every live member: the output stream. */
  live: Outbox;
  /** Every admitted member, live or not (the member list, notices, chat); never one waiting for approval. */
  everyone: Outbox;
}
