// A test member: a real socket.io client whose headless xterm applies snapshot, output and resize in order.

import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  ClientToServerEvents, ErrorPayload, ExitPayload, JoinReply, MemberInfo, NoticePayload, Role, ServerToClientEvents,
} from '../../server/shared/events.js';
import { makeTerminal, type HeadlessTerminal } from './screens.js';
import type { TestContext } from 'node:test';
import { waitFor } from './wait.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Member {
  socket: ClientSocket;
  terminal: HeadlessTerminal;
  reply: JoinReply;
  /** Offset the next chunk must start at; -1 before the snapshot. */
  expectedOffset(): number;
  /** Stream violations seen: gaps, repeats, events before the snapshot. Must stay empty. */
  violations: string[];
  snapshots: number;
  outputText(): string;
  exits: ExitPayload[];
  errors: ErrorPayload[];
  notices: NoticePayload[];
  members: MemberInfo[];
  /** Every `room:role` received, in order. */
  roles: Role[];
  /** Every event received, in order, with its first argument (for collaboration tests that look for one kind). */
  events: Array<{ event: string; payload: unknown }>;
  /** Everything received as text (binary snapshots decoded as UTF-8): what a privacy test searches for a marker. */
  received(): string;
  /** The payloads of every `event` received so far. */
  of<E extends keyof ServerToClientEvents>(event: E): Array<Parameters<ServerToClientEvents[E]>[0]>;
  /** Resolves once everything received so far is parsed by this member's terminal. */
  settled(): Promise<void>;
  /**
   * Resolves once everything the server sent this member before now has arrived: a second join is
   * refused with an ack, and socket.io keeps one connection's messages in order.
   */
  barrier(): Promise<void>;
  close(): void;
}

export async function joinMember(
  url: string,
  roomId: string,
  options: {
    token?: string;
    name?: string;
    extra?: Record<string, unknown>;
    scrollback?: number;
    /** More socket.io-client options: `extraHeaders`, `localAddress` (a second loopback address), `query`. */
    io?: Partial<ManagerOptions & SocketOptions> & { localAddress?: string };
    /** Wait for the join snapshot (default: when the join succeeded and does not wait for approval). */
    awaitSnapshot?: boolean;
    /** Pace the room with `term:ack` (never sent by this helper unless the test sends it). */
    acks?: boolean;
  } = {},
): Promise<Member> {
  const socket: ClientSocket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options.io });
  const scrollback = options.scrollback ?? 1000;
  let terminal = makeTerminal(80, 24, scrollback);
  let expected = -1;
  let output = '';
  let received = '';
  const events: Array<{ event: string; payload: unknown }> = [];
  const decoder = new TextDecoder();
  socket.onAny((event: string, payload: unknown) => {
    events.push({ event, payload });
    const data = (payload as { data?: unknown } | undefined)?.data;
    received += data instanceof Uint8Array ? decoder.decode(data) : JSON.stringify(payload ?? null);
  });
  const member: Omit<Member, 'reply'> & { reply?: JoinReply } = {
    socket,
    get terminal() {
      return terminal;
    },
    expectedOffset: () => expected,
    violations: [],
    snapshots: 0,
    outputText: () => output,
    exits: [],
    errors: [],
    notices: [],
    members: [],
    roles: [],
    events,
    received: () => received,
    of: <E extends keyof ServerToClientEvents>(event: E) =>
      events.filter((entry) => entry.event === event).map((entry) => entry.payload as Parameters<ServerToClientEvents[E]>[0]),
    settled: () => new Promise<void>((resolve) => terminal.write('', resolve)),
    barrier: async () => {
      await socket.emitWithAck('room:join', { roomId });
    },
    close: () => {
      socket.close();
      terminal.dispose();
    },
  };
  socket.on('term:snapshot', (snapshot) => {
    terminal.dispose();
    terminal = makeTerminal(snapshot.cols, snapshot.rows, scrollback);
    terminal.write(snapshot.data);
    expected = snapshot.offset;
    member.snapshots++;
  });
  socket.on('term:output', ({ offset, data }) => {
    if (expected < 0) member.violations.push(`output at ${offset} before any snapshot`);
    else if (offset !== expected) member.violations.push(`output at ${offset}, expected ${expected}`);
    expected = offset + data.length;
    output += data;
    terminal.write(data);
  });
  socket.on('term:resize', ({ offset, cols, rows }) => {
    if (offset !== expected) member.violations.push(`resize at ${offset}, expected ${expected}`);
    const target = terminal;
    target.write('', () => target.resize(cols, rows));
  });
  socket.on('term:exit', (exit) => member.exits.push(exit));
  socket.on('room:error', (error) => member.errors.push(error));
  socket.on('room:notice', (notice) => member.notices.push(notice));
  socket.on('room:role', ({ role }) => member.roles.push(role));
  socket.on('room:members', (list) => {
    member.members = list;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  member.reply = await socket.emitWithAck('room:join', {
    roomId,
    ...(options.token ? { token: options.token } : {}),
    ...(options.name ? { name: options.name } : {}),
    ...(options.acks ? { acks: true } : {}),
    ...options.extra,
  } as Parameters<ClientToServerEvents['room:join']>[0]);
  const awaitSnapshot = options.awaitSnapshot ?? (member.reply.ok && member.reply.waiting !== true);
  if (awaitSnapshot) await waitFor(() => member.snapshots > 0, 'the join snapshot');
  return member as Member;
}

/**
 * A joinMember for one test: every member it joins is closed when the test ends, and then `server` (members
 * first, so the server's close does not wait for their sockets).
 */
export function joinerFor(t: TestContext, server: { close(): Promise<void> }): (...args: Parameters<typeof joinMember>) => Promise<Member> {
  const members: Member[] = [];
  t.after(async () => {
    for (const member of members) member.close();
    await server.close();
  });
  return async (...args) => {
    const member = await joinMember(...args);
    members.push(member);
    return member;
  };
}
