// RoomConnection: one per socket. Rate-limits each event, validates it, checks the role table, then calls the Room.

import type { Socket } from 'socket.io';
import type { ClientToServerEvents, ErrorCode, JoinReply, ServerToClientEvents } from '../shared/events.js';
import { roleAtLeast } from '../shared/events.js';
import { parseAck, parseInput, parseJoin, parseMemberRole, parseResize } from '../shared/validate.js';
import { isClientEvent, type Requirement } from '../auth/permissions.js';
import { admitToRoom } from '../rooms/door.js';
import type { Room } from '../rooms/room.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import type { MemberPort } from '../rooms/ports.js';
import { requesterOf, signedInUser } from '../auth/requester.js';
import type { TokenFailureLimiter } from '../auth/tokenFailures.js';
import type { ClientAddress } from '../net/clientAddress.js';
import { AuditCounter } from '../audit/auditCounter.js';
import type { AuditDetail, AuditEntry, AuditLimit, Auditor } from '../audit/auditLog.js';
import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { EventRateLimiter, EventRateLimits, type RateLimits } from './eventRateLimiter.js';

export type TypedSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** socket.io room that receives a room's live stream; membership is the "live" flag of a member. */
export function liveChannel(roomId: string): string {
  return `live:${roomId}`;
}

/** socket.io room of every member of a room, live or not: broadcasts such as the member list. */
export function membersChannel(roomId: string): string {
  return `members:${roomId}`;
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

/** What a connection enforces and where it reports, shared by all connections of a server. */
export interface ConnectionPolicy {
  eventRoles: Readonly<Record<string, Requirement>>;
  clock: Clock;
  auditor: Auditor;
  /** Members a room admits (its owner is always let in); 0 means no limit. */
  maxMembersPerRoom: number;
  rateLimits?: RateLimits;
  /** How a socket's address is read (--trust-proxy). */
  clientAddress: ClientAddress;
  /** Backs off addresses that keep presenting bad credentials (shared with the REST routes). */
  tokenFailures: TokenFailureLimiter;
}

/** The capability token a client gave in the socket.io handshake (`auth: { token }`), if it is a string. */
function handshakeToken(socket: TypedSocket): string | undefined {
  const auth: unknown = socket.handshake.auth;
  const token = typeof auth === 'object' && auth !== null ? (auth as { token?: unknown }).token : undefined;
  return typeof token === 'string' ? token : undefined;
}

export class RoomConnection extends Disposable {
  private room: Room | undefined;
  private memberId: string | undefined;
  private toldInputFull = false;
  private readonly rateLimiter: EventRateLimiter;
  private readonly deniedWrites: AuditCounter;
  private readonly rateRefusals: AuditCounter;

  constructor(
    private readonly socket: TypedSocket,
    private readonly registry: RoomRegistry,
    private readonly policy: ConnectionPolicy,
  ) {
    super();
    engineQueues(socket);
    this.rateLimiter = new EventRateLimiter(policy.clock, policy.rateLimits ?? EventRateLimits);
    // Middlewares run in order: a flood is cut before it costs validation, role checks or error replies.
    socket.use((_packet, next) => {
      if (this.admit()) next();
    });
    socket.use(([event], next) => {
      if (this.authorize(event)) next();
    });
    socket.on('room:join', (request, ack) => this.join(request, ack));
    socket.on('term:input', (data) => this.input(data));
    socket.on('term:resize', (size) => this.resize(size));
    socket.on('term:ack', (payload) => this.ack(payload));
    socket.on('member:role', (payload) => this.setMemberRole(payload));
    socket.on('disconnect', () => this.dispose());
    this.register(toDisposable(() => this.leave()));
    // Registered after leave(), so they are disposed before it: their last counts still name the room.
    this.deniedWrites = this.register(new AuditCounter(policy.auditor, policy.clock, () => ({ event: 'write.denied', ...this.who() })));
    this.rateRefusals = this.register(new AuditCounter(policy.auditor, policy.clock, () => this.limitEntry('events-per-second')));
  }

  /** The room, member and address that audit records of this connection carry. */
  private who(): Pick<AuditEntry, 'room' | 'actor' | 'address'> {
    return { room: this.room?.id, actor: this.memberId, address: requesterOf(this.socket.request, this.policy.clientAddress).address };
  }

  /** An audit record of a refusal by one of the limits. */
  private limitEntry(limit: AuditLimit, detail: AuditDetail = {}): AuditEntry {
    return { event: 'limit.refused', ...this.who(), detail: { limit, ...detail } };
  }

  /** The event budget, applied to every incoming event before anything else. */
  private admit(): boolean {
    const verdict = this.rateLimiter.admit();
    if (verdict === 'pass') return true;
    this.rateRefusals.note();
    if (verdict === 'drop-and-tell') {
      const rate = this.rateLimiter.limits.SustainedPerSecond;
      this.refuse('rate-limited', `too many events: at most ${rate} a second are handled; the rest were dropped`);
    } else if (verdict === 'disconnect') {
      this.policy.auditor.record(this.limitEntry('events-per-second', { action: 'disconnected' }));
      this.socket.disconnect(true);
    }
    return false;
  }

  /** The role table, applied to every incoming event before any handler runs. */
  private authorize(event: string): boolean {
    if (!isClientEvent(event, this.policy.eventRoles)) {
      this.refuse('bad-request', `unknown event "${event}"`);
      return false;
    }
    const needed = this.policy.eventRoles[event]!;
    if (needed === 'none') return true;
    const role = this.memberId === undefined ? undefined : this.room?.roleOf(this.memberId);
    if (role === undefined) {
      this.refuse('bad-request', 'join a room first');
      return false;
    }
    if (!roleAtLeast(role, needed)) {
      this.deniedWrites.note();
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
    // Only the verified credential counts: a role claimed anywhere in the payload was dropped by parseJoin.
    // Under sign-in, a connection without a user was admitted for its handshake token: that token is its
    // credential unless room:join names another, so it cannot enter a public room as a tokenless viewer.
    const answer = admitToRoom(this.registry, this.policy.tokenFailures, {
      roomId: request.roomId,
      credential: { token: request.token ?? handshakeToken(this.socket), user: signedInUser(this.socket.request)?.id },
      address: requesterOf(this.socket.request, this.policy.clientAddress).address,
      maxMembers: this.policy.maxMembersPerRoom,
    });
    if (answer.kind !== 'admitted') {
      if (answer.kind === 'room-full') {
        this.policy.auditor.record({ ...this.limitEntry('members-per-room', { max: answer.max }), room: answer.room.id });
      }
      reply({ ok: false, code: answer.code, message: answer.message });
      return;
    }
    const { room, admission } = answer;
    const { role } = admission;
    this.room = room;
    // Before room.join, which already tells everyone (this member too) the new member list.
    void this.socket.join(membersChannel(room.id));
    const identity = { ...admission, name: request.name, acks: request.acks, resumeFrom: request.resumeFrom };
    const { memberId } = room.join(identity, this.portFor(room.id));
    this.memberId = memberId;
    this.policy.auditor.record({ event: 'member.joined', ...this.who(), detail: { role } });
    reply({ ok: true, role, memberId });
  }

  private input(raw: unknown): void {
    const data = parseInput(raw);
    if (data === undefined) {
      this.refuse('bad-request', 'term:input wants a non-empty string of at most 64 KiB');
      return;
    }
    const result = this.room!.input(this.memberId!, data);
    if (result === 'forbidden') {
      this.deniedWrites.note();
      this.refuse('forbidden', 'you may not type in this room');
    }
    // Said once per stall, not once per dropped paste chunk.
    if (result === 'full' && !this.toldInputFull) {
      this.refuse('input-full', 'the program is not reading its input: input was dropped (Ctrl-C still gets through)');
    }
    this.toldInputFull = result === 'full';
  }

  private resize(raw: unknown): void {
    const size = parseResize(raw);
    if (!size) {
      this.refuse('bad-request', 'term:resize wants exactly { cols, rows }, whole numbers within the terminal limits');
      return;
    }
    this.room!.resize(size.cols, size.rows, this.who());
  }

  private ack(raw: unknown): void {
    const payload = parseAck(raw);
    if (!payload) {
      this.refuse('bad-request', 'term:ack wants { offset }');
      return;
    }
    this.room!.ack(this.memberId!, payload.offset);
  }

  /** The owner hands out or takes back a member's keyboard; the table already checked the sender is the owner. */
  private setMemberRole(raw: unknown): void {
    const payload = parseMemberRole(raw);
    if (!payload) {
      this.refuse('bad-request', "member:role wants { memberId, role: 'viewer' | 'writer' }");
      return;
    }
    const result = this.room!.setMemberRole(this.memberId!, payload.memberId, payload.role);
    if (result === 'no-member') this.refuse('not-found', 'no such member in this room');
    else if (result === 'is-owner') this.refuse('forbidden', "an owner's role cannot be changed");
    else if (result === 'forbidden') this.refuse('forbidden', 'only the owner hands out the keyboard');
    else if (result === 'ok') {
      this.policy.auditor.record({ event: 'role.changed', ...this.who(), detail: { target: payload.memberId, role: payload.role } });
    }
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
      // Closing the connection (not only the namespace) sends what is queued first, the room:error included.
      close: () => void socket.disconnect(true),
    };
  }

  private refuse(code: ErrorCode, message: string): void {
    this.socket.emit('room:error', { code, message });
  }

  private leave(): void {
    if (this.room) void this.socket.leave(membersChannel(this.room.id));
    if (this.room && this.memberId) {
      this.room.leave(this.memberId);
      this.policy.auditor.record({ event: 'member.left', ...this.who() });
    }
    this.room = undefined;
    this.memberId = undefined;
  }
}
