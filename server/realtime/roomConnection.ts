// RoomConnection: one per socket. Validates each event, checks the role table, then calls the Room.

import type { Socket } from 'socket.io';
import type { ClientToServerEvents, ErrorCode, JoinReply, ServerToClientEvents } from '../protocol/events.js';
import { roleAtLeast } from '../protocol/events.js';
import { parseAck, parseInput, parseJoin, parseSize } from '../protocol/validate.js';
import { isClientEvent, type Requirement } from '../auth/permissions.js';
import type { Room } from '../rooms/room.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import type { MemberPort } from '../rooms/ports.js';
import { Disposable, toDisposable } from '../util/disposable.js';

export type TypedSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** socket.io room that receives a room's live stream; membership is the "live" flag of a member. */
export function liveChannel(roomId: string): string {
  return `live:${roomId}`;
}

/** The parts of engine.io's connection that hold what is queued toward the client; checked on connect. */
interface EngineQueues {
  writeBuffer: Array<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: unknown } };
}

function engineQueues(socket: TypedSocket): EngineQueues {
  const conn = socket.conn as unknown as Partial<EngineQueues>;
  if (!Array.isArray(conn.writeBuffer)) {
    throw new Error('engine.io internals changed: cannot measure what is queued toward a client');
  }
  return conn as EngineQueues;
}

/**
 * What is queued toward this client and not yet taken by the kernel: packets engine.io holds while the
 * transport is busy (it stays busy while the client does not read), plus what the WebSocket library
 * buffered. socket.io offers no public measure of this.
 */
function connectionBacklog(socket: TypedSocket): number {
  const queues = engineQueues(socket);
  let total = 0;
  for (const packet of queues.writeBuffer) {
    const data = packet.data;
    if (typeof data === 'string') total += data.length;
    else if (data instanceof Uint8Array) total += data.byteLength;
  }
  const buffered = queues.transport?.socket?.bufferedAmount;
  if (typeof buffered === 'number') total += buffered;
  return total;
}

/** The one answer for both "no such room" and "bad token", so neither can be probed. */
const NOT_FOUND_MESSAGE = 'no such room, or the link is not valid';

export class RoomConnection extends Disposable {
  private room: Room | undefined;
  private memberId: string | undefined;
  private toldInputFull = false;

  constructor(
    private readonly socket: TypedSocket,
    private readonly registry: RoomRegistry,
    private readonly eventRoles: Readonly<Record<string, Requirement>>,
  ) {
    super();
    engineQueues(socket);
    socket.use(([event], next) => {
      if (this.authorize(event)) next();
    });
    socket.on('room:join', (request, ack) => this.join(request, ack));
    socket.on('term:input', (data) => this.input(data));
    socket.on('term:resize', (size) => this.resize(size));
    socket.on('term:ack', (payload) => this.ack(payload));
    socket.on('disconnect', () => this.dispose());
    this.register(toDisposable(() => this.leave()));
  }

  /** The role table, applied to every incoming event before any handler runs. */
  private authorize(event: string): boolean {
    if (!isClientEvent(event, this.eventRoles)) {
      this.refuse('bad-request', `unknown event "${event}"`);
      return false;
    }
    const needed = this.eventRoles[event]!;
    if (needed === 'none') return true;
    const role = this.memberId === undefined ? undefined : this.room?.roleOf(this.memberId);
    if (role === undefined) {
      this.refuse('bad-request', 'join a room first');
      return false;
    }
    if (!roleAtLeast(role, needed)) {
      this.refuse('forbidden', `your role (${role}) may not send ${event}`);
      return false;
    }
    return true;
  }

  private join(raw: unknown, ack: unknown): void {
    if (typeof ack !== 'function') {
      this.refuse('bad-request', 'room:join needs an acknowledgement callback');
      return;
    }
    const reply = ack as (reply: JoinReply) => void;
    const request = parseJoin(raw);
    if (!request) {
      reply({ ok: false, code: 'bad-request', message: 'room:join wants { roomId, token?, name?, resumeFrom?, acks? }' });
      return;
    }
    if (this.room) {
      reply({ ok: false, code: 'conflict', message: 'this connection already joined a room' });
      return;
    }
    const room = this.registry.get(request.roomId);
    const role = room?.roleForToken(request.token);
    if (!room || !role) {
      reply({ ok: false, code: 'not-found', message: NOT_FOUND_MESSAGE });
      return;
    }
    this.room = room;
    const identity = { name: request.name, role, acks: request.acks, resumeFrom: request.resumeFrom };
    const { memberId } = room.join(identity, this.portFor(room.id));
    this.memberId = memberId;
    reply({ ok: true, role, memberId });
  }

  private input(raw: unknown): void {
    const data = parseInput(raw);
    if (data === undefined) {
      this.refuse('bad-request', 'term:input wants a non-empty string of at most 64 KiB');
      return;
    }
    const result = this.room!.input(this.memberId!, data);
    if (result === 'forbidden') this.refuse('forbidden', 'you may not type in this room');
    // Said once per stall, not once per dropped paste chunk.
    if (result === 'full' && !this.toldInputFull) {
      this.refuse('input-full', 'the program is not reading its input: input was dropped (Ctrl-C still gets through)');
    }
    this.toldInputFull = result === 'full';
  }

  private resize(raw: unknown): void {
    const size = parseSize(raw);
    if (!size) {
      this.refuse('bad-request', 'term:resize wants whole numbers { cols, rows } within the terminal limits');
      return;
    }
    this.room!.resize(size.cols, size.rows);
  }

  private ack(raw: unknown): void {
    const payload = parseAck(raw);
    if (!payload) {
      this.refuse('bad-request', 'term:ack wants { offset }');
      return;
    }
    this.room!.ack(this.memberId!, payload.offset);
  }

  private portFor(roomId: string): MemberPort {
    const socket = this.socket;
    return {
      send: (event, ...args) => socket.emit(event, ...args),
      setLive: (live) => {
        // The in-memory adapter joins and leaves synchronously, which keeps join atomic.
        if (live) void socket.join(liveChannel(roomId));
        else void socket.leave(liveChannel(roomId));
      },
      backlog: () => connectionBacklog(socket),
    };
  }

  private refuse(code: ErrorCode, message: string): void {
    this.socket.emit('room:error', { code, message });
  }

  private leave(): void {
    if (this.room && this.memberId) this.room.leave(this.memberId);
    this.room = undefined;
    this.memberId = undefined;
  }
}
