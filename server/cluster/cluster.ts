// Scale-out on Redis (--redis): this node's id, socket.io's Redis adapter, the room directory and the relay, wired and disposed together.

import { randomBytes } from 'node:crypto';
import { createAdapter } from '@socket.io/redis-adapter';
import { Disposable } from '../shared/disposable.js';
import type { RoomSummary } from '../shared/events.js';
import type { NodeForwards } from '../net/nodeForwards.js';
import type { RemoteRooms } from '../realtime/roomConnection.js';
import type { SocketServer } from '../realtime/socketServer.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import type { Clock } from '../util/clock.js';
import { log } from '../util/logger.js';
import { agreeOnSecret } from '../util/sharedSecret.js';
import type { RedisLink } from './redisLink.js';
import { Relay } from './relay.js';
import { RoomDirectory } from './roomDirectory.js';

export const ClusterSizes = {
  /** Random bytes of a node id: new at every start, so a restarted node is never mistaken for the one that died. */
  NodeIdBytes: 6,
  /** 256 bits: the node key is a bearer secret between nodes. */
  NodeKeyBytes: 32,
} as const;

export interface ClusterSettings {
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  url: string;
  /** Expiry of the directory's entries (ms): how long a killed node's rooms stay listed and its members wait. */
  expiryMs: number;
  /** Where the other nodes reach this node's HTTP API (known once listening when it is the node's own address). */
  nodeUrl: () => string;
  /** How long a room's record is kept (ms; 0 = for good): other nodes find it that long after the room ended. */
  recordKeptMs: number;
}

/** The key every node reads at start, proving to the others that an HTTP request it forwards comes from a node. */
export const NODE_KEY = 'ttyroom:node-key';

export class Cluster extends Disposable {
  readonly nodeId = randomBytes(ClusterSizes.NodeIdBytes).toString('hex');
  readonly link: RedisLink;
  readonly directory: RoomDirectory;
  private readonly relay: Relay;
  /** What RoomConnections use to reach rooms on other nodes. */
  readonly remote: RemoteRooms;

  /** `link` is the node's Redis connection to `settings.url`, made (and disposed, after the cluster) by the app: sign-in sessions use it too. */
  constructor(settings: ClusterSettings, rooms: RoomRegistry, sockets: SocketServer, private readonly nodes: NodeForwards, link: RedisLink, clock?: Clock) {
    super();
    this.link = link;
    this.directory = this.register(new RoomDirectory(this.link, this.nodeId, {
      // Only rooms anyone may see are listed on other nodes; a private room's standing is per user, known here only.
      rooms: () => rooms.list().map((room) => ({ summary: room.summary(), listed: room.access.visibleTo(undefined) })),
    }, settings.expiryMs, settings.nodeUrl, clock));
    // Read at every (re)connection: an emptied Redis gets a new key from the first node back, and the others follow.
    this.register(this.link.onUpChanged((up) => {
      if (up) void this.readNodeKey();
    }));
    sockets.io.adapter(createAdapter(this.link.adapterPublisher(), this.link.subscriber));
    this.relay = this.register(new Relay(this.link, this.directory, sockets.io));
    this.relay.serve((socket, origin) => sockets.adopt(socket, origin));
    // A new room is in the directory at once, so a member on another node finds it without waiting for a renewal.
    this.register(rooms.onRoomCreated((room) => {
      void this.directory.renew();
      void this.directory.keepRecordHome(room.id, settings.recordKeptMs);
    }));
    // A room gone from here is gone from the directory now, not at its entry's expiry: its record is found at its home.
    this.register(rooms.onRoomRemoved((roomId) => void this.directory.forget(roomId)));
    this.remote = {
      ownerOf: async (roomId) => {
        if (!this.link.up) return 'unavailable';
        const owner = await this.directory.ownerOf(roomId);
        // Just after an outage the room's node may not have written its entries again yet: not found is not final then.
        return owner === undefined && this.directory.settling() ? 'unavailable' : owner;
      },
      open: (socket, owner, peer) => this.relay.open(socket, owner, peer),
    };
    log.info({ node: this.nodeId }, `redis: this is node ${this.nodeId}`);
  }

  /** The shared node key: made by the first node, read by every one (agreeOnSecret). */
  private async readNodeKey(): Promise<void> {
    try {
      const proposal = this.nodes.currentKey() ?? randomBytes(ClusterSizes.NodeKeyBytes).toString('base64url');
      this.nodes.setKey(await agreeOnSecret(this.link.commands, NODE_KEY, proposal, ClusterSizes.NodeKeyBytes));
    } catch (error) {
      // Redis went down again (the next connection reads it), or the key is damaged (forwarding waits for a good one).
      log.warn({}, `redis: cannot read the node key: ${String(error)}`);
    }
  }

  /** Members relayed to other nodes' rooms and from other nodes into ours. */
  relayed(): { outgoing: number; incoming: number } {
    return this.relay.counts();
  }

  /** The listed rooms of every other live node. */
  remoteRooms(): Promise<RoomSummary[]> {
    return this.directory.remoteRooms();
  }
}
