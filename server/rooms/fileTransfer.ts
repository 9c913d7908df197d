// FileTransfers: a room's ZMODEM transfers — who gets one, where its bytes go (only to that member), its cap, idle
// limit and cancels, and the flow control that keeps a large download from piling up in the server.

import type {
  TransferDirection,
  TransferEndReason,
  TransferStatePayload,
} from '../shared/events.js';
import { TransferFlowControl } from '../shared/flowControl.js';
import type { IDisposable } from '../shared/disposable.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import type { Clock } from '../util/clock.js';
import { CANCEL_SEQUENCE, OVER_AND_OUT, ZmodemGate, type GatePiece } from '../terminal/zmodemGate.js';
import type { MemberPort } from './ports.js';

export const TransferTiming = {
  /**
   * A transfer with no byte either way for this long (ms) is cancelled: long enough for a person to answer an
   * offer or pick files in a chooser, short enough that a forgotten one does not keep the shell for long.
   */
  IdleMs: 120_000,
  /**
   * Output that might begin a ZMODEM header is held at most this long (ms) waiting for the rest: sz writes its
   * header in one write, so more comes at once if it is one; a lone '*' echo is shown after this.
   */
  SettleMs: 30,
  /**
   * After we cancel, the program has stopped once its output was quiet this long (ms): sz stops within tens of
   * ms, and the shell's prompt comes in a read of its own, which is then shown.
   */
  CancelQuietMs: 250,
  /** After we cancel, output is dropped at most this long (ms) even if it never goes quiet; then it is shown again. */
  CancelWaitMs: 3_000,
} as const;

/** The member a transfer may go to: one that holds the keyboard and whose client can transfer. */
export interface TransferMember {
  readonly id: string;
  readonly name: string;
  readonly port: MemberPort;
}

/** What FileTransfers needs from its room. */
export interface TransferRoom {
  readonly clock: Clock;
  /** Bytes one transfer may carry, both ways; 0: transfers are off. */
  readonly maxBytes: number;
  /** The current writer, if it may take a transfer now (see README, File transfer). */
  currentWriter(): TransferMember | undefined;
  /** Whether this member may still take part in its transfer (present, holds the keyboard). */
  stillEligible(memberId: string): boolean;
  /** Output that is the terminal's: to the decoder, mirror and members. */
  toTerminal(bytes: Uint8Array): void;
  /** Raw bytes for the program; 'full' when its input queue is. */
  writeToProgram(bytes: Uint8Array): 'ok' | 'full';
  /** Bytes written to the program that it has not read yet. */
  pendingInput(): number;
  /** Stop (true) or resume (false) reading the program, for the transfer's sake. */
  holdProgram(hold: boolean): void;
  /** To every admitted member. */
  announce(payload: TransferStatePayload): void;
  /** A transfer could not start (nobody may take it, or transfers are off): tell the room. */
  refused(message: string): void;
}

/** A transfer for the audit: who, which way, how many bytes, how it ended (never its contents). */
export type TransferRecord =
  | { kind: 'started'; id: number; memberId: string; direction: TransferDirection }
  | {
    kind: 'ended';
    id: number;
    memberId: string | undefined;
    direction: TransferDirection;
    bytes: number;
    outcome: 'completed' | 'cancelled';
    reason?: TransferEndReason;
  };

interface Running {
  readonly id: number;
  readonly member: TransferMember;
  readonly direction: TransferDirection;
  bytes: number;
  lastActivity: number;
  /** We cancelled it (and why): its member gets no more bytes, and it ends once the program has stopped. */
  cancelReason?: TransferEndReason;
}

export class FileTransfers extends Disposable {
  private readonly gate = new ZmodemGate();
  private running: Running | undefined;
  private nextId = 1;
  private settleTimer: IDisposable | undefined;
  private idleTimer: IDisposable | undefined;
  private cancelTimer: IDisposable | undefined;
  private drainTimer: IDisposable | undefined;
  /** Reading of the program is stopped for the member's queue to drain. */
  private holding = false;
  /** Upload acknowledgements held until the program has read enough of its input. */
  private heldAcks: Array<() => void> = [];
  private readonly recordEmitter = this.register(new Emitter<TransferRecord>());
  /** Starts and ends, for the audit. */
  readonly onRecord = this.recordEmitter.event;

  constructor(private readonly room: TransferRoom) {
    super();
    this.register(toDisposable(() => {
      for (const timer of [this.settleTimer, this.idleTimer, this.cancelTimer, this.drainTimer]) timer?.dispose();
      this.heldAcks = [];
    }));
  }

  /** A transfer runs (or is being cancelled): keystrokes would corrupt it, and the terminal shows nothing new. */
  get busy(): boolean {
    return this.gate.active;
  }

  /** The running transfer's state, for a member entering the room; undefined when none runs. */
  get state(): TransferStatePayload | undefined {
    const running = this.running;
    if (!running) return undefined;
    return { active: true, id: running.id, memberId: running.member.id, name: running.member.name, direction: running.direction };
  }

  /** One read of the program's output. */
  output(bytes: Uint8Array): void {
    this.route(this.gate.scanOutput(bytes));
    this.armSettle();
  }

  /** What waits for more output is decided once output pauses (longer after a cancel: see TransferTiming). */
  private armSettle(): void {
    this.settleTimer?.dispose();
    this.settleTimer = undefined;
    if (!this.gate.unsettled) return;
    this.settleTimer = this.room.clock.setTimer(this.gate.cancelling ? TransferTiming.CancelQuietMs : TransferTiming.SettleMs, () => {
      this.settleTimer = undefined;
      this.route(this.gate.settle());
    });
  }

  /**
   * ZMODEM bytes from a member. Written to the program only when that member's transfer runs; otherwise
   * dropped ('not-yours'), e.g. the tail of a transfer that just ended. `written` runs once the program has
   * room for more (the client's flow control), at once when the bytes were dropped.
   */
  input(memberId: string, bytes: Uint8Array, written: () => void = () => {}): 'ok' | 'not-yours' {
    const running = this.running;
    if (!running || running.member.id !== memberId || running.cancelReason) {
      written();
      return 'not-yours';
    }
    this.touch(running);
    if (this.gate.scanInput(bytes)) {
      // The member's client aborted (zmodem.js sends five CAN): lrzsz stops only on the whole sequence.
      this.cancel('member');
      written();
      return 'ok';
    }
    running.bytes += bytes.byteLength;
    if (this.overCap(running)) {
      written();
      return 'ok';
    }
    if (this.room.writeToProgram(bytes) === 'full') {
      this.cancel('overrun');
      written();
      return 'ok';
    }
    if (this.room.pendingInput() < TransferFlowControl.InputLowWaterBytes) written();
    else {
      this.heldAcks.push(written);
      this.watchDrain();
    }
    return 'ok';
  }

  /** The member asks to cancel its transfer. */
  cancelBy(memberId: string): boolean {
    if (this.running?.member.id !== memberId) return false;
    this.cancel('member');
    return true;
  }

  /** A member left the room: its transfer ends. */
  memberLeft(memberId: string): void {
    if (this.running?.member.id === memberId) this.cancel('left');
  }

  /** Roles changed: a transfer whose member lost the keyboard ends. */
  review(): void {
    const running = this.running;
    if (running && !this.room.stillEligible(running.member.id)) this.cancel('keyboard');
  }

  /** The program exited: whatever ran is over, and nothing is left to cancel. */
  programEnded(): void {
    const running = this.running;
    if (running) running.cancelReason ??= 'room-ended';
    // settle() also abandons a cancel that was waiting for the program's last bytes.
    this.route(this.gate.settle());
    if (this.running) this.finish('cancelled', this.running.cancelReason);
  }

  /**
   * Ends the running transfer from our side: the program is told with the standard cancel sequence, its member
   * gets nothing more, and the transfer ends (`transfer:end`, `room:transfer`) once the program has stopped.
   */
  cancel(reason: TransferEndReason): void {
    const running = this.running;
    if (!running || running.cancelReason) return;
    running.cancelReason = reason;
    if (!this.gate.active) {
      // The stream already ended it within the read being routed: nothing left to tell the program.
      this.finish('cancelled', reason);
      return;
    }
    // Read the program again whatever its member's queue: it has to drain and stop.
    this.release();
    this.stopProgram();
  }

  /** Writes the cancel sequence and waits (at most CancelWaitMs) for the program to stop. */
  private stopProgram(): void {
    this.room.writeToProgram(CANCEL_SEQUENCE);
    this.gate.cancel();
    this.armSettle();
    this.cancelTimer?.dispose();
    this.cancelTimer = this.room.clock.setTimer(TransferTiming.CancelWaitMs, () => {
      this.cancelTimer = undefined;
      this.route(this.gate.abandon());
    });
  }

  private route(pieces: GatePiece[]): void {
    for (const piece of pieces) {
      switch (piece.kind) {
        case 'terminal':
          this.room.toTerminal(piece.bytes);
          break;
        case 'start':
          this.start(piece.direction);
          break;
        case 'transfer':
          this.deliver(piece.bytes);
          break;
        case 'finishing':
          // rz said ZFIN: the sender's "OO" is written here, so the member's own (arriving later) is dropped
          // and can never reach the shell as typed text.
          if (this.running) this.room.writeToProgram(OVER_AND_OUT);
          break;
        case 'end': {
          this.cancelTimer?.dispose();
          this.cancelTimer = undefined;
          const reason = this.running?.cancelReason ?? (piece.end === 'cancelled' ? 'program' : undefined);
          if (this.running) this.finish(reason ? 'cancelled' : 'completed', reason);
          break;
        }
      }
    }
  }

  private start(direction: TransferDirection): void {
    const id = this.nextId++;
    const member = this.room.maxBytes > 0 ? this.room.currentWriter() : undefined;
    if (!member) {
      const reason: TransferEndReason = this.room.maxBytes > 0 ? 'no-writer' : 'disabled';
      this.stopProgram();
      this.room.refused(reason === 'disabled'
        ? 'A file transfer was refused: file transfer is turned off on this server.'
        : 'A file transfer was refused: the member who typed last cannot take it (it lost the keyboard, left, or its client cannot transfer files).');
      this.recordEmitter.fire({ kind: 'ended', id, memberId: undefined, direction, bytes: 0, outcome: 'cancelled', reason });
      return;
    }
    const running: Running = { id, member, direction, bytes: 0, lastActivity: this.room.clock.now() };
    this.running = running;
    member.port.send('transfer:start', { id, direction, maxBytes: this.room.maxBytes });
    this.room.announce(this.state!);
    this.recordEmitter.fire({ kind: 'started', id, memberId: member.id, direction });
    this.armIdle(running);
  }

  private deliver(bytes: Uint8Array): void {
    const running = this.running;
    if (!running || running.cancelReason) return;
    this.touch(running);
    running.bytes += bytes.byteLength;
    if (this.overCap(running)) return;
    running.member.port.send('transfer:data', bytes);
    if (!this.holding && running.member.port.backlog() > TransferFlowControl.HighWaterBytes) {
      this.holding = true;
      this.room.holdProgram(true);
      this.watchDrain();
    }
  }

  private overCap(running: Running): boolean {
    if (running.bytes <= this.room.maxBytes) return false;
    this.cancel('too-large');
    return true;
  }

  private finish(outcome: 'completed' | 'cancelled', reason?: TransferEndReason): void {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    this.idleTimer?.dispose();
    this.idleTimer = undefined;
    this.release();
    const end = { id: running.id, outcome, bytes: running.bytes, ...(reason ? { reason } : {}) };
    running.member.port.send('transfer:end', end);
    this.room.announce({ active: false, id: running.id, outcome, ...(reason ? { reason } : {}) });
    this.recordEmitter.fire({ kind: 'ended', memberId: running.member.id, direction: running.direction, ...end });
  }

  /** Lets the program be read again and sends any held acknowledgements: the transfer no longer paces anything. */
  private release(): void {
    if (this.holding) {
      this.holding = false;
      this.room.holdProgram(false);
    }
    for (const ack of this.heldAcks.splice(0)) ack();
    this.drainTimer?.dispose();
    this.drainTimer = undefined;
  }

  private touch(running: Running): void {
    running.lastActivity = this.room.clock.now();
  }

  /** One timer for the idle limit, re-armed only when it fires early (activity moved the deadline). */
  private armIdle(running: Running): void {
    const due = running.lastActivity + TransferTiming.IdleMs;
    this.idleTimer = this.room.clock.setTimer(Math.max(0, due - this.room.clock.now()), () => {
      this.idleTimer = undefined;
      if (this.running !== running) return;
      if (this.room.clock.now() - running.lastActivity >= TransferTiming.IdleMs) this.cancel('idle');
      else this.armIdle(running);
    });
  }

  /** While the program is held or acks are: checks the member's queue and the program's input every DrainCheckMs. */
  private watchDrain(): void {
    if (this.drainTimer) return;
    this.drainTimer = this.room.clock.setTimer(TransferFlowControl.DrainCheckMs, () => {
      this.drainTimer = undefined;
      const running = this.running;
      if (!running) return this.release();
      if (this.holding && running.member.port.backlog() < TransferFlowControl.LowWaterBytes) {
        this.holding = false;
        this.room.holdProgram(false);
      }
      if (this.heldAcks.length > 0 && this.room.pendingInput() < TransferFlowControl.InputLowWaterBytes) {
        for (const ack of this.heldAcks.splice(0)) ack();
      }
      if (this.holding || this.heldAcks.length > 0) this.watchDrain();
    });
  }
}
