// The one table from client event to the role it needs (docs/architecture.md, Conventions); an event not in it is refused.

import type { ClientToServerEvents, Role } from '../shared/events.js';

/** 'none' means the event is allowed before joining (it is how a client joins). */
export type Requirement = Role | 'none';

/**
 * The least role each client event needs. A room adds its own checks after this (its resize policy, a
 * writer's grant in driver mode, chat turned off), never fewer: this table is the floor.
 */
export const EVENT_ROLES: Readonly<Record<keyof ClientToServerEvents, Requirement>> = {
  'room:join': 'none',
  'term:ack': 'viewer',
  'term:input': 'writer',
  // Writers report their window for the 'smallest' policy; the room's policy decides whose size counts.
  'term:resize': 'writer',
  // Raising a hand and chatting are every member's; lowering someone else's hand is checked by the room.
  'hand:raise': 'viewer',
  'hand:lower': 'viewer',
  'chat:send': 'viewer',
  // Bookmarks and rewind are every admitted member's: a bookmark holds no screen, the history no curtain's contents.
  'bookmark:add': 'viewer',
  'rewind:ticket': 'viewer',
  // File transfer bytes and cancels come from whoever holds the keyboard; the room checks it is the transfer's member.
  'transfer:data': 'writer',
  'transfer:cancel': 'writer',
  // Floor control and moderation are the owner's.
  'member:role': 'owner',
  'member:kick': 'owner',
  'member:admit': 'owner',
  'room:settings': 'owner',
  'room:curtain': 'owner',
  'room:handover': 'owner',
};

export function isClientEvent(name: string, table: Readonly<Record<string, Requirement>>): name is keyof ClientToServerEvents {
  return Object.prototype.hasOwnProperty.call(table, name);
}
