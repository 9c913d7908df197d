// Recorder: one room's recording on disk. It is the port the room's fan-out feeds (so it sees exactly what a
// member in front of the curtain sees) and writes that, the markers and the typed input as asciicast v2,
// flushed on the injected clock, up to a size cap.

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { ExitPayload, OutputPayload, ResizePayload, ServerEventArgs, ServerEventName, SnapshotPayload } from '../shared/events.js';
import type { IDisposable } from '../shared/disposable.js';
import type { MemberPort } from '../rooms/ports.js';
import type { Clock } from '../util/clock.js';
import { eventLine, headerLine, RECORDED_TERM_TYPE, sizeData, type AsciicastCode } from './asciicast.js';

export const RecordingLimits = {
  /**
   * Buffered events reach the file at most this long after they happened (issue 12: "flush at least every
   * second"), so a kill -9 of the server loses at most about this much of the recording.
   */
  FlushIntervalMs: 1000,
  /** Buffered bytes that are written at once, without waiting for the timer: bounds memory during a flood. */
  FlushAtBytes: 64 * 1024,
  /** `--max-recording-mb` default: about an hour of a busy terminal; a flood past it is not worth keeping. */
  DefaultMaxMiB: 100,
  /** Files are the owner's alone: a recording may hold anything that was on the screen. */
  FileMode: 0o600,
} as const;

const MIB = 1024 * 1024;

/** Full reset (RIS): a snapshot is drawn on a clean terminal, as a joining member's is. */
const RESET = '\x1bc';

export interface RecorderOptions {
  path: string;
  clock: Clock;
  title: string;
  cols: number;
  rows: number;
  /** Bytes of file after which output, input and markers stop (one marker says so); 0 means no cap. */
  maxBytes: number;
}

/** What the index learns when a recording ends. */
export interface RecordingOutcome {
  bytes: number;
  /** The size cap was reached: the recording stops at a marker saying so. */
  capped: boolean;
  /** The program's exit was recorded (its marker); false when the server stopped first. */
  exited: boolean;
}

/**
 * Writes the file as events come. Synchronous writes of whole lines: a line is on disk (in the page cache,
 * which outlives a killed process) entirely or not at all, so the file always parses up to its last flush.
 * No fsync per flush (a kill -9 does not need it, and it would cost a disk round trip every second per room);
 * one fsync when the recording ends.
 */
export class Recorder implements IDisposable {
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private writtenBytes = 0;
  private flushTimer: IDisposable | undefined;
  /** Clock ms of the start: v2's event times count from here. */
  private readonly startedAt: number;
  /** Never earlier than the previous event's time, should the clock step back. */
  private lastElapsed = 0;
  private cols: number;
  private rows: number;
  private capped = false;
  private exited = false;
  private readonly decoder = new TextDecoder();
  private readonly endedHandlers: Array<(outcome: RecordingOutcome) => void> = [];

  constructor(private readonly options: RecorderOptions) {
    this.fd = openSync(options.path, 'w', RecordingLimits.FileMode);
    const now = options.clock.now();
    this.startedAt = now;
    this.cols = options.cols;
    this.rows = options.rows;
    this.append(headerLine({
      version: 2,
      width: options.cols,
      height: options.rows,
      timestamp: Math.floor(now / 1000),
      title: options.title,
      env: { TERM: RECORDED_TERM_TYPE },
    }));
    // The header is on disk at once: the file is a valid (empty) recording from the start.
    this.flush();
  }

  get path(): string {
    return this.options.path;
  }

  /** Still writing: not ended, disposed or capped. */
  get open(): boolean {
    return this.fd !== undefined;
  }

  /** Calls `handler` once, when the recording ends (exit, stop or dispose). */
  whenEnded(handler: (outcome: RecordingOutcome) => void): void {
    this.endedHandlers.push(handler);
  }

  /** The port the room's fan-out feeds: a start (output from offset 0, or a snapshot), then the live stream. */
  readonly port: MemberPort = {
    send: <E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void => {
      const payload = args[0];
      if (event === 'term:output') this.event('o', (payload as OutputPayload).data);
      else if (event === 'term:resize') this.resized((payload as ResizePayload).cols, (payload as ResizePayload).rows);
      else if (event === 'term:snapshot') this.snapshot(payload as SnapshotPayload);
      else if (event === 'term:exit') this.exit(payload as ExitPayload);
      // Nothing else is sent to a stream port (member lists and notices go to members, not to feeds).
    },
    setLive: () => {},
    setPresent: () => {},
    backlog: () => 0,
    close: () => {},
  };

  /** A marker on the timeline (`m` event), e.g. "joined: ada (writer) [id]". */
  marker(label: string): void {
    this.event('m', label);
  }

  /** Typed input (`i` event); the caller names the typist in a marker before it (see RecordingMarkers.typing). */
  input(data: string): void {
    this.event('i', data);
  }

  /** Writes what is buffered now. */
  flush(): void {
    this.flushTimer?.dispose();
    this.flushTimer = undefined;
    if (this.fd === undefined || this.pending.length === 0) return;
    const text = this.pending.join('');
    const length = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    // Writing the string spares a copy into a Buffer (a third of the recorder's time in a flood); a short write
    // (a full disk, a signal) is finished from a Buffer of the same text.
    const written = writeSync(this.fd, text);
    if (written < length) {
      const bytes = Buffer.from(text, 'utf8');
      for (let at = written; at < bytes.length;) at += writeSync(this.fd, bytes, at, bytes.length - at);
    }
    this.writtenBytes += length;
  }

  /** Ends the recording without an exit event (the server stops, or the room went without one). */
  dispose(): void {
    this.finish();
  }

  private snapshot(snapshot: SnapshotPayload): void {
    this.event('o', RESET);
    this.resized(snapshot.cols, snapshot.rows);
    this.event('o', this.decoder.decode(snapshot.data));
  }

  private resized(cols: number, rows: number): void {
    if (cols === this.cols && rows === this.rows) return;
    this.cols = cols;
    this.rows = rows;
    this.event('r', sizeData(cols, rows));
  }

  private exit(exit: ExitPayload): void {
    if (this.fd === undefined) return;
    this.exited = true;
    // v2 has no exit event: a marker, past the cap too (a few bytes that say how the session ended).
    this.append(eventLine(this.elapsed(), 'm', RecordingMarkers.exited(exit)));
    this.finish();
  }

  private event(code: AsciicastCode, data: string): void {
    if (this.fd === undefined || this.capped) return;
    const elapsed = this.elapsed();
    const line = eventLine(elapsed, code, data);
    const bytes = Buffer.byteLength(line);
    const { maxBytes } = this.options;
    if (maxBytes > 0 && this.writtenBytes + this.pendingBytes + bytes > maxBytes) {
      this.capped = true;
      this.append(eventLine(elapsed, 'm', RecordingMarkers.capped(maxBytes)));
      this.flush();
      return;
    }
    this.append(line, bytes);
  }

  /** Milliseconds since the start, never less than the previous event's (players expect times in order). */
  private elapsed(): number {
    this.lastElapsed = Math.max(this.lastElapsed, this.options.clock.now() - this.startedAt);
    return this.lastElapsed;
  }

  private append(line: string, bytes: number = Buffer.byteLength(line)): void {
    this.pending.push(line);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= RecordingLimits.FlushAtBytes) this.flush();
    else this.flushTimer ??= this.options.clock.setTimer(RecordingLimits.FlushIntervalMs, () => this.flush());
  }

  private finish(): void {
    if (this.fd === undefined) return;
    this.flush();
    const fd = this.fd;
    this.fd = undefined;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const outcome: RecordingOutcome = { bytes: this.writtenBytes, capped: this.capped, exited: this.exited };
    for (const handler of this.endedHandlers.splice(0)) handler(outcome);
  }
}

/** The markers' labels: one line of text each, with the member's id in brackets so tools can match them. */
export const RecordingMarkers = {
  joined: (name: string, id: string, role: string) => `joined: ${name} (${role}) [${id}]`,
  left: (name: string, id: string) => `left: ${name} [${id}]`,
  role: (name: string, id: string, role: string) => `role: ${name} is now ${role} [${id}]`,
  curtainLowered: 'curtain lowered',
  curtainLifted: 'curtain lifted',
  chat: (name: string, id: string, text: string) => `chat: ${name} [${id}]: ${text}`,
  /** A member's bookmark: its label first, so a player's timeline shows it as the marker's title. */
  bookmark: (label: string, name: string, id: string) => `bookmark: ${label} (by ${name}) [${id}]`,
  /** Before the input events of a member who did not type the input just before: every `i` is the last typist's. */
  typing: (name: string, id: string) => `typing: ${name} [${id}]`,
  /**
   * One per Enter press in a writer's accepted input, after that input, whether or not input is recorded: who
   * entered each command (the transcript reads the command from the screen). Never anything typed.
   */
  enter: (name: string, id: string) => `enter: ${name} [${id}]`,
  paused: 'recording paused by the owner',
  resumed: 'recording resumed by the owner',
  exited: (exit: ExitPayload) => `exited: ${exit.signal ?? exit.exitCode} (${exit.reason})`,
  capped: (maxBytes: number) => `recording size cap reached (${maxBytes % MIB === 0 ? `${maxBytes / MIB} MiB` : `${maxBytes} bytes`}): nothing more is recorded`,
} as const;
