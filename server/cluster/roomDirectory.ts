// The room directory in Redis: which node owns which room (and its lobby summary), and which nodes are alive, each renewed with an expiry.

import type { RoomSummary } from '../shared/events.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import { log } from '../util/logger.js';
import type { RedisLink } from './redisLink.js';

/** Keys, all under one prefix so a shared Redis can tell ttyroom's apart. */
export const DirectoryKeys = {
  /** Set of node ids that registered at some point; dead ones are removed by whoever notices. */
  nodes: 'ttyroom:nodes',
  /** A node's heartbeat: exists while the node is alive; holds the URL other nodes forward HTTP requests to. */
  node: (nodeId: string) => `ttyroom:node:${nodeId}`,
  /** Hash of a node's listed rooms: room id → RoomSummary as JSON. */
  nodeRooms: (nodeId: string) => `ttyroom:node-rooms:${nodeId}`,
  /** A room's owner node id (every room of the node, listed or not: a member on another node joins through it). */
  room: (roomId: string) => `ttyroom:room:${roomId}`,
  /**
   * The URL of the node that keeps a room's record (recording, audit, bundle): set when the room opens and kept
   * for the retention period, so the record of a room that ended is found from any node.
   */
  recordHome: (roomId: string) => `ttyroom:record-home:${roomId}`,
} as const;

export const DirectoryTiming = {
  /** Default expiry of a node's heartbeat and of its rooms' entries (ms): a node killed is seen gone within this. */
  DefaultExpiryMs: 15_000,
  /** Entries are renewed this many times per expiry, so one late renewal never lets a live node expire. */
  RenewalsPerExpiry: 3,
} as const;

/** What the directory publishes about this node's rooms. */
export interface LocalRooms {
  /** Every room of this node: its id, its summary, and whether the lobby of every node may list it. */
  rooms(): ReadonlyArray<{ summary: RoomSummary; listed: boolean }>;
}

export class RoomDirectory extends Disposable {
  private readonly nodeLost = this.register(new Emitter<string>());
  /** A node this one depends on (it holds members of its rooms, or it holds members of ours) stopped renewing. */
  readonly onNodeLost = this.nodeLost.event;
  /** Nodes whose loss matters here, with how many things depend on each. */
  private readonly watched = new Map<string, number>();
  /** When Redis came back after an outage (ms since the epoch); undefined before the first outage. */
  private backSince: number | undefined;
  private wasUp = false;

  constructor(
    private readonly link: RedisLink,
    readonly nodeId: string,
    private readonly local: LocalRooms,
    readonly expiryMs: number = DirectoryTiming.DefaultExpiryMs,
    /** Where other nodes reach this node's HTTP API (--node-url, or its --host and port once listening). */
    private readonly nodeUrl: () => string = () => '',
  ) {
    super();
    const timer = setInterval(() => void this.tick(), Math.max(1, Math.floor(expiryMs / DirectoryTiming.RenewalsPerExpiry)));
    this.register(toDisposable(() => clearInterval(timer)));
    // Back after an outage: this node's rooms are listed again at once (its entries may have expired meanwhile).
    this.register(link.onUpChanged((up) => {
      if (up && this.wasUp) this.backSince = Date.now();
      if (up) {
        this.wasUp = true;
        void this.renew();
      }
    }));
    this.register(toDisposable(() => void this.withdraw()));
  }

  /** Writes this node's heartbeat and every room's entry, renewing their expiry. */
  async renew(): Promise<void> {
    if (!this.link.up) return;
    const redis = this.link.commands;
    const px = this.expiryMs;
    const rooms = this.local.rooms();
    const multi = redis.multi()
      .set(DirectoryKeys.node(this.nodeId), this.nodeUrl(), 'PX', px)
      .sadd(DirectoryKeys.nodes, this.nodeId)
      .del(DirectoryKeys.nodeRooms(this.nodeId));
    const listed = rooms.filter((room) => room.listed);
    if (listed.length > 0) {
      multi.hset(DirectoryKeys.nodeRooms(this.nodeId), Object.fromEntries(listed.map((room) => [room.summary.id, JSON.stringify(room.summary)])));
      multi.pexpire(DirectoryKeys.nodeRooms(this.nodeId), px);
    }
    for (const room of rooms) multi.set(DirectoryKeys.room(room.summary.id), this.nodeId, 'PX', px);
    try {
      await multi.exec();
    } catch (error) {
      // Redis went down between the check and the write: the next renewal after it is back writes it all again.
      log.debug({}, `redis: directory renewal failed: ${String(error)}`);
    }
  }

  /** A room of this node ended: its entry goes now, not at its expiry. */
  async forget(roomId: string): Promise<void> {
    if (!this.link.up) return;
    await this.link.commands.multi().del(DirectoryKeys.room(roomId)).hdel(DirectoryKeys.nodeRooms(this.nodeId), roomId).exec().catch(() => undefined);
  }

  /**
   * Keeps where this node's room `roomId` has its record, for `keepMs` (0: as long as Redis keeps it), so any
   * node can forward requests for that record after the room ended.
   */
  async keepRecordHome(roomId: string, keepMs: number): Promise<void> {
    if (!this.link.up) return;
    const key = DirectoryKeys.recordHome(roomId);
    const write = keepMs > 0 ? this.link.commands.set(key, this.nodeUrl(), 'PX', keepMs) : this.link.commands.set(key, this.nodeUrl());
    await write.catch(() => undefined);
  }

  /**
   * Where to forward an HTTP request about `roomId` that this node cannot answer: the URL of the live node
   * running it, else of the node keeping its record; undefined when neither is known (or Redis is down).
   */
  async homeOf(roomId: string): Promise<string | undefined> {
    if (!this.link.up) return undefined;
    try {
      const redis = this.link.commands;
      const owner = await redis.get(DirectoryKeys.room(roomId));
      if (owner !== null && owner !== this.nodeId) {
        const url = await redis.get(DirectoryKeys.node(owner));
        if (url) return url;
      }
      const home = await redis.get(DirectoryKeys.recordHome(roomId));
      return home !== null && home !== this.nodeUrl() ? home : undefined;
    } catch {
      return undefined;
    }
  }

  /** The node that owns `roomId`, when it is another node and alive. */
  async ownerOf(roomId: string): Promise<string | undefined> {
    if (!this.link.up) return undefined;
    try {
      const owner = await this.link.commands.get(DirectoryKeys.room(roomId));
      if (owner === null || owner === this.nodeId) return undefined;
      return (await this.link.commands.exists(DirectoryKeys.node(owner))) === 1 ? owner : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether the directory may still be missing rooms: within one expiry after Redis came back from an outage
   * (an emptied Redis too), every node has renewed its entries. A room not found meanwhile may be one of those.
   */
  settling(): boolean {
    return this.backSince !== undefined && Date.now() - this.backSince < this.expiryMs;
  }

  /** The listed rooms of every other live node; nodes found dead are cleaned from the directory. */
  async remoteRooms(): Promise<RoomSummary[]> {
    if (!this.link.up) return [];
    try {
      const redis = this.link.commands;
      const nodes = (await redis.smembers(DirectoryKeys.nodes)).filter((node) => node !== this.nodeId);
      const rooms: RoomSummary[] = [];
      for (const node of nodes) {
        if ((await redis.exists(DirectoryKeys.node(node))) === 0) {
          await this.clean(node);
          continue;
        }
        const entries = await redis.hgetall(DirectoryKeys.nodeRooms(node));
        for (const text of Object.values(entries)) rooms.push(JSON.parse(text) as RoomSummary);
      }
      return rooms;
    } catch {
      // Redis went away mid-listing: the lobby shows this node's rooms only, as it does while Redis is down.
      return [];
    }
  }

  /** Watches `nodeId` until the returned disposable is disposed: onNodeLost fires if its heartbeat expires. */
  watch(nodeId: string): { dispose(): void } {
    this.watched.set(nodeId, (this.watched.get(nodeId) ?? 0) + 1);
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        const left = (this.watched.get(nodeId) ?? 1) - 1;
        if (left <= 0) this.watched.delete(nodeId);
        else this.watched.set(nodeId, left);
      },
    };
  }

  private async tick(): Promise<void> {
    await this.renew();
    if (!this.link.up || this.watched.size === 0) return;
    for (const node of [...this.watched.keys()]) {
      let alive: boolean;
      try {
        alive = (await this.link.commands.exists(DirectoryKeys.node(node))) === 1;
      } catch {
        // Redis is down: nobody can tell; the link going down is handled on its own.
        return;
      }
      if (alive || !this.watched.has(node)) continue;
      this.watched.delete(node);
      log.warn({ node }, `redis: node ${node} stopped renewing its heartbeat; its rooms are ended here`);
      await this.clean(node);
      this.nodeLost.fire(node);
    }
  }

  /** Removes a dead node's entries; its rooms' keys expire on their own (they were renewed with its heartbeat). */
  private async clean(node: string): Promise<void> {
    await this.link.commands.multi().srem(DirectoryKeys.nodes, node).del(DirectoryKeys.nodeRooms(node)).exec().catch(() => undefined);
  }

  /** On a clean stop, this node and its rooms leave the directory at once. */
  private async withdraw(): Promise<void> {
    if (!this.link.up) return;
    const rooms = this.local.rooms();
    const multi = this.link.commands.multi().del(DirectoryKeys.node(this.nodeId)).srem(DirectoryKeys.nodes, this.nodeId).del(DirectoryKeys.nodeRooms(this.nodeId));
    for (const room of rooms) multi.del(DirectoryKeys.room(room.summary.id));
    await multi.exec().catch(() => undefined);
  }
}
