// ScreenMirror: the headless xterm that parses every output byte; exact snapshots at a stream offset.

import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
/** A snapshot as the mirror makes it: like the wire's SnapshotPayload, with the serialized screen as text. */
export interface ScreenSnapshot {
  offset: number;
  cols: number;
  rows: number;
  data: string;
}
import { ParseScheduling, SnapshotLimits } from '../shared/flowControl.js';
import { assertInternals, catchParseErrors, parseNow, parserIsInGround } from './xtermInternals.js';
import { createHeadlessTerminal, type HeadlessTerminal } from './headlessTerminal.js';
import { PendingSequence } from './pendingSequence.js';
import { composeSnapshot } from './snapshotState.js';

export { UNICODE_VERSION } from './headlessTerminal.js';

/** Output waiting to be parsed, and what to call once its last unit is (an empty `data` is a plain callback). */
interface QueuedWrite {
  data: string;
  done: () => void;
}

export interface MirrorOptions {
  cols: number;
  rows: number;
  /** Lines kept above the screen; bounds the mirror's memory and the snapshot's size. */
  scrollback: number;
  /** The stream offset of the first write (a mirror rebuilt from a checkpoint continues the stream there). */
  startOffset?: number;
}

/**
 * Parses the stream in order and knows, at every moment between event-loop turns, exactly which
 * offset its screen reflects: xterm calls a write's callback right after that chunk is parsed.
 */
export class ScreenMirror extends Disposable {
  private readonly terminal: HeadlessTerminal;
  private readonly replyEmitter = this.register(new Emitter<string>());
  /** Answers to terminal queries found in the output (DA, DSR/CPR, …): the room's one responder. */
  readonly onReply = this.replyEmitter.event;
  private readonly parseErrorEmitter = this.register(new Emitter<unknown>());
  /** xterm threw while parsing output (a bug in it); the room survives, this chunk's rest is lost. */
  readonly onParseError = this.parseErrorEmitter.event;

  /** Offset of everything handed to write(). */
  private writtenOffset = 0;
  private readonly queue: QueuedWrite[] = [];
  private pumpScheduled = false;
  /** Offset of everything parsed: the screen reflects exactly [0, parsedOffset). */
  private parsed = 0;
  /** The escape sequence the parsed stream ends inside, if any. */
  private readonly pending = new PendingSequence();
  private serializeCount = 0;
  /** Set while restore() parses: replies to queries inside a checkpoint must not reach the pty again. */
  private restoring = false;

  constructor(options: MirrorOptions) {
    super();
    const { terminal, guards } = createHeadlessTerminal(options);
    this.terminal = terminal;
    this.register(toDisposable(() => this.terminal.dispose()));
    assertInternals(this.terminal);
    for (const guard of guards) this.register(guard);
    catchParseErrors(this.terminal, (error) => this.parseErrorEmitter.fire(error));
    this.register(this.terminal.onData((reply) => {
      if (!this.restoring) this.replyEmitter.fire(reply);
    }));
    this.writtenOffset = options.startOffset ?? 0;
    this.parsed = this.writtenOffset;
  }

  /**
   * Rebuilds the screen from a snapshot's data, now, before any write: it moves no offset (it is the state at
   * `startOffset`, not stream output). The terminal's answers to queries in it are dropped: they were answered
   * when the stream carried them.
   */
  restore(data: string): void {
    if (this.writtenOffset !== this.parsed || this.queue.length > 0) throw new Error('restore() comes before any write');
    this.restoring = true;
    try {
      parseNow(this.terminal, data);
    } finally {
      this.restoring = false;
    }
    this.pending.parsed(data, parserIsInGround(this.terminal));
  }

  get cols(): number {
    return this.terminal.cols;
  }

  get rows(): number {
    return this.terminal.rows;
  }

  get parsedOffset(): number {
    return this.parsed;
  }

  /** Code units handed to the parser and not yet parsed: what paces the PTY. */
  get backlog(): number {
    return this.writtenOffset - this.parsed;
  }

  /** Queues `data`; `onParsed(offset)` runs right after it is parsed, with the offset it started at. */
  write(data: string, onParsed: (offset: number) => void): void {
    if (this.isDisposed) return;
    const offset = this.writtenOffset;
    this.writtenOffset += data.length;
    this.enqueue({ data, done: () => onParsed(offset) });
  }

  /** Runs `callback` once everything written so far is parsed. */
  afterParsed(callback: () => void): void {
    if (this.isDisposed) return;
    this.enqueue({ data: '', done: callback });
  }

  private enqueue(write: QueuedWrite): void {
    this.queue.push(write);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // setImmediate runs after pending I/O: sockets are served between slices.
    setImmediate(() => this.pump());
  }

  /** Parses up to one slice of the queue, calls back for the writes it finished, and schedules the rest. */
  private pump(): void {
    this.pumpScheduled = false;
    if (this.isDisposed) return;
    let budget = ParseScheduling.SliceUnits;
    while (this.queue.length > 0 && budget > 0) {
      const head = this.queue[0]!;
      // A surrogate pair cut here is fine: xterm keeps the high half until the next parse.
      const slice = head.data.length <= budget ? head.data : head.data.slice(0, budget);
      if (slice.length > 0) {
        parseNow(this.terminal, slice);
        this.parsed += slice.length;
        this.pending.parsed(slice, parserIsInGround(this.terminal));
        budget -= slice.length;
      }
      if (slice.length < head.data.length) {
        head.data = head.data.slice(slice.length);
        continue;
      }
      this.queue.shift();
      head.done();
      if (this.isDisposed) return;
    }
    if (this.queue.length > 0 && !this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => this.pump());
    }
  }

  /** Resizes after everything written so far is parsed, so the reflow happens at that stream point. */
  resize(cols: number, rows: number, onResized: (offset: number) => void): void {
    this.afterParsed(() => {
      this.terminal.resize(cols, rows);
      onResized(this.parsed);
    });
  }

  /** Serializes the screen as it is at `parsedOffset`; synchronous, so no chunk can slip in between. */
  snapshot(): ScreenSnapshot {
    return { offset: this.parsed, cols: this.terminal.cols, rows: this.terminal.rows, data: this.serialize() };
  }

  /** Like snapshot(), without the scrollback: one screen's worth of serializing, for frequent checkpoints. */
  screenSnapshot(): ScreenSnapshot {
    const firstLine = Math.max(0, this.terminal.buffer.normal.length - this.terminal.rows);
    this.serializeCount += 1;
    const data = composeSnapshot(this.terminal, this.pending.value, firstLine);
    return { offset: this.parsed, cols: this.terminal.cols, rows: this.terminal.rows, data };
  }

  /** The visible screen as plain text lines, trailing blanks trimmed. */
  screenText(): string[] {
    const buffer = this.terminal.buffer.active;
    const lines: string[] = [];
    // From the screen's top (baseY), not the viewport's: xterm can leave its viewport scrolled up (viewportY
    // behind baseY, e.g. once the scrollback is full and trimmed), and the viewport then shows older lines.
    for (let y = 0; y < this.terminal.rows; y++) {
      lines.push(buffer.getLine(buffer.baseY + y)?.translateToString(true) ?? '');
    }
    return lines;
  }

  /** For tests and tools that compare screens cell by cell. */
  get xterm(): HeadlessTerminal {
    return this.terminal;
  }

  /** How many times the buffer was serialized: snapshots are the expensive path, so tests count them. */
  get serializations(): number {
    return this.serializeCount;
  }

  private serialize(): string {
    const lines = this.terminal.buffer.normal.length;
    const lastFirstLine = Math.max(0, lines - this.terminal.rows);
    let firstLine = 0;
    for (;;) {
      this.serializeCount += 1;
      const data = composeSnapshot(this.terminal, this.pending.value, firstLine);
      if (data.length <= SnapshotLimits.MaxUnits || firstLine >= lastFirstLine) return data;
      // Size grows with the lines written, so keep the share of them that fits, with a margin.
      const kept = lines - firstLine;
      const fitting = Math.floor(kept * (SnapshotLimits.MaxUnits / data.length) * SnapshotLimits.RetryKeepRatio);
      firstLine = Math.min(lastFirstLine, Math.max(firstLine + 1, lines - fitting));
    }
  }
}
