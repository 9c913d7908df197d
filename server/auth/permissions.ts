// The one table from client event to the role it needs (docs/architecture.md, Conventions); an event not in it is refused.

import type { ClientToServerEvents, Role } from '../shared/events.js';

/** 'none' means the event is allowed before joining (it is how a client joins). */
export type Requirement = Role | 'none';

export type ResizePolicy = 'owner' | 'writers';

export function eventRoles(resizePolicy: ResizePolicy): Readonly<Record<keyof ClientToServerEvents, Requirement>> {
  return {
    'room:join': 'none',
    'term:ack': 'viewer',
    'term:input': 'writer',
    'term:resize': resizePolicy === 'owner' ? 'owner' : 'writer',
    // The owner hands out and takes back the keyboard ("one driver at a time").
    'member:role': 'owner',
  };
}

export function isClientEvent(name: string, table: Readonly<Record<string, Requirement>>): name is keyof ClientToServerEvents {
  return Object.prototype.hasOwnProperty.call(table, name);
}
