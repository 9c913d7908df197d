// What a room needs from the transport. The realtime layer implements these; the room never sees a socket.

import type { ServerEventArgs, ServerEventName } from '../protocol/events.js';

export interface Outbox {
  send<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void;
}

/** One member's connection: direct sends, and whether it receives the room's live broadcast. */
export interface MemberPort extends Outbox {
  setLive(live: boolean): void;
}

/** The room-wide broadcast of the live stream; one send reaches every live member (encoded once). */
export interface RoomTransport {
  live: Outbox;
}
