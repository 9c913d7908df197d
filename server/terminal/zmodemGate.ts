// ZmodemGate: reads a program's raw output and its transfer peer's input, and tells terminal output from a ZMODEM
// session (lrzsz's sz and rz): where one starts, which way it goes, where it ends or is cancelled.

import type { TransferDirection } from '../shared/events.js';

/** How the byte stream itself ended a transfer: the protocol's goodbye, or a run of CAN from either side. */
export type StreamEnd = 'completed' | 'cancelled';

/**
 * One piece of scanned output, in stream order: bytes for the terminal, bytes for the transfer's member, or a
 * change of state between them. 'finishing' (uploads only) is the receiver's ZFIN: its sender must now say "OO".
 */
export type GatePiece =
  | { kind: 'terminal'; bytes: Uint8Array }
  | { kind: 'transfer'; bytes: Uint8Array }
  | { kind: 'start'; direction: TransferDirection }
  | { kind: 'finishing' }
  | { kind: 'end'; end: StreamEnd };

/** The ZMODEM protocol's bytes and counts that the gate reads (Forsberg's ZMODEM spec; lrzsz's zm.c). */
export const Zmodem = {
  /** ZPAD ZPAD ZDLE 'B': how every hex header begins (ZRQINIT, ZRINIT and ZFIN are always sent in hex). */
  HexHeaderStart: [0x2a, 0x2a, 0x18, 0x42] as readonly number[],
  /** Hex digits after the start: the frame type (2), four flag bytes (8), the CRC-16 (4). */
  HexDigits: 14,
  /** Frame types: ZRQINIT (a sender asks the receiver to start), ZRINIT (a receiver is ready), ZFIN (end of session). */
  ZRQINIT: 0,
  ZRINIT: 1,
  ZFIN: 8,
  CAN: 0x18,
  BS: 0x08,
  /** 'O': the sender's "over and out" after the receiver's ZFIN is two of these. */
  Over: 0x4f,
  OverAndOutLength: 2,
  /** A receiver aborts after this many CAN in a row; valid ZMODEM data never holds two (ZDLE escapes CAN). */
  CancelRun: 5,
  /** What may follow a hex header: CR, LF or LF with the high bit (lrzsz sends CR 0x8a) and XON. */
  HeaderTrailer: [0x0d, 0x0a, 0x8a, 0x11] as readonly number[],
  /** At most this many trailer bytes follow a ZFIN (CR and 0x8a; no XON after ZFIN). */
  MaxFinTrailer: 2,
  /**
   * What follows the CAN run of a cancel and is part of it: lrzsz's canit() sends ten CAN and ten BS, rz three
   * times; zmodem.js five and five. Up to this many further CAN and BS bytes are taken as its tail.
   */
  MaxCancelTail: 64,
} as const;

/**
 * The standard cancel sequence, written to the program to abort a transfer: lrzsz's canit(), ten CAN (five abort,
 * five for insurance) then ten BS that erase them on a terminal that shows them.
 */
export const CANCEL_SEQUENCE: Uint8Array = Uint8Array.from([...Array(10).fill(Zmodem.CAN), ...Array(10).fill(Zmodem.BS)]);

/** The over-and-out a ZMODEM sender says after the receiver's ZFIN: written for the member to end an upload. */
export const OVER_AND_OUT: Uint8Array = Uint8Array.from([Zmodem.Over, Zmodem.Over]);

/** The bytes of `read` after its last ZDLE escape (ZDLE and the byte it escapes); all of it when it has none. */
function afterLastEscape(read: Uint8Array): Uint8Array {
  const zdle = read.lastIndexOf(Zmodem.CAN);
  return zdle === -1 ? read.slice() : read.slice(Math.min(read.length, zdle + 2));
}

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), as ZMODEM's hex headers carry it over the type and flag bytes. */
export function crc16(bytes: readonly number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  // lrzsz writes lower case; upper case is accepted as other senders may use it.
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}

/** A hex header's frame type, or undefined when `bytes` (start, 14 digits) do not form one with a valid CRC. */
function hexHeaderType(bytes: readonly number[]): number | undefined {
  const values: number[] = [];
  for (let i = Zmodem.HexHeaderStart.length; i < bytes.length; i += 2) {
    const high = hexValue(bytes[i]!);
    const low = hexValue(bytes[i + 1]!);
    if (high < 0 || low < 0) return undefined;
    values.push(high * 16 + low);
  }
  const [type, f0, f1, f2, f3, crcHigh, crcLow] = values as [number, number, number, number, number, number, number];
  return crc16([type, f0, f1, f2, f3]) === (crcHigh << 8 | crcLow) ? type : undefined;
}

const HEADER_LENGTH = Zmodem.HexHeaderStart.length + Zmodem.HexDigits;

/** Whether `byte` may stand at position `at` of a hex header. */
function fitsAt(at: number, byte: number): boolean {
  return at < Zmodem.HexHeaderStart.length ? byte === Zmodem.HexHeaderStart[at] : hexValue(byte) >= 0;
}

/** Whether `bytes` could be the beginning of a hex header. */
function couldStartHeader(bytes: readonly number[]): boolean {
  return bytes.length <= HEADER_LENGTH && bytes.every((byte, at) => fitsAt(at, byte));
}

/** Whether the bytes of `read` from `at` on (as many as it has) agree with a hex header's start. */
function startsHeaderWithin(read: Uint8Array, at: number): boolean {
  const start = Zmodem.HexHeaderStart;
  for (let k = 0; k < start.length && at + k < read.length; k++) if (read[at + k] !== start[k]) return false;
  return true;
}

/** What one byte did to a HexHeaderMatcher. */
type MatchStep =
  | { kind: 'more' }
  /** These bytes (held ones, maybe this one) cannot be part of a header; whatever still could is kept. */
  | { kind: 'released'; bytes: number[] }
  /** A complete header (`type` undefined when its CRC is wrong) made of `bytes`. */
  | { kind: 'header'; type: number | undefined; bytes: number[] };

/** Matches hex headers in a stream, one byte at a time, across chunk boundaries. */
class HexHeaderMatcher {
  /** The bytes that could still begin a header (at most HEADER_LENGTH - 1). */
  held: number[] = [];

  feed(byte: number): MatchStep {
    if (fitsAt(this.held.length, byte)) {
      this.held.push(byte);
      if (this.held.length < HEADER_LENGTH) return { kind: 'more' };
      const bytes = this.held;
      this.held = [];
      return { kind: 'header', type: hexHeaderType(bytes), bytes };
    }
    const candidate = [...this.held, byte];
    // "***" or a header after a false start: keep the longest tail that could still begin one.
    let cut = 1;
    while (cut < candidate.length && !couldStartHeader(candidate.slice(cut))) cut++;
    this.held = candidate.slice(cut);
    return { kind: 'released', bytes: candidate.slice(0, cut) };
  }

  reset(): void {
    this.held = [];
  }
}

type State =
  /** Terminal output; watching for ZRQINIT or ZRINIT. */
  | { mode: 'idle' }
  | { mode: 'transfer'; direction: TransferDirection }
  /** A download's sender said ZFIN: its trailer, ZFIN again, then "OO" still belong to the transfer. */
  | { mode: 'closing'; overs: number }
  /** An upload's receiver said ZFIN: its trailer still belongs to the transfer. */
  | { mode: 'fin-trailer'; taken: number }
  /**
   * The transfer is being cancelled from our side: output is dropped until the program's own CAN run (rz sends
   * one) or until it goes quiet. sz sends none: it stops mid-subpacket, and the shell's prompt follows. `tail` is
   * what of the last read may be that prompt: the bytes after its last ZDLE escape (ZMODEM data is full of them,
   * terminal output has none), usually the whole read, as the prompt comes in a read of its own.
   */
  | { mode: 'cancelling'; tail: Uint8Array }
  /** After a CAN run ended a transfer: the rest of the cancel sequence is dropped, not shown. */
  | { mode: 'cancel-tail'; taken: number };

/**
 * The gate between a program's output and the terminal. Pure: it keeps no time and sends nothing; its owner
 * routes the pieces and calls `settle()` when output has paused (a possible header start held at the end of a
 * read is then shown, a pending trailer or cancel tail is closed).
 */
export class ZmodemGate {
  private state: State = { mode: 'idle' };
  private readonly matcher = new HexHeaderMatcher();
  /** CAN bytes in a row at the end of the output scanned so far, while a transfer runs. */
  private outputCans = 0;
  /** CAN bytes in a row at the end of the member's input, while a transfer runs. */
  private inputCans = 0;

  /** Whether bytes now go to a transfer (or are being dropped for one), not to the terminal. */
  get active(): boolean {
    return this.state.mode !== 'idle' && this.state.mode !== 'cancel-tail';
  }

  /** Something waits for the next read or for settle(): held header bytes, a ZFIN's trailer, a cancel. */
  get unsettled(): boolean {
    const mode = this.state.mode;
    return this.holding || mode === 'fin-trailer' || mode === 'cancel-tail' || mode === 'cancelling';
  }

  /** We cancelled, and wait for the program to stop (settle() once its output went quiet). */
  get cancelling(): boolean {
    return this.state.mode === 'cancelling';
  }

  /** Bytes of a possible header held back from the terminal until the next read (or settle) decides. */
  get holding(): boolean {
    return this.state.mode === 'idle' && this.matcher.held.length > 0;
  }

  /** Scans one read of the program's output. */
  scanOutput(bytes: Uint8Array): GatePiece[] {
    const pieces: GatePiece[] = [];
    /** Start of the bytes of this read not yet placed in a piece. */
    let from = 0;
    let i = 0;
    const flush = (kind: 'terminal' | 'transfer', to: number): void => {
      if (to > from) pieces.push({ kind, bytes: bytes.subarray(from, to) });
      from = to;
    };
    while (i < bytes.length) {
      const state = this.state;
      switch (state.mode) {
        case 'idle': {
          if (this.matcher.held.length === 0) {
            // The fast path for ordinary output: nothing can start before the next '*'.
            const star = bytes.indexOf(Zmodem.HexHeaderStart[0]!, i);
            if (star === -1) {
              i = bytes.length;
              break;
            }
            // A star this read already shows is not the start of "**\x18B" stays in the terminal span (a progress bar
            // of stars costs no pieces); one that is, or may be in the next read, goes to the matcher.
            if (!startsHeaderWithin(bytes, star)) {
              i = star + 1;
              break;
            }
            flush('terminal', star);
            i = star;
          }
          // Bytes the matcher takes are its to place from now on (they may have begun in an earlier read).
          const step = this.matcher.feed(bytes[i]!);
          i++;
          from = i;
          if (step.kind === 'released') {
            pieces.push({ kind: 'terminal', bytes: Uint8Array.from(step.bytes) });
          } else if (step.kind === 'header') {
            if (step.type === Zmodem.ZRQINIT || step.type === Zmodem.ZRINIT) {
              const direction: TransferDirection = step.type === Zmodem.ZRQINIT ? 'download' : 'upload';
              this.state = { mode: 'transfer', direction };
              this.outputCans = 0;
              this.inputCans = 0;
              pieces.push({ kind: 'start', direction }, { kind: 'transfer', bytes: Uint8Array.from(step.bytes) });
            } else {
              // A well-formed header of another type outside a session is output (say, `cat` of a capture).
              pieces.push({ kind: 'terminal', bytes: Uint8Array.from(step.bytes) });
            }
          }
          break;
        }
        case 'transfer':
        case 'closing': {
          const byte = bytes[i]!;
          i++;
          if (this.countCancel(byte)) {
            flush('transfer', i);
            this.endByCancel(pieces);
            break;
          }
          if (state.mode === 'closing') {
            if (byte === Zmodem.Over) {
              state.overs += 1;
              if (state.overs === Zmodem.OverAndOutLength) {
                flush('transfer', i);
                this.end(pieces, 'completed');
              }
              break;
            }
            // The ZFIN's trailer, or the sender saying ZFIN again because the answer was late.
            if (state.overs === 0 && (Zmodem.HeaderTrailer.includes(byte) || this.matcher.feed(byte).kind !== 'released')) break;
            // Anything else: the sender is gone without its "OO" (or after one 'O'); this byte is output again.
            i -= 1;
            flush('transfer', i);
            this.end(pieces, 'completed');
            break;
          }
          // Most transfer bytes cannot begin a header: they need not go through the matcher.
          if (this.matcher.held.length === 0 && byte !== Zmodem.HexHeaderStart[0]) break;
          const step = this.matcher.feed(byte);
          if (step.kind === 'header' && step.type === Zmodem.ZFIN) {
            flush('transfer', i);
            if (state.direction === 'download') {
              this.state = { mode: 'closing', overs: 0 };
            } else {
              pieces.push({ kind: 'finishing' });
              this.state = { mode: 'fin-trailer', taken: 0 };
            }
          }
          break;
        }
        case 'fin-trailer': {
          const byte = bytes[i]!;
          if (Zmodem.HeaderTrailer.includes(byte) && state.taken < Zmodem.MaxFinTrailer) {
            i++;
            state.taken += 1;
            if (state.taken < Zmodem.MaxFinTrailer) break;
          }
          flush('transfer', i);
          this.end(pieces, 'completed');
          break;
        }
        case 'cancelling': {
          const byte = bytes[i]!;
          i++;
          from = i;
          if (this.countCancel(byte)) this.endByCancel(pieces);
          else if (i === bytes.length) state.tail = afterLastEscape(bytes);
          break;
        }
        case 'cancel-tail': {
          const byte = bytes[i]!;
          if ((byte === Zmodem.CAN || byte === Zmodem.BS) && state.taken < Zmodem.MaxCancelTail) {
            i++;
            state.taken += 1;
            from = i;
          } else {
            this.state = { mode: 'idle' };
          }
          break;
        }
      }
    }
    const mode = this.state.mode;
    if (mode === 'transfer' || mode === 'closing' || mode === 'fin-trailer') flush('transfer', bytes.length);
    else if (mode === 'idle') flush('terminal', bytes.length);
    return pieces;
  }

  /**
   * Scans the member's transfer input (before it is written to the program). True when it holds a run of CAN:
   * the member cancelled, and the caller should cancel (the program needs the whole standard sequence to stop).
   */
  scanInput(bytes: Uint8Array): boolean {
    let cancelled = false;
    for (const byte of bytes) {
      this.inputCans = byte === Zmodem.CAN ? this.inputCans + 1 : 0;
      if (this.inputCans >= Zmodem.CancelRun) cancelled = true;
    }
    return cancelled;
  }

  /**
   * We cancel the transfer (the caller writes CANCEL_SEQUENCE to the program): from now on its output is dropped
   * until the program answers with its own CAN run, or until the caller gives up waiting (`abandon`).
   */
  cancel(): void {
    if (!this.active || this.state.mode === 'cancelling') return;
    this.matcher.reset();
    this.state = { mode: 'cancelling', tail: new Uint8Array(0) };
  }

  /** Stops waiting for the program's cancel: what may be the prompt is shown, and output is terminal output again. */
  abandon(): GatePiece[] {
    const state = this.state;
    if (state.mode !== 'cancelling') return [];
    const pieces: GatePiece[] = [];
    this.end(pieces, 'cancelled');
    if (state.tail.length > 0) pieces.push({ kind: 'terminal', bytes: state.tail });
    return pieces;
  }

  /**
   * Output paused: decides what waited for more bytes. Held bytes of a possible header are output after all;
   * a ZFIN's trailer or a cancel's tail is over.
   */
  settle(): GatePiece[] {
    const pieces: GatePiece[] = [];
    const state = this.state;
    if (state.mode === 'idle' && this.matcher.held.length > 0) {
      pieces.push({ kind: 'terminal', bytes: Uint8Array.from(this.matcher.held) });
      this.matcher.reset();
    } else if (state.mode === 'fin-trailer') this.end(pieces, 'completed');
    else if (state.mode === 'cancelling') return this.abandon();
    else if (state.mode === 'cancel-tail') this.state = { mode: 'idle' };
    return pieces;
  }

  /** The transfer ends (the room ended it, or the byte stream did). */
  private end(pieces: GatePiece[], end: StreamEnd): void {
    this.matcher.reset();
    this.state = { mode: 'idle' };
    pieces.push({ kind: 'end', end });
  }

  private endByCancel(pieces: GatePiece[]): void {
    this.end(pieces, 'cancelled');
    this.state = { mode: 'cancel-tail', taken: 0 };
  }

  /** Counts CAN in a row in the output; true at the run that cancels. */
  private countCancel(byte: number): boolean {
    this.outputCans = byte === Zmodem.CAN ? this.outputCans + 1 : 0;
    return this.outputCans >= Zmodem.CancelRun;
  }
}
