// The socket.io server: transport settings and keepalive, one RoomConnection per socket, and room broadcast channels.

import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/events.js';
import { EVENT_ROLES } from '../auth/permissions.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import type { RoomTransport } from '../rooms/ports.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { liveChannel, membersChannel, RoomConnection, type ConnectionOrigin, type ConnectionPolicy, type TypedSocket } from './roomConnection.js';
import { cutOffOversizedFrames } from './oversizedFrames.js';

export const SocketLimits = {
  /** Largest message a client may send; bigger frames close that connection (input is chunked at 64 KiB). */
  MaxMessageBytes: 1024 * 1024,
} as const;

/**
 * engine.io pings every client each PingIntervalMs and drops one that has not answered within
 * PingTimeoutMs, so a client that vanished without closing its connection (sleeping laptop, cut network)
 * leaves the member list within PingIntervalMs + PingTimeoutMs = 45 s. These are socket.io's defaults,
 * named here because the member list's honesty depends on them.
 */
export const Keepalive = {
  PingIntervalMs: 25_000,
  PingTimeoutMs: 20_000,
} as const;

export interface KeepaliveTiming {
  pingIntervalMs: number;
  pingTimeoutMs: number;
}

export interface SocketServerOptions {
  /** Tests shorten these; the defaults are Keepalive's. */
  keepalive?: KeepaliveTiming;
}

export type TypedServer = Server<ClientToServerEvents, ServerToClientEvents>;

export class SocketServer extends Disposable {
  readonly io: TypedServer;
  private readonly connections = new Set<RoomConnection>();

  constructor(httpServer: HttpServer, options: SocketServerOptions = {}) {
    super();
    this.io = new Server(httpServer, {
      path: '/socket.io',
      serveClient: false,
      maxHttpBufferSize: SocketLimits.MaxMessageBytes,
      pingInterval: options.keepalive?.pingIntervalMs ?? Keepalive.PingIntervalMs,
      pingTimeout: options.keepalive?.pingTimeoutMs ?? Keepalive.PingTimeoutMs,
      // Compression would cost CPU per member on every broadcast frame and invites zip bombs.
      perMessageDeflate: false,
      httpCompression: false,
    });
    cutOffOversizedFrames(this.io.engine);
    this.register(toDisposable(() => {
      for (const connection of this.connections) connection.dispose();
      this.io.disconnectSockets(true);
      // Server.close() would also close the HTTP server, which the app owns; only engine.io is ours.
      this.io.engine.close();
    }));
  }

  /** Closes one engine.io session (all its sockets disconnect), e.g. after it sent an oversized message. */
  closeSession(sid: string): void {
    // `clients` is public in engine.io's JavaScript (and documented) but protected in its types.
    const clients = (this.io.engine as unknown as { clients: Record<string, { close(discard?: boolean): void } | undefined> }).clients;
    // Discarding: a polling transport would otherwise wait for the client's next poll (up to 30 s) to say goodbye.
    if (Object.hasOwn(clients, sid)) clients[sid]?.close(true);
  }

  /** Broadcast channel for one room: a string payload is encoded once for all its live members. */
  transportFor(roomId: string): RoomTransport {
    const live = liveChannel(roomId);
    const everyone = membersChannel(roomId);
    return {
      live: { send: (event, ...args) => this.io.to(live).emit(event, ...args) },
      everyone: { send: (event, ...args) => this.io.to(everyone).emit(event, ...args) },
    };
  }

  private adopted: { registry: RoomRegistry; policy: ConnectionPolicy } | undefined;

  attach(registry: RoomRegistry, policy: Omit<ConnectionPolicy, 'eventRoles'>): void {
    const connectionPolicy: ConnectionPolicy = { ...policy, eventRoles: EVENT_ROLES };
    // A member relayed from another node is served here only: its events never travel on to a third node.
    const { remote: _remote, ...ownPolicy } = connectionPolicy;
    this.adopted = { registry, policy: ownPolicy };
    this.io.on('connection', (socket) => {
      const connection = new RoomConnection(socket, registry, connectionPolicy);
      this.connections.add(connection);
      socket.on('disconnect', () => this.connections.delete(connection));
    });
  }

  /**
   * Scale-out: the connection of a member whose socket is on another node, for a room of this one (server/cluster/relay.ts).
   * The caller owns it. Only after attach().
   */
  adopt(socket: TypedSocket, origin: ConnectionOrigin): RoomConnection {
    if (!this.adopted) throw new Error('adopt() before attach()');
    return new RoomConnection(socket, this.adopted.registry, this.adopted.policy, origin);
  }
}
