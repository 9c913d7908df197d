// Room: one PTY, its mirror and its members; the ordered output stream, roles and size policy.

import type { ExitPayload, ExitReason, MemberInfo, Role, RoomSummary, SnapshotPayload } from '../protocol/events.js';
import { roleAtLeast } from '../protocol/events.js';
import { hashToken, randomId, tokenMatches, TokenSizes } from '../auth/capabilities.js';
import { OutputBatcher } from '../terminal/outputBatcher.js';
import { PtySession, type PtySpawnOptions } from '../terminal/ptySession.js';
import type { ProcessIdentity } from '../terminal/processTree.js';
import { ScreenMirror } from '../terminal/screenMirror.js';
import { Disposable } from '../util/disposable.js';
import { Emitter } from '../util/emitter.js';
import type { MemberPort, RoomTransport } from './ports.js';

export const MirrorFlowControl = {
  /**
   * Pause reading the PTY when the mirror has this many unparsed code units (xterm.js flow-control
   * guide): the child then blocks on write, so a flood cannot outrun the one parser that matters.
   */
  HighWater: 1024 * 1024,
  /** Resume once the mirror is back under this, leaving it enough queued work to stay busy. */
  LowWater: 256 * 1024,
} as const;

export interface Profile {
  name: string;
  file: string;
  args: string[];
}

export interface RoomOptions {
  id: string;
  name: string;
  profile: Profile;
  cols: number;
  rows: number;
  scrollback: number;
  cwd: string;
  env: Record<string, string>;
  ownerToken: string;
  writeToken: string;
  transport: RoomTransport;
  killGraceMs: number;
  now?: () => Date;
}

interface Member {
  readonly id: string;
  readonly name: string;
  role: Role;
  readonly port: MemberPort;
}

export type InputResult = 'ok' | 'forbidden' | 'gone';

export class Room extends Disposable {
  readonly id: string;
  readonly name: string;
  readonly profile: Profile;
  readonly createdAt: Date;

  private readonly pty: PtySession;
  private readonly mirror: ScreenMirror;
  private readonly batcher: OutputBatcher;
  private readonly transport: RoomTransport;
  private readonly ownerTokenHash: Buffer;
  private readonly writeTokenHash: Buffer;
  private readonly killGraceMs: number;
  private readonly members = new Map<string, Member>();
  private exitInfo: ExitPayload | undefined;
  private endReason: ExitReason = 'exited';

  private readonly exitEmitter = this.register(new Emitter<ExitPayload>());
  /** Fires once, after the last output is parsed and every member was told. */
  readonly onExit = this.exitEmitter.event;
  private readonly joinEmitter = this.register(new Emitter<{ memberId: string; role: Role }>());
  /** Fires when a member joined (after it got its snapshot). */
  readonly onJoin = this.joinEmitter.event;
  private readonly processesEndedEmitter = this.register(new Emitter<void>());
  /** Fires once, after onExit's process exit, when no process of the room's session is left. */
  readonly onProcessesEnded = this.processesEndedEmitter.event;

  constructor(options: RoomOptions) {
    super();
    this.id = options.id;
    this.name = options.name;
    this.profile = options.profile;
    this.createdAt = (options.now ?? (() => new Date()))();
    this.transport = options.transport;
    this.ownerTokenHash = hashToken(options.ownerToken);
    this.writeTokenHash = hashToken(options.writeToken);
    this.killGraceMs = options.killGraceMs;

    this.mirror = this.register(new ScreenMirror({ cols: options.cols, rows: options.rows, scrollback: options.scrollback }));
    this.batcher = this.register(new OutputBatcher((data) => this.emitOutput(data)));
    const spawn: PtySpawnOptions = {
      file: options.profile.file,
      args: options.profile.args,
      cols: options.cols,
      rows: options.rows,
      cwd: options.cwd,
      env: options.env,
      killGraceMs: options.killGraceMs,
    };
    this.pty = this.register(new PtySession(spawn));
    this.register(this.pty.onData((data) => this.batcher.push(data)));
    this.register(this.pty.onExit((exit) => this.handlePtyExit(exit)));
    this.register(this.pty.onTreeEnded(() => this.processesEndedEmitter.fire()));
    this.register(this.mirror.onReply((reply) => this.pty.write(reply)));
    this.register(this.mirror.onParseError((error) => {
      process.stderr.write(`ttyroom: room ${this.id}: the terminal parser failed on this room's output and skipped the rest of a chunk: ${String(error)}\n`);
    }));
  }

  get cols(): number {
    return this.mirror.cols;
  }

  get rows(): number {
    return this.mirror.rows;
  }

  get exited(): ExitPayload | undefined {
    return this.exitInfo;
  }

  get memberCount(): number {
    return this.members.size;
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** The shell's pid and start time, so a crash record names it and not a later process with its pid. */
  get processIdentity(): ProcessIdentity | undefined {
    return this.pty.identity;
  }

  /** Owner, writer, or viewer for no token; undefined for a token that is neither (same as no room). */
  roleForToken(token: string | undefined): Role | undefined {
    if (token === undefined) return 'viewer';
    // Both comparisons always run, so timing does not tell which secret came close.
    const owner = tokenMatches(token, this.ownerTokenHash);
    const writer = tokenMatches(token, this.writeTokenHash);
    if (owner) return 'owner';
    if (writer) return 'writer';
    return undefined;
  }

  isOwnerToken(token: string): boolean {
    return tokenMatches(token, this.ownerTokenHash);
  }

  /**
   * Adds a member: snapshot at the mirror's parsed offset, then the live stream from exactly there.
   * Everything already broadcast has been parsed and nothing else has, and there is no await between
   * the snapshot and going live, so the member sees every chunk once (STYLE.md rule 5).
   */
  join(identity: { name: string | undefined; role: Role }, port: MemberPort): { memberId: string } {
    const id = randomId(TokenSizes.MemberIdBytes);
    const member: Member = { id, name: identity.name ?? `guest-${id.slice(0, 4)}`, role: identity.role, port };
    this.members.set(id, member);
    port.send('term:snapshot', this.snapshot());
    if (this.exitInfo) {
      port.send('term:exit', this.exitInfo);
    } else {
      port.setLive(true);
    }
    this.broadcastMembers();
    this.joinEmitter.fire({ memberId: id, role: identity.role });
    return { memberId: id };
  }

  leave(memberId: string): void {
    const member = this.members.get(memberId);
    if (!member) return;
    this.members.delete(memberId);
    member.port.setLive(false);
    this.broadcastMembers();
  }

  roleOf(memberId: string): Role | undefined {
    return this.members.get(memberId)?.role;
  }

  /** Keystrokes from a member. The role is checked here too, so no caller can skip it. */
  input(memberId: string, data: string): InputResult {
    const member = this.members.get(memberId);
    if (!member) return 'gone';
    if (!roleAtLeast(member.role, 'writer')) return 'forbidden';
    if (this.exitInfo) return 'gone';
    this.pty.write(data);
    return 'ok';
  }

  /**
   * Changes the PTY size now and the mirror's at the current end of the stream; members get the
   * resize as a stream event at that offset, so everyone reflows at the same point.
   */
  resize(cols: number, rows: number): void {
    if (this.exitInfo || this.isDisposed) return;
    if (cols === this.pty.cols && rows === this.pty.rows) return;
    this.pty.resize(cols, rows);
    this.batcher.flush();
    this.mirror.resize(cols, rows, (offset) => this.transport.live.send('term:resize', { offset, cols, rows }));
  }

  snapshot(): SnapshotPayload {
    return this.mirror.snapshot();
  }

  screenText(): string {
    return this.mirror.screenText().join('\n');
  }

  /** The mirror itself, for tests that compare member screens cell by cell. */
  get mirrorTerminal(): ScreenMirror['xterm'] {
    return this.mirror.xterm;
  }

  summary(): RoomSummary {
    return {
      id: this.id,
      name: this.name,
      profile: this.profile.name,
      createdAt: this.createdAt.toISOString(),
      members: this.members.size,
      cols: this.cols,
      rows: this.rows,
      exited: this.exitInfo !== undefined,
    };
  }

  /**
   * Ends the process tree (SIGHUP, then SIGKILL after `graceMs`); members get `term:exit` with `reason`.
   * Resolves once the shell exited, members were told, and nothing of its session is left. On a room
   * whose shell already exited it ends what the shell left behind; called again, it can only shorten the grace.
   */
  async close(reason: ExitReason, graceMs: number = this.killGraceMs): Promise<void> {
    if (this.isDisposed) return;
    if (this.exitInfo) return this.pty.terminate(graceMs);
    // The first close names the reason; a later one (say, shutdown during a close) only hurries it.
    if (this.endReason === 'exited') this.endReason = reason;
    // Resolves once members were told, which is after the process exited and its last output was parsed.
    const told = new Promise<void>((resolve) => {
      const subscription = this.onExit(() => {
        subscription.dispose();
        resolve();
      });
    });
    await this.pty.terminate(graceMs);
    await told;
  }

  private emitOutput(data: string): void {
    this.mirror.write(data, (offset) => {
      this.transport.live.send('term:output', { offset, data });
      if (this.mirror.backlog < MirrorFlowControl.LowWater) this.pty.resume();
    });
    if (this.mirror.backlog > MirrorFlowControl.HighWater) this.pty.pause();
  }

  private handlePtyExit(exit: { exitCode: number; signal?: string }): void {
    this.batcher.flush();
    // Report the exit only once the last output is parsed, so a late snapshot is the final screen.
    this.mirror.afterParsed(() => {
      if (this.exitInfo) return;
      const payload: ExitPayload = { exitCode: exit.exitCode, reason: this.endReason };
      if (exit.signal) payload.signal = exit.signal;
      this.exitInfo = payload;
      for (const member of this.members.values()) {
        member.port.setLive(false);
        member.port.send('term:exit', payload);
      }
      this.exitEmitter.fire(payload);
    });
  }

  private broadcastMembers(): void {
    const list: MemberInfo[] = [...this.members.values()].map(({ id, name, role }) => ({ id, name, role }));
    for (const member of this.members.values()) member.port.send('room:members', list);
  }
}
