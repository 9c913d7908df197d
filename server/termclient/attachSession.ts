// AttachSession: one terminal attached to one room — RoomClient over socket.io feeds a RoomScreen, the painter
// draws it into the local terminal with a status line, the local keys go to the room (minus the detach keys),
// and the local window drives the room's size when the room's resize policy counts this member.

import { constants as osConstants } from 'node:os';
import { io } from 'socket.io-client';
import type { ExitPayload, MemberInfo, NoticePayload, Role } from '../shared/events.js';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import { canWrite, type ConnectionState, RoomClient, type RoomSocket } from '../shared/roomClient.js';
import type { Clock } from '../util/clock.js';
import { DetachKeys, describeDetachByte, type DetachKeyOptions, type EscapeCommand } from './detachKeys.js';
import type { LocalSize, LocalTerminalPort } from './localTerminal.js';
import { RoomScreen } from './roomScreen.js';
import { ScreenPainter } from './screenPainter.js';
import type { RoomLink, ServerAccess } from './serverAccess.js';
import { StatusLine } from './statusLine.js';

export const AttachTiming = {
  /** How long a lost server may stay unreachable before attach gives up (`--reconnect-timeout`), in ms. */
  DefaultReconnectTimeoutMs: 60_000,
  /** socket.io's longest wait between reconnect attempts, in ms: a restarted server is found within this. */
  ReconnectDelayMaxMs: 2_000,
} as const;

export const AttachLimits = {
  /** Code units of keys kept while the first join is on its way (a paste at most); older ones are dropped. */
  MaxHeldInputUnits: 64 * 1024,
} as const;

/** Rows the status line takes under a grid this client sizes: one, as tmux's. */
export const STATUS_ROWS = 1;
/** Ctrl-C: a watcher's way out, since its keys reach nobody. */
const CTRL_C = '\x03';
/** The bell, passed on so a program's alert still reaches the person at this terminal. */
const BELL = '\x07';

export type AttachEnd =
  /** The room's program ended: `status` is its exit status as a shell reports it (128 + signal number). */
  | { kind: 'exited'; status: number; message: string; lastScreen: string[] }
  /** The user left; the room goes on. */
  | { kind: 'detached'; message: string }
  /** Refused, removed or cut off: the message says which. */
  | { kind: 'failed'; message: string }
  /** A signal ended the client (Ctrl-C outside raw mode, SIGTERM, SIGHUP): `status` is 128 + its number. */
  | { kind: 'signal'; signal: string; status: number; message: string };

export interface AttachOptions {
  link: RoomLink;
  access: ServerAccess;
  /** Shown in the member list; the server's default otherwise. */
  name?: string;
  keys: DetachKeyOptions;
  reconnectTimeoutMs: number;
  clock: Clock;
  /** The user's own terminal. */
  local: LocalTerminalPort;
  /** Told the painter's closing sequence once painting begins, so a restore from anywhere leaves the screen clean. */
  setClosingSequence(sequence: string): void;
}

/** A program ended by a signal exits, as a shell reports it, with 128 + the signal's number. */
export function exitStatusOf(exit: ExitPayload): number {
  if (exit.signal !== undefined) {
    const number = (osConstants.signals as Record<string, number | undefined>)[exit.signal];
    if (number !== undefined) return 128 + number;
  }
  return exit.exitCode;
}

function describeExit(exit: ExitPayload): string {
  const how = exit.signal !== undefined ? `was ended by ${exit.signal}` : `exited with status ${exit.exitCode}`;
  switch (exit.reason) {
    case 'closed':
      return `the owner closed the room (its program ${how})`;
    case 'server-shutdown':
      return `the server shut down (the room's program ${how})`;
    case 'idle-timeout':
      return `the room closed after being idle (its program ${how})`;
    case 'lifetime':
      return `the room reached its lifetime (its program ${how})`;
    case 'host-gone':
      return 'the remote host stopped answering: the connection was lost';
    case 'auth-failed':
      return 'the remote host refused the sign-in';
    case 'connection-closed':
      return 'the connection to the remote host was closed';
    default:
      return `the room's program ${how}`;
  }
}

/** Node's codes for a certificate chain it cannot verify: retrying would meet the same certificate. */
const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The system error under socket.io's `connect_error` (engine.io wraps the WebSocket's error event in `description`). */
function connectFailureCause(error: Error): { code?: string } {
  const description = (error as { description?: unknown }).description;
  const inner = (description as { error?: unknown } | undefined)?.error ?? description;
  const code = (inner as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? { code } : {};
}

/** `room:error` codes that end this member's stay; the server disconnects right after. */
const FINAL_ERRORS: Readonly<Record<string, string>> = {
  kicked: 'the owner removed you from the room',
  denied: 'the owner did not let you in',
  revoked: 'your link was revoked or expired',
};

export class AttachSession extends Disposable {
  private readonly screen = this.register(new RoomScreen());
  private readonly painter: ScreenPainter;
  private readonly client: RoomClient;
  private readonly keys: DetachKeys;
  private readonly status: StatusLine;
  private paintPending: IDisposable | undefined;
  private fullPaint = true;
  private lastLayout = '';
  private reconnectTimer: IDisposable | undefined;
  private lastFailure: string | undefined;
  private everJoined = false;
  /** Keys typed before the first join (see handleInput). */
  private heldInput = '';
  private shownRole: Role | undefined;
  /** Whether our hand is up, as the last member list said. */
  private handUp = false;
  private endValue: AttachEnd | undefined;
  private resolveEnd!: (end: AttachEnd) => void;
  /** Settles once, when the session is over; the caller restores the terminal and exits. */
  readonly ended: Promise<AttachEnd> = new Promise((resolve) => { this.resolveEnd = resolve; });

  constructor(private readonly options: AttachOptions) {
    super();
    const { link, access, clock, local } = options;
    this.painter = new ScreenPainter(this.screen.terminal);
    this.keys = new DetachKeys(options.keys);
    this.status = this.register(new StatusLine(clock, { detachHint: this.detachHint() }));

    const socket: RoomSocket = io(link.origin, {
      transports: ['websocket'],
      reconnectionDelayMax: AttachTiming.ReconnectDelayMaxMs,
      ...(link.token !== undefined ? { auth: { token: link.token } } : {}),
      ...(access.authorization !== undefined ? { extraHeaders: { authorization: access.authorization } } : {}),
      ...(access.ca !== undefined ? { ca: access.ca } : {}),
    });
    socket.on('connect_error', (error) => this.handleConnectError(error));
    // RoomClient disconnects the socket when disposed.
    this.client = this.register(new RoomClient(socket, this.screen, {
      roomId: link.roomId,
      ...(link.token !== undefined ? { token: link.token } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
    }));

    options.local.write(this.painter.enter());
    options.setClosingSequence(this.painter.leave());

    this.register(this.screen.onChanged(() => this.schedulePaint()));
    this.register(this.screen.onBell(() => local.write(BELL)));
    this.register(this.status.onChanged(() => this.schedulePaint()));
    this.register(local.onResize(() => {
      this.fullPaint = true;
      this.followLocalSize();
      this.schedulePaint();
    }));
    this.register(local.onInput((data) => this.handleInput(data)));

    const client = this.client;
    this.register(client.onState((state) => this.handleState(state)));
    // The client starts out connecting, which it never reports as a change: the wait for the server starts now.
    this.handleState(client.state);
    this.register(client.onJoined(() => {
      this.everJoined = true;
      this.followLocalSize();
      // What was typed before the first join goes now if this role may type; a watcher's goes nowhere.
      const held = this.heldInput;
      this.heldInput = '';
      if (held.length > 0 && canWrite(client.role)) client.sendInput(held);
    }));
    this.register(client.onSettings(() => this.followLocalSize()));
    this.register(client.onRole((role) => this.handleRole(role)));
    this.register(client.onMembers((members: MemberInfo[]) => {
      this.handUp = members.some((member) => member.id === client.memberId && member.hand);
      this.status.update({ members: members.length });
    }));
    this.register(client.onSettings((settings) => this.status.update({ recording: settings.record })));
    this.register(client.onWaiting((waiting) => this.status.update({ waiting })));
    this.register(client.onCatchingUp((catchingUp) => this.status.update({ catchingUp })));
    this.register(client.onCurtain((curtain) => this.status.notice(
      curtain.down ? (curtain.sees ? 'the curtain is down: you still see the terminal' : 'the curtain is down: the owner is working privately') : 'the curtain is up',
    )));
    this.register(client.onNotice((notice: NoticePayload) => this.status.notice(notice.message)));
    this.register(client.onError((error) => {
      const final = FINAL_ERRORS[error.code];
      if (final !== undefined) this.lastFailure = final;
      else this.status.notice(error.message);
    }));
    this.register(client.onJoinFailed((failure) => { this.lastFailure = failure.message; }));
    // A hand-over made us the owner: our old link stops working, so later joins (after a drop) use the new token.
    this.register(client.onCredential((token) => {
      client.useToken(token);
      socket.auth = { token };
    }));
    this.register(client.onExit((exit) => {
      // The last screen goes with the alternate screen: keep it as text, once the output before the exit is parsed.
      void this.screen.settled().then(() => {
        this.finish({ kind: 'exited', status: exitStatusOf(exit), message: describeExit(exit), lastScreen: this.screen.text() });
      });
    }));
    this.register(toDisposable(() => {
      this.paintPending?.dispose();
      this.reconnectTimer?.dispose();
    }));
    this.schedulePaint();
  }

  /** Ends the session for a signal the client received; the room goes on. */
  endBySignal(signal: string, status: number): void {
    this.finish({ kind: 'signal', signal, status, message: `${signal} received; left room ${this.options.link.roomId}, which goes on` });
  }

  /** Leaves the room without ending it, as the detach keys do. */
  detach(): void {
    this.finish({ kind: 'detached', message: `detached from room ${this.options.link.roomId}; the room goes on` });
  }

  /** Tells the status line something from outside the room (share's server log, for one). */
  notice(message: string): void {
    this.status.notice(message);
  }

  /** How to leave, and where the rest is, as short as the status line needs it. */
  private detachHint(): string {
    const { detachByte, escapeChar } = this.options.keys;
    const ways: string[] = [];
    if (detachByte !== undefined) ways.push(`${describeDetachByte(detachByte)} twice`);
    if (escapeChar !== undefined) ways.push(`${escapeChar}.`);
    const hints = ways.length > 0 ? [`${ways.join(' or ')} leaves`] : [];
    if (escapeChar !== undefined) hints.push(`${escapeChar}? help`);
    return hints.join(' · ');
  }

  private finish(end: AttachEnd): void {
    if (this.endValue !== undefined) return;
    this.endValue = end;
    this.resolveEnd(end);
  }

  /**
   * A refusal that retrying cannot change ends the session at once, saying what to do: a certificate this
   * client does not trust, or a server that asks for sign-in. Anything else is a network failure, retried.
   */
  private handleConnectError(error: Error): void {
    const cause = connectFailureCause(error);
    if (cause.code !== undefined && UNTRUSTED_CERTIFICATE_CODES.has(cause.code)) {
      this.finish({ kind: 'failed', message: `the server's certificate is not trusted (${cause.code}); for a private certificate authority, pass --ca FILE` });
    } else if (error.message === 'unauthorized') {
      this.finish({
        kind: 'failed',
        message: this.options.access.authorization === undefined
          ? 'the server asks for sign-in: pass --user NAME with the password in TTYROOM_PASSWORD'
          : 'the server refused the sign-in: check --user and TTYROOM_PASSWORD',
      });
    } else if (cause.code !== undefined) {
      this.lastFailure = `cannot reach the server at ${this.options.link.origin}: ${cause.code}`;
    }
  }

  private handleInput(data: string): void {
    if (this.endValue !== undefined) return;
    const { forward, detach, commands } = this.keys.feed(data);
    for (const command of commands) this.runCommand(command);
    if (forward.length > 0) {
      if (this.client.role === undefined && !this.everJoined) {
        // Typed before the room said who we are (a presenter typing at once, a slow link): kept until it does.
        this.heldInput = (this.heldInput + forward).slice(-AttachLimits.MaxHeldInputUnits);
      } else if (canWrite(this.client.role)) {
        this.client.sendInput(forward);
      } else if (forward.includes(CTRL_C)) {
        this.detach();
        return;
      } else {
        this.status.notice(this.client.waiting ? 'waiting for the owner to let you in' : 'read-only: your keys go nowhere; Ctrl-C leaves');
      }
    }
    if (detach) this.detach();
  }

  private runCommand(command: EscapeCommand): void {
    if (command === 'help') {
      const escape = this.options.keys.escapeChar!;
      this.status.notice(`${escape}. leave · ${escape}h raise or lower your hand · ${escape}${escape} send ${escape}`);
      return;
    }
    if (canWrite(this.client.role)) {
      this.status.notice('you have the keyboard already');
    } else if (this.handUp) {
      this.client.lowerHand();
      this.status.notice('hand lowered');
    } else {
      this.client.raiseHand();
      this.status.notice('hand raised: the owner sees it and may give you the keyboard');
    }
  }

  private handleRole(role: Role | undefined): void {
    // The first role is the one the link gave, said by the status line; later ones are news.
    const previous = this.shownRole;
    this.shownRole = role;
    this.status.update({ role });
    if (previous !== undefined && role !== undefined && role !== previous) {
      this.status.notice(canWrite(role) ? `you are ${role === 'owner' ? 'the owner' : 'a writer'} now: your keys reach the room` : 'the keyboard was taken back: you are watching');
    }
    this.followLocalSize();
  }

  private handleState(state: ConnectionState): void {
    this.status.update({ connection: state });
    if (state === 'reconnecting' || state === 'connecting') {
      this.reconnectTimer ??= this.options.clock.setTimer(this.options.reconnectTimeoutMs, () => {
        const seconds = Math.round(this.options.reconnectTimeoutMs / 1000);
        const origin = this.options.link.origin;
        this.finish({ kind: 'failed', message: this.everJoined ? `lost the server at ${origin}: it did not come back within ${seconds} s` : `cannot reach the server at ${origin} (tried for ${seconds} s)` });
      });
    } else {
      this.reconnectTimer?.dispose();
      this.reconnectTimer = undefined;
    }
    if (state === 'disconnected' && !this.client.exited) {
      this.finish({ kind: 'failed', message: this.lastFailure ?? `the server at ${this.options.link.origin} refused the connection` });
    }
  }

  /** The grid this client asks for when it drives the size: the local window less the status line. */
  private wantedGrid(local: LocalSize): LocalSize {
    return { cols: local.cols, rows: Math.max(1, local.rows - STATUS_ROWS) };
  }

  private followLocalSize(): void {
    if (this.client.mayResize) this.client.requestResize(this.wantedGrid(this.options.local.size()));
  }

  private schedulePaint(): void {
    if (this.paintPending !== undefined || this.isDisposed) return;
    // One paint per turn of the event loop, however many chunks were parsed: a flood is drawn, not replayed.
    this.paintPending = this.options.clock.defer(() => {
      this.paintPending = undefined;
      this.paint();
    });
  }

  private paint(): void {
    if (this.isDisposed || this.endValue !== undefined) return;
    const local = this.options.local.size();
    const grid = { cols: this.screen.terminal.cols, rows: this.screen.terminal.rows };
    const drives = this.client.mayResize;
    // Before the first snapshot the grid is a placeholder, not the room's size: nothing to warn about yet.
    const known = this.client.ptySize !== undefined;
    const cut = known && !drives && (local.cols < grid.cols || local.rows < grid.rows);
    this.status.update({ sizeWarning: cut ? `window ${local.cols}×${local.rows} < room ${grid.cols}×${grid.rows}: enlarge it` : undefined });
    // The status line takes the last row when this client sizes the grid to leave it free, when the window
    // has a row to spare, while the window cuts the grid (the user must know what is missing), while the
    // connection is not up (what is shown is stale, or nothing yet), or for a moment to show a notice (the
    // grid's row under it is repainted after).
    const showStatus = drives || local.rows > grid.rows || cut || this.client.state !== 'connected' || this.status.hasNotice;
    const layout = `${local.cols}x${local.rows}:${showStatus}`;
    if (layout !== this.lastLayout) this.fullPaint = true;
    this.lastLayout = layout;
    const view = showStatus ? { cols: local.cols, rows: local.rows, status: this.status.text(local.cols) } : { cols: local.cols, rows: local.rows };
    const frame = this.painter.frame(view, this.fullPaint);
    this.fullPaint = false;
    this.options.local.write(frame);
  }
}
