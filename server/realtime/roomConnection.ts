// RoomConnection: one per socket. Rate-limits each event, validates it, checks the role table, then calls the Room.

import type { Socket } from 'socket.io';
import type { ClientToServerEvents, ErrorCode, JoinReply, JoinRequest, RewindTicketReply, ServerToClientEvents } from '../shared/events.js';
import { roleAtLeast } from '../shared/events.js';
import {
  parseAck,
  parseAdmit,
  parseBookmark,
  parseChat,
  parseCurtain,
  parseHandLower,
  parseInput,
  parseJoin,
  parseMemberRef,
  parseMemberRole,
  parseResize,
  parseSettingsPatch,
  parseTransferData,
} from '../shared/validate.js';
import { PayloadLimits, RewindLimits } from '../shared/limits.js';
import type { HistoryTickets } from '../auth/historyTickets.js';
import { TokenBucket } from '../util/tokenBucket.js';
import { isClientEvent, type Requirement } from '../auth/permissions.js';
import { admitToRoom } from '../rooms/door.js';
import type { ActionResult, InputResult, Room } from '../rooms/room.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import type { MemberPort } from '../rooms/ports.js';
import { requesterOf, signedInUser, type SignedInUser } from '../auth/requester.js';
import type { TokenFailureLimiter } from '../auth/tokenFailures.js';
import type { ClientAddress } from '../net/clientAddress.js';
import { AuditCounter } from '../audit/auditCounter.js';
import type { AuditDetail, AuditEntry, AuditLimit, Auditor } from '../audit/auditLog.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import type { Event } from '../shared/emitter.js';
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
export function connectionBacklog(socket: TypedSocket): number {
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
  /** Where members' sessions are recorded: join, leave, and how many chat messages (never their text). */
  sessions: MemberSessions;
  /** Rewind: issues the tickets for GET /api/rooms/:id/history, to rooms that have a history to rewind through. */
  rewind: RewindPolicy;
  /** Watches connections for the metrics (server/observe/); none by default. */
  observer?: ConnectionObserver;
  /** Scale-out (--redis): rooms owned by other nodes; none on a single node. */
  remote?: RemoteRooms;
}

/** Rooms on other nodes (server/cluster/): a member here joins one through a link to its owner node. */
export interface RemoteRooms {
  /** The node that owns `roomId` when it is another one; 'unavailable' when that cannot be told now (Redis is down). */
  ownerOf(roomId: string): Promise<string | undefined | 'unavailable'>;
  /** A link that carries this connection's events to `owner`, which answers its acks and sends to the socket itself. */
  open(socket: TypedSocket, owner: string, peer: { address: string; user?: SignedInUser; token?: string }): RemoteLink;
}

/** A member's events on their way to the node that owns its room. */
export interface RemoteLink extends IDisposable {
  /** An event and its arguments as socket.io gave them (an ack callback last). */
  forward(event: string, args: unknown[]): void;
  /** The link ended (its owner node was lost, or Redis was). */
  readonly onEnded: Event<void>;
}

/**
 * Who is behind a connection whose socket is on another node (server/cluster/relay.ts): that node verified the
 * address and the signed-in user, and measures the connection's queue.
 */
export interface ConnectionOrigin {
  address: string;
  user?: SignedInUser;
  backlog(): number;
}

/** Why a member's `term:input` was not written to the program (a metrics label: a fixed, small set). */
export type InputRefusal = 'malformed' | 'not-joined' | 'role' | 'rate-limited' | 'program-not-reading' | 'room-ended' | 'transfer-busy';

/** What an observer sees of connections: never a payload, only refusals and the member's port to wrap. */
export interface ConnectionObserver {
  inputRefused(reason: InputRefusal): void;
  /** The port the room will use for a member of `roomId`: the observer may wrap it to watch what is sent. */
  memberPort(roomId: string, port: MemberPort): MemberPort;
}

export interface RewindPolicy {
  tickets: HistoryTickets;
  /** The room has a recording (a room with recording off has none: rewind needs it). */
  hasHistory(roomId: string): boolean;
}

export type MemberSessions = Pick<Store, 'memberJoined' | 'memberLeft' | 'chatSent'>;

/** The capability token a client gave in the socket.io handshake (`auth: { token }`), if it is a string. */
function handshakeToken(socket: TypedSocket): string | undefined {
  const auth: unknown = socket.handshake.auth;
  const token = typeof auth === 'object' && auth !== null ? (auth as { token?: unknown }).token : undefined;
  return typeof token === 'string' ? token : undefined;
}

/** The room's answer to input, as a refusal reason. */
const INPUT_REFUSALS: Readonly<Record<Exclude<InputResult, 'ok'>, InputRefusal>> = {
  forbidden: 'role',
  full: 'program-not-reading',
  gone: 'room-ended',
  busy: 'transfer-busy',
};

export class RoomConnection extends Disposable {
  private room: Room | undefined;
  private memberId: string | undefined;
  private toldInputFull = false;
  private readonly rateLimiter: EventRateLimiter;
  private readonly deniedWrites: AuditCounter;
  private readonly rateRefusals: AuditCounter;
  /** Rewind tickets this connection may ask for (each one streams a whole recording). */
  private readonly rewindBudget: TokenBucket;

  /** Set while this connection's room lives on another node: every event goes there. */
  private relay: RemoteLink | undefined;
  private relayPending = false;

  constructor(
    private readonly socket: TypedSocket,
    private readonly registry: RoomRegistry,
    private readonly policy: ConnectionPolicy,
    /** For a member connected to another node (scale-out): who it is; its socket is a stand-in. */
    private readonly origin?: ConnectionOrigin,
  ) {
    super();
    if (!origin) engineQueues(socket);
    this.rateLimiter = new EventRateLimiter(policy.clock, policy.rateLimits ?? EventRateLimits);
    this.rewindBudget = new TokenBucket(policy.clock, RewindLimits.PerSecond, RewindLimits.Burst);
    // Middlewares run in order: a flood is cut before it costs validation, role checks or error replies.
    socket.use(([event], next) => {
      if (this.admit(event)) next();
    });
    // A member of a room on another node: that node runs the role table and everything after it.
    socket.use(([event, ...args], next) => {
      if (this.relay) this.relay.forward(event, args);
      else next();
    });
    socket.use(([event], next) => {
      if (this.authorize(event)) next();
    });
    socket.on('room:join', (request, ack) => this.join(request, ack));
    socket.on('term:input', (data) => this.input(data));
    socket.on('term:resize', (size) => this.resize(size));
    socket.on('term:ack', (payload) => this.ack(payload));
    socket.on('member:role', (payload) => this.setMemberRole(payload));
    socket.on('member:kick', (payload) => this.kick(payload));
    socket.on('member:admit', (payload) => this.admitMember(payload));
    socket.on('hand:raise', () => this.raiseHand());
    socket.on('hand:lower', (payload) => this.lowerHand(payload));
    socket.on('room:settings', (payload) => this.updateSettings(payload));
    socket.on('room:curtain', (payload) => this.setCurtain(payload));
    socket.on('room:handover', (payload) => this.handOver(payload));
    socket.on('chat:send', (text) => this.chat(text));
    socket.on('bookmark:add', (payload) => this.bookmark(payload));
    socket.on('rewind:ticket', (ack) => this.rewindTicket(ack));
    socket.on('transfer:data', (data, ack) => this.transferData(data, ack));
    socket.on('transfer:cancel', () => this.cancelTransfer());
    socket.on('disconnect', () => this.dispose());
    this.register(toDisposable(() => this.leave()));
    // Registered after leave(), so they are disposed before it: their last counts still name the room.
    this.deniedWrites = this.register(new AuditCounter(policy.auditor, policy.clock, () => ({ event: 'write.denied', ...this.who() })));
    this.rateRefusals = this.register(new AuditCounter(policy.auditor, policy.clock, () => this.limitEntry('events-per-second')));
  }

  /** The room, member and address that audit records of this connection carry. */
  private who(): Pick<AuditEntry, 'room' | 'actor' | 'address'> {
    return { room: this.room?.id, actor: this.memberId, address: this.address() };
  }

  private address(): string {
    return this.origin?.address ?? requesterOf(this.socket.request, this.policy.clientAddress).address;
  }

  private user(): SignedInUser | undefined {
    return this.origin ? this.origin.user : signedInUser(this.socket.request);
  }

  /** An audit record of a refusal by one of the limits. */
  private limitEntry(limit: AuditLimit, detail: AuditDetail = {}): AuditEntry {
    return { event: 'limit.refused', ...this.who(), detail: { limit, ...detail } };
  }

  /** The event budget, applied to every incoming event before anything else. */
  private admit(event: string): boolean {
    const verdict = this.rateLimiter.admit();
    if (verdict === 'pass') return true;
    this.rateRefusals.note();
    if (event === 'term:input') this.policy.observer?.inputRefused('rate-limited');
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
      if (event === 'term:input') this.policy.observer?.inputRefused('not-joined');
      this.refuse('bad-request', 'join a room first');
      return false;
    }
    if (!roleAtLeast(role, needed)) {
      if (event === 'term:input') this.policy.observer?.inputRefused('role');
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
      reply({ ok: false, code: 'bad-request', message: 'room:join wants { roomId, token?, name?, resumeFrom?, acks?, pass? }' });
      return;
    }
    if (this.room || this.relayPending) {
      reply({ ok: false, code: 'conflict', message: 'this connection already joined a room' });
      return;
    }
    if (this.policy.remote && !this.registry.get(request.roomId)) {
      void this.joinElsewhere(this.policy.remote, raw, request, reply);
      return;
    }
    this.joinHere(request, reply);
  }

  /** The room is not here: if another node owns it, the join and everything after it go there. */
  private async joinElsewhere(remote: RemoteRooms, raw: unknown, request: JoinRequest, reply: (reply: JoinReply) => void): Promise<void> {
    this.relayPending = true;
    const owner = await remote.ownerOf(request.roomId);
    this.relayPending = false;
    if (this.isDisposed) return;
    if (owner === 'unavailable') {
      reply({ ok: false, code: 'unavailable', message: 'this node cannot reach the other nodes right now; try again' });
      return;
    }
    // No node has it: the answer a single node gives (not found, with its audit).
    if (owner === undefined) return this.joinHere(request, reply);
    const user = this.user();
    // The raw payload goes to the owner, which parses it itself; the credential rides along as on a local join.
    const token = request.token ?? handshakeToken(this.socket);
    const link = remote.open(this.socket, owner, { address: this.address(), ...(user ? { user } : {}), ...(token !== undefined ? { token } : {}) });
    this.relay = link;
    link.onEnded(() => {
      if (this.relay === link) this.relay = undefined;
    });
    link.forward('room:join', [raw, (answer: JoinReply) => {
      // Refused: this connection may try again, here or elsewhere.
      if (!answer.ok && this.relay === link) {
        this.relay = undefined;
        link.dispose();
      }
      reply(answer);
    }]);
  }

  private joinHere(request: JoinRequest, reply: (reply: JoinReply) => void): void {
    // Only the verified credential counts: a role claimed anywhere in the payload was dropped by parseJoin.
    // Under sign-in, a connection without a user was admitted for its handshake token: that token is its
    // credential unless room:join names another, so it cannot enter a public room as a tokenless viewer.
    const answer = admitToRoom(this.registry, this.policy.tokenFailures, {
      roomId: request.roomId,
      credential: { token: request.token ?? handshakeToken(this.socket), user: this.user()?.id },
      address: this.address(),
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
    // Signed in, the member is known by its sign-in name, not one it chooses.
    const user = this.user();
    const name = user?.name ?? request.name;
    const identity = {
      ...admission,
      name,
      signedIn: user !== undefined,
      acks: request.acks,
      resumeFrom: request.resumeFrom,
      pass: request.pass,
      transfers: request.transfers,
    };
    const joined = room.join(identity, this.portFor(room.id));
    if (!joined.ok) {
      this.policy.auditor.record({ ...this.limitEntry('room-locked'), room: room.id });
      reply({ ok: false, code: joined.code, message: joined.message });
      return;
    }
    this.room = room;
    this.memberId = joined.memberId;
    const { role, colour, waiting } = joined;
    const who = this.who();
    this.policy.auditor.record({ event: 'member.joined', ...who, detail: waiting ? { role, waiting } : { role } });
    this.policy.sessions.memberJoined({
      room: room.id,
      memberId: joined.memberId,
      name: joined.name,
      role,
      user: user?.id,
      address: who.address,
      joinedAt: this.policy.clock.now(),
    });
    reply(waiting ? { ok: true, role, memberId: joined.memberId, colour, waiting: true } : { ok: true, role, memberId: joined.memberId, colour });
    // After the reply, so a client knows its member id before the room's first messages to it.
    room.welcome(joined.memberId);
  }

  private input(raw: unknown): void {
    const data = parseInput(raw);
    if (data === undefined) {
      this.policy.observer?.inputRefused('malformed');
      this.refuse('bad-request', 'term:input wants a non-empty string of at most 64 KiB');
      return;
    }
    const result = this.room!.input(this.memberId!, data);
    if (result !== 'ok') this.policy.observer?.inputRefused(INPUT_REFUSALS[result]);
    if (result === 'forbidden') {
      this.deniedWrites.note();
      this.refuse('forbidden', 'you may not type in this room');
    }
    if (result === 'busy') this.refuse('transfer-busy', 'a file transfer is running: keystrokes are refused until it ends');
    // Said once per stall, not once per dropped paste chunk.
    if (result === 'full' && !this.toldInputFull) {
      this.refuse('input-full', 'the program is not reading its input: input was dropped (Ctrl-C still gets through)');
    }
    this.toldInputFull = result === 'full';
  }

  /**
   * ZMODEM bytes for this member's running transfer. The acknowledgement (when the client asked for one) is the
   * client's flow control: it comes once the program has room for more. Bytes for no transfer of this member's
   * (the tail of one that just ended) are dropped without a word.
   */
  private transferData(raw: unknown, ack: unknown): void {
    const bytes = parseTransferData(raw);
    if (!bytes) {
      this.refuse('bad-request', 'transfer:data wants binary data of 1 byte to 64 KiB');
      return;
    }
    const written = typeof ack === 'function' ? (ack as () => void) : undefined;
    this.room!.transferData(this.memberId!, bytes, written);
  }

  private cancelTransfer(): void {
    this.room!.cancelTransfer(this.memberId!);
  }

  private resize(raw: unknown): void {
    const size = parseResize(raw);
    if (!size) {
      this.refuse('bad-request', 'term:resize wants exactly { cols, rows }, whole numbers within the terminal limits');
      return;
    }
    if (this.room!.requestResize(this.memberId!, size.cols, size.rows, this.who()) === 'forbidden') {
      this.deniedWrites.note();
      const policy = this.room!.settings.resize;
      this.refuse('forbidden', policy === 'fixed' ? 'this room keeps the size it was created with' : "this room follows its owner's window size");
    }
  }

  private ack(raw: unknown): void {
    const payload = parseAck(raw);
    if (!payload) {
      this.refuse('bad-request', 'term:ack wants { offset }');
      return;
    }
    this.room!.ack(this.memberId!, payload.offset);
  }

  /** The owner hands out or takes back a member's keyboard, maybe for a time; the table already checked the sender is the owner. */
  private setMemberRole(raw: unknown): void {
    const payload = parseMemberRole(raw);
    if (!payload) {
      const max = PayloadLimits.MaxGrantSeconds;
      this.refuse('bad-request', `member:role wants { memberId, role: 'viewer' | 'writer', seconds? } (seconds from 1 to ${max}, with writer only)`);
      return;
    }
    const { result, displaced } = this.room!.setMemberRole(this.memberId!, payload.memberId, payload.role, payload.seconds);
    if (this.refused(result, 'the keyboard')) return;
    const detail: Record<string, string | number> = { target: payload.memberId, role: payload.role };
    if (payload.seconds !== undefined) detail.seconds = payload.seconds;
    if (displaced.length > 0) detail.displaced = displaced.join(',');
    this.policy.auditor.record({ event: 'role.changed', ...this.who(), detail });
  }

  private kick(raw: unknown): void {
    const payload = parseMemberRef(raw);
    if (!payload) return this.refuse('bad-request', 'member:kick wants { memberId }');
    if (this.refused(this.room!.kick(this.memberId!, payload.memberId), 'removing members')) return;
    this.policy.auditor.record({ event: 'member.kicked', ...this.who(), detail: { target: payload.memberId } });
  }

  private admitMember(raw: unknown): void {
    const payload = parseAdmit(raw);
    if (!payload) return this.refuse('bad-request', 'member:admit wants { memberId, allow: true | false }');
    const result = this.room!.admit(this.memberId!, payload.memberId, payload.allow);
    if (result === 'no-member') return this.refuse('not-found', 'no such member is waiting to be admitted');
    if (this.refused(result, 'admitting members')) return;
    this.policy.auditor.record({ event: payload.allow ? 'member.admitted' : 'member.denied', ...this.who(), detail: { target: payload.memberId } });
  }

  private raiseHand(): void {
    if (this.room!.raiseHand(this.memberId!) === 'ok') this.policy.auditor.record({ event: 'hand.raised', ...this.who() });
  }

  private lowerHand(raw: unknown): void {
    const payload = parseHandLower(raw);
    if (!payload) return this.refuse('bad-request', 'hand:lower wants no payload (your hand) or { memberId } (the owner, someone else\'s)');
    const target = payload === 'own' ? this.memberId! : payload.memberId;
    const result = this.room!.lowerHand(this.memberId!, target);
    if (this.refused(result, "lowering someone else's hand")) return;
    this.policy.auditor.record({ event: 'hand.lowered', ...this.who(), detail: target === this.memberId ? {} : { target } });
  }

  private updateSettings(raw: unknown): void {
    const patch = parseSettingsPatch(raw);
    if (!patch) {
      return this.refuse('bad-request', "room:settings wants some of { locked, approval, chat: true | false, floor: 'driver' | 'many', resize: 'owner' | 'smallest' | 'fixed' }");
    }
    const { result, changed } = this.room!.updateSettings(this.memberId!, patch);
    if (this.refused(result, 'the room settings')) return;
    const detail: Record<string, string | boolean> = {};
    for (const key of changed) detail[key] = patch[key]!;
    this.policy.auditor.record({ event: 'room.settings', ...this.who(), detail });
  }

  private setCurtain(raw: unknown): void {
    const request = parseCurtain(raw);
    if (!request) {
      return this.refuse('bad-request', 'room:curtain wants { down: true, audience?: [memberId] } or { down: false, clear?: true | false }');
    }
    if (this.refused(this.room!.setCurtain(this.memberId!, request), 'the curtain')) return;
    const detail: AuditDetail = request.down ? { audience: request.audience?.length ?? 0 } : { cleared: request.clear === true };
    this.policy.auditor.record({ event: request.down ? 'curtain.lowered' : 'curtain.lifted', ...this.who(), detail });
  }

  private handOver(raw: unknown): void {
    const payload = parseMemberRef(raw);
    if (!payload) return this.refuse('bad-request', 'room:handover wants { memberId }');
    if (this.refused(this.room!.handOver(this.memberId!, payload.memberId), 'the room')) return;
    this.policy.auditor.record({ event: 'room.handover', ...this.who(), detail: { target: payload.memberId } });
  }

  private chat(raw: unknown): void {
    const text = parseChat(raw);
    if (text === undefined) {
      return this.refuse('bad-request', `chat:send wants a non-empty string of at most ${PayloadLimits.MaxChatLength} characters`);
    }
    const result = this.room!.postChat(this.memberId!, text);
    if (result === 'no-member') return;
    if (result.ok) return this.policy.sessions.chatSent(this.room!.id, this.memberId!);
    if (result.reason === 'off') this.refuse('forbidden', 'the owner turned the chat off');
    else this.refuse('rate-limited', 'you are sending chat messages too fast; wait a moment');
  }

  private bookmark(raw: unknown): void {
    const payload = parseBookmark(raw);
    if (!payload) {
      return this.refuse('bad-request', `bookmark:add wants { label }: 1 to ${PayloadLimits.MaxBookmarkLength} characters of text`);
    }
    const result = this.room!.addBookmark(this.memberId!, payload.label);
    if (result === 'no-member') return;
    // The label stays out of the audit (it is the store's bookmarks table's): only who and when.
    if (result.ok) return this.policy.auditor.record({ event: 'bookmark.added', ...this.who() });
    if (result.reason === 'full') this.refuse('conflict', 'this room holds as many bookmarks as it keeps');
    else this.refuse('rate-limited', 'you are dropping bookmarks too fast; wait a moment');
  }

  /** A ticket to fetch the room's history once (docs/protocol.md, Rewind); the table already checked the member is admitted. */
  private rewindTicket(ack: unknown): void {
    if (typeof ack !== 'function') return this.refuse('bad-request', 'rewind:ticket needs an acknowledgement callback');
    const reply = ack as (reply: RewindTicketReply) => void;
    const room = this.room!;
    if (!this.policy.rewind.hasHistory(room.id)) {
      return reply({ ok: false, code: 'not-recorded', message: 'rewind needs the room\'s recording, and this room is not recorded' });
    }
    if (!this.rewindBudget.tryTake()) {
      return reply({ ok: false, code: 'rate-limited', message: 'you are asking for the history too often; wait a moment' });
    }
    const { ticket, expiresAt } = this.policy.rewind.tickets.issue(room.id, this.memberId!);
    reply({ ok: true, ticket, expiresAt: new Date(expiresAt).toISOString() });
  }

  /**
   * Tells the member why a floor or moderation request did nothing; true when it was refused. 'unchanged'
   * is not refused: asking for what already is, is answered by the state the member already sees.
   */
  private refused(result: ActionResult, what: string): boolean {
    if (result === 'ok') return false;
    if (result === 'unchanged') return true;
    if (result === 'no-member') this.refuse('not-found', 'no such member in this room');
    else if (result === 'is-owner') this.refuse('forbidden', 'an owner cannot be changed or removed that way');
    else if (result === 'full') this.refuse('conflict', 'the room holds too many links to mint a new owner link; revoke some first');
    else {
      this.deniedWrites.note();
      this.refuse('forbidden', `only the owner controls ${what}`);
    }
    return true;
  }

  private portFor(roomId: string): MemberPort {
    const socket = this.socket;
    const port: MemberPort = {
      send: (event, ...args) => socket.emit(event, ...args),
      setLive: (live) => {
        // The in-memory adapter joins and leaves synchronously, which keeps join atomic.
        if (live) void socket.join(liveChannel(roomId));
        else void socket.leave(liveChannel(roomId));
      },
      setPresent: (present) => {
        if (present) void socket.join(membersChannel(roomId));
        else void socket.leave(membersChannel(roomId));
      },
      backlog: this.origin ? () => this.origin!.backlog() : () => connectionBacklog(socket),
      // Closing the connection (not only the namespace) sends what is queued first, the room:error included.
      close: () => void socket.disconnect(true),
    };
    return this.policy.observer?.memberPort(roomId, port) ?? port;
  }

  private refuse(code: ErrorCode, message: string): void {
    this.socket.emit('room:error', { code, message });
  }

  private leave(): void {
    this.relay?.dispose();
    this.relay = undefined;
    if (this.room && this.memberId) {
      this.room.leave(this.memberId);
      this.policy.auditor.record({ event: 'member.left', ...this.who() });
      this.policy.sessions.memberLeft(this.room.id, this.memberId, this.policy.clock.now());
    }
    this.room = undefined;
    this.memberId = undefined;
  }
}
