// Members on one node of rooms owned by another: their events travel to the owner over Redis pub/sub, one channel per node, and its answers come back as acks.
// The owner serves each such member through a RoomConnection around a RemoteSocket, so every check it makes is the one a local member gets.

import type { IDisposable } from '../shared/disposable.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import type { ExitPayload } from '../shared/events.js';
import type { SignedInUser } from '../auth/requester.js';
import { connectionBacklog, type ConnectionOrigin, type RemoteLink, type TypedSocket } from '../realtime/roomConnection.js';
import type { TypedServer } from '../realtime/socketServer.js';
import { log } from '../util/logger.js';
import type { RedisLink } from './redisLink.js';
import { decodeRelayMessage, encodeRelayMessage } from './relayCodec.js';
import type { RoomDirectory } from './roomDirectory.js';

export const RelayTiming = {
  /** An acknowledged event (the join above all) not answered by the owner node within this (ms) failed: nothing hangs. */
  ReplyTimeoutMs: 5_000,
  /** How often a member's node measures its connection's queue for the owner's flow control (ms); the room's own drain check is 100 ms. */
  BacklogCheckMs: 100,
  /** The queue is reported again once it moved by this much (code units), so an idle member costs no messages. */
  BacklogReportStepUnits: 16 * 1024,
} as const;

/** The channel a node listens on for relayed members' traffic. */
export function relayChannel(nodeId: string): string {
  return `ttyroom:relay:${nodeId}`;
}

/** Who a member is, as its own node verified it; the capability token travels for the owner to check, never stored. */
export interface RelayedPeer {
  address: string;
  user?: SignedInUser;
  token?: string;
}

type Message =
  | { kind: 'open'; from: string; socket: string; peer: RelayedPeer }
  | { kind: 'event'; socket: string; event: string; args: unknown[]; ack?: number }
  | { kind: 'backlog'; socket: string; units: number }
  | { kind: 'close'; socket: string }
  | { kind: 'ack'; socket: string; ack: number; args: unknown[] };

function decode(text: string): Message {
  return decodeRelayMessage(text) as Message;
}

function encode(message: Message): string {
  return encodeRelayMessage(message);
}

/** Creates the owner's RoomConnection for a member on another node (SocketServer.adopt). */
export type AdoptConnection = (socket: TypedSocket, origin: ConnectionOrigin) => IDisposable;

type Handler = (...args: unknown[]) => void;
type Middleware = (packet: unknown[], next: (error?: Error) => void) => void;

/**
 * The owner's stand-in for a member's socket on another node: what the RoomConnection sends goes to that socket by
 * id through the adapter, and channel membership is changed there with the adapter's remote join and leave.
 */
class RemoteSocket {
  readonly handshake: { auth: { token?: string } };
  private readonly middlewares: Middleware[] = [];
  private readonly handlers = new Map<string, Handler[]>();
  private closed = false;
  /** The member's queue, as its node last reported it. */
  backlog = 0;

  constructor(
    readonly id: string,
    readonly node: string,
    token: string | undefined,
    private readonly io: TypedServer,
    private readonly reply: (ack: number, args: unknown[]) => void,
    /** Called once when the member's connection ends here, however it ends (kicked, denied, left, its node lost). */
    private readonly ended: () => void,
  ) {
    this.handshake = { auth: token === undefined ? {} : { token } };
  }

  use(middleware: Middleware): this {
    this.middlewares.push(middleware);
    return this;
  }

  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }

  emit(event: string, ...args: unknown[]): boolean {
    if (this.closed) return false;
    (this.io.to(this.id).emit as (event: string, ...args: unknown[]) => boolean)(event, ...args);
    return true;
  }

  join(channel: string): void {
    if (!this.closed) this.io.in(this.id).socketsJoin(channel);
  }

  leave(channel: string): void {
    if (!this.closed) this.io.in(this.id).socketsLeave(channel);
  }

  disconnect(close?: boolean): this {
    if (!this.closed) this.io.in(this.id).disconnectSockets(close === true);
    this.end();
    return this;
  }

  /** An event from the member, through the middlewares (rate limit, role table) as socket.io would run them. */
  deliver(event: string, args: unknown[], ack: number | undefined): void {
    const packet = ack === undefined ? [event, ...args] : [event, ...args, (...answer: unknown[]) => this.reply(ack, answer)];
    const run = (index: number): void => {
      const middleware = this.middlewares[index];
      if (middleware) return middleware(packet, (error) => {
        if (!error) run(index + 1);
      });
      for (const handler of this.handlers.get(event) ?? []) handler(...packet.slice(1));
    };
    run(0);
  }

  /** The member's connection ended (or its node did): the RoomConnection leaves the room. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.handlers.get('disconnect') ?? []) handler('transport close');
    this.ended();
  }
}

/** A member's side: its events go to the owner node; the owner's acks come back. */
class OutgoingLink extends Disposable implements RemoteLink {
  private readonly ended = this.register(new Emitter<void>());
  readonly onEnded = this.ended.event;
  private readonly pending = new Map<number, { answer: Handler; timer: NodeJS.Timeout }>();
  private nextAck = 1;
  private reported = 0;

  constructor(
    readonly socket: TypedSocket,
    readonly owner: string,
    private readonly send: (message: Message) => boolean,
    watch: IDisposable,
    /** Takes the link out of its relay's map, however it ends (its connection left, or the link ended). */
    forget: () => void,
  ) {
    super();
    this.register(watch);
    this.register(toDisposable(forget));
    this.register(toDisposable(() => {
      for (const { timer: replyTimer } of this.pending.values()) clearTimeout(replyTimer);
      this.pending.clear();
      this.send({ kind: 'close', socket: socket.id });
    }));
  }

  forward(event: string, args: unknown[]): void {
    const last = args.at(-1);
    if (typeof last !== 'function') {
      this.send({ kind: 'event', socket: this.socket.id, event, args });
      return;
    }
    const ack = this.nextAck++;
    const timer = setTimeout(() => {
      // The owner did not answer: the request failed. A join is answered so (its client retries later); other acks stay unanswered, as a lost packet's would.
      this.pending.delete(ack);
      if (event === 'room:join') (last as Handler)({ ok: false, code: 'unavailable', message: 'the node that holds this room did not answer; try again' });
    }, RelayTiming.ReplyTimeoutMs);
    this.pending.set(ack, { answer: last as Handler, timer });
    if (!this.send({ kind: 'event', socket: this.socket.id, event, args: args.slice(0, -1), ack })) {
      clearTimeout(timer);
      this.pending.delete(ack);
      if (event === 'room:join') (last as Handler)({ ok: false, code: 'unavailable', message: 'this node lost its link to the other nodes; try again' });
    }
  }

  answer(ack: number, args: unknown[]): void {
    const pending = this.pending.get(ack);
    if (!pending) return;
    this.pending.delete(ack);
    clearTimeout(pending.timer);
    pending.answer(...args);
  }

  /** The owner node is gone: the member hears that its room ended, and the link ends. */
  ownerLost(): void {
    const payload: ExitPayload = { exitCode: -1, reason: 'node-lost' };
    this.socket.emit('term:exit', payload);
    this.end();
  }

  /** Ends the link without telling the member anything (it reconnects, or already left). */
  end(): void {
    if (this.isDisposed) return;
    this.ended.fire();
    this.dispose();
  }

  /** Tells the owner the member's queue when it moved enough since the last report. */
  reportBacklog(): void {
    const units = connectionBacklog(this.socket);
    if (Math.abs(units - this.reported) < RelayTiming.BacklogReportStepUnits && !(units === 0 && this.reported !== 0)) return;
    this.reported = units;
    this.send({ kind: 'backlog', socket: this.socket.id, units });
  }
}

export class Relay extends Disposable {
  /** Members here of rooms owned elsewhere, by socket id. */
  private readonly outgoing = new Map<string, OutgoingLink>();
  /** Members elsewhere of rooms owned here, by their socket id. */
  private readonly incoming = new Map<string, { socket: RemoteSocket; connection: IDisposable; watch: IDisposable }>();
  private adopt: AdoptConnection | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly directory: RoomDirectory,
    private readonly io: TypedServer,
  ) {
    super();
    const channel = relayChannel(directory.nodeId);
    const listener = (from: string, text: string): void => {
      if (from !== channel) return;
      try {
        this.receive(decode(text));
      } catch (error) {
        log.warn({}, `redis: a relayed message could not be handled: ${String(error)}`);
      }
    };
    link.subscriber.on('message', listener);
    // One timer for every relayed member here, not one each: a node may relay thousands.
    const timer = setInterval(() => {
      for (const outgoing of this.outgoing.values()) outgoing.reportBacklog();
    }, RelayTiming.BacklogCheckMs);
    this.register(toDisposable(() => clearInterval(timer)));
    void link.subscriber.subscribe(channel).catch(() => undefined);
    this.register(toDisposable(() => {
      link.subscriber.off('message', listener);
      for (const outgoing of [...this.outgoing.values()]) outgoing.end();
      for (const id of [...this.incoming.keys()]) this.dropIncoming(id);
    }));
    this.register(directory.onNodeLost((node) => {
      for (const outgoing of [...this.outgoing.values()]) if (outgoing.owner === node) outgoing.ownerLost();
      for (const [id, entry] of [...this.incoming]) if (entry.socket.node === node) this.dropIncoming(id);
    }));
    // Messages published while Redis was down are lost, so neither side can trust its stream: members here of rooms
    // elsewhere reconnect (their client resumes from its offset once Redis is back), members elsewhere leave.
    this.register(link.onUpChanged((up) => {
      if (up) return;
      for (const outgoing of [...this.outgoing.values()]) {
        outgoing.end();
        outgoing.socket.conn.close();
      }
      for (const id of [...this.incoming.keys()]) this.dropIncoming(id);
    }));
  }

  /** Where the owner's RoomConnections come from (set once the socket server is attached). */
  serve(adopt: AdoptConnection): void {
    this.adopt = adopt;
  }

  /** A member here joins a room owned by `owner`: its traffic goes there until the returned link ends. */
  open(socket: TypedSocket, owner: string, peer: RelayedPeer): RemoteLink {
    const send = (message: Message): boolean => this.link.publish(relayChannel(owner), encode(message));
    const link = new OutgoingLink(socket, owner, send, this.directory.watch(owner), () => {
      if (this.outgoing.get(socket.id) === link) this.outgoing.delete(socket.id);
    });
    this.outgoing.set(socket.id, link);
    send({ kind: 'open', from: this.directory.nodeId, socket: socket.id, peer });
    return link;
  }

  /** Members of rooms owned elsewhere connected here, and members elsewhere of rooms owned here. */
  counts(): { outgoing: number; incoming: number } {
    return { outgoing: this.outgoing.size, incoming: this.incoming.size };
  }

  private receive(message: Message): void {
    switch (message.kind) {
      case 'open': {
        if (!this.adopt || this.incoming.has(message.socket)) return;
        const { from, socket: id, peer } = message;
        const reply = (ack: number, args: unknown[]): void => void this.link.publish(relayChannel(from), encode({ kind: 'ack', socket: id, ack, args }));
        const socket = new RemoteSocket(id, from, peer.token, this.io, reply, () => this.dropIncoming(id));
        const origin: ConnectionOrigin = { address: peer.address, ...(peer.user ? { user: peer.user } : {}), backlog: () => socket.backlog };
        // The one place a stand-in is passed as a socket: RoomConnection uses only what RemoteSocket implements (ConnectionOrigin replaces the rest).
        const connection = this.adopt(socket as unknown as TypedSocket, origin);
        this.incoming.set(id, { socket, connection, watch: this.directory.watch(from) });
        return;
      }
      case 'event':
        this.incoming.get(message.socket)?.socket.deliver(message.event, message.args, message.ack);
        return;
      case 'backlog': {
        const entry = this.incoming.get(message.socket);
        if (entry) entry.socket.backlog = message.units;
        return;
      }
      case 'close':
        this.dropIncoming(message.socket);
        return;
      case 'ack':
        this.outgoing.get(message.socket)?.answer(message.ack, message.args);
        return;
    }
  }

  private dropIncoming(id: string): void {
    const entry = this.incoming.get(id);
    if (!entry) return;
    this.incoming.delete(id);
    entry.socket.end();
    entry.connection.dispose();
    entry.watch.dispose();
  }
}
