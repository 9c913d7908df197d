// RoomRegistry: creates rooms from profiles, finds them, closes them, and forgets exited ones after a while.

import type { ExitReason } from '../protocol/events.js';
import { TerminalSize } from '../protocol/limits.js';
import { mintToken, randomId, TokenSizes } from '../auth/capabilities.js';
import { Disposable, toDisposable } from '../util/disposable.js';
import { Emitter } from '../util/emitter.js';
import type { RoomTransport } from './ports.js';
import { Room, type Profile } from './room.js';

export interface RegistryOptions {
  profiles: ReadonlyMap<string, Profile>;
  defaultProfile: string;
  scrollback: number;
  killGraceMs: number;
  /** How long an exited room stays listed and viewable with its final screen. */
  exitedRoomTtlMs: number;
  cwd: string;
  env: Record<string, string>;
  /** `--once`: the first room created is the only one this server ever accepts. */
  oneRoomOnly?: boolean;
  createTransport(roomId: string): RoomTransport;
}

export interface CreateRoomRequest {
  name?: string;
  profile?: string;
  cols?: number;
  rows?: number;
}

/** A refusal the HTTP and socket layers turn into their own error shapes. */
export class RoomError extends Error {
  constructor(readonly code: 'bad-request' | 'not-found' | 'conflict', message: string) {
    super(message);
  }
}

export class RoomRegistry extends Disposable {
  private readonly rooms = new Map<string, Room>();
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  /** Rooms being closed (already unlisted) with the promise of their close, so shutdown can hurry them. */
  private readonly closing = new Map<Room, Promise<void>>();
  private createdCount = 0;
  private shuttingDown = false;
  private readonly roomCreatedEmitter = this.register(new Emitter<Room>());
  /** Fires right after a room was created and its process spawned. */
  readonly onRoomCreated = this.roomCreatedEmitter.event;

  constructor(private readonly options: RegistryOptions) {
    super();
    this.register(toDisposable(() => {
      for (const timer of this.expiryTimers.values()) clearTimeout(timer);
      this.expiryTimers.clear();
      for (const room of this.rooms.values()) room.dispose();
      this.rooms.clear();
    }));
  }

  get size(): number {
    return this.rooms.size;
  }

  create(request: CreateRoomRequest): { room: Room; ownerToken: string; writeToken: string } {
    if (this.isDisposed || this.shuttingDown) throw new RoomError('conflict', 'the server is shutting down');
    if (this.options.oneRoomOnly && this.createdCount > 0) {
      throw new RoomError('conflict', 'this server was started with --once and already has its one room');
    }
    const profileName = request.profile ?? this.options.defaultProfile;
    const profile = this.options.profiles.get(profileName);
    if (!profile) throw new RoomError('bad-request', `unknown profile "${profileName}"`);
    const id = this.unusedId();
    const ownerToken = mintToken();
    const writeToken = mintToken();
    const room = new Room({
      id,
      name: request.name ?? `room ${id.slice(0, 6)}`,
      profile,
      cols: request.cols ?? TerminalSize.DefaultCols,
      rows: request.rows ?? TerminalSize.DefaultRows,
      scrollback: this.options.scrollback,
      cwd: this.options.cwd,
      env: this.options.env,
      ownerToken,
      writeToken,
      transport: this.options.createTransport(id),
      killGraceMs: this.options.killGraceMs,
    });
    this.rooms.set(id, room);
    this.createdCount++;
    room.onExit(() => this.scheduleExpiry(room));
    this.roomCreatedEmitter.fire(room);
    return { room, ownerToken, writeToken };
  }

  get(id: string): Room | undefined {
    return this.rooms.get(id);
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  /**
   * Removes the room at once (no longer listed or joinable) and ends its process tree; `graceMs`
   * (default: the configured kill grace) is the time between SIGHUP and SIGKILL.
   */
  async close(id: string, reason: ExitReason, graceMs?: number): Promise<void> {
    const room = this.rooms.get(id);
    if (!room) throw new RoomError('not-found', 'no such room');
    this.rooms.delete(id);
    clearTimeout(this.expiryTimers.get(id));
    this.expiryTimers.delete(id);
    const closing = room.close(reason, graceMs).finally(() => {
      room.dispose();
      this.closing.delete(room);
    });
    this.closing.set(room, closing);
    await closing;
  }

  /**
   * Refuses new rooms from now on, closes every room and waits for their processes; used on server
   * shutdown. Rooms already being closed get the (possibly shorter) `graceMs` too.
   */
  async closeAll(reason: ExitReason, graceMs?: number): Promise<void> {
    this.shuttingDown = true;
    const hurried = [...this.closing].map(([room, closing]) => room.close(reason, graceMs).then(() => closing));
    await Promise.all([...[...this.rooms.keys()].map((id) => this.close(id, reason, graceMs)), ...hurried]);
  }

  private scheduleExpiry(room: Room): void {
    if (!this.rooms.has(room.id)) return;
    const timer = setTimeout(() => {
      this.expiryTimers.delete(room.id);
      if (this.rooms.get(room.id) !== room) return;
      this.rooms.delete(room.id);
      room.dispose();
    }, this.options.exitedRoomTtlMs);
    this.expiryTimers.set(room.id, timer);
  }

  private unusedId(): string {
    for (;;) {
      const id = randomId(TokenSizes.RoomIdBytes);
      if (!this.rooms.has(id)) return id;
    }
  }
}
