// The mirror host's wire: typed messages between the main thread and a mirror worker. Plain data only (no
// shared objects), so the same host could run in another process (as VS Code's pty host does) unchanged.

import type { SnapshotPayload } from '../shared/events.js';
import type { ScreenDump } from './screenDump.js';

/** A room's mirror inside one host; numbered by the main thread, unique per host for the server's life. */
export type MirrorId = number;

export interface MirrorOpen {
  type: 'open';
  mirror: MirrorId;
  cols: number;
  rows: number;
  scrollback: number;
  /**
   * Rebuild from here instead of a blank screen (after the previous worker died): the checkpoint's data is
   * parsed first and the mirror's offsets continue from its offset.
   */
  restore?: SnapshotPayload;
}

/** Output in stream order; `data`'s first unit is at the mirror's current written offset. */
export interface MirrorWrite {
  type: 'write';
  mirror: MirrorId;
  data: string;
}

/** Resize once everything written before this message is parsed (the stream point members reflow at). */
export interface MirrorResize {
  type: 'resize';
  mirror: MirrorId;
  cols: number;
  rows: number;
}

/** Questions answered by a `reply` with the same `request` number. */
export type MirrorQuery =
  /** The serialized screen with scrollback, at the parsed offset when the worker gets to the request. */
  | { type: 'snapshot'; mirror: MirrorId; request: number }
  /** The visible screen as plain text lines, at the parsed offset. */
  | { type: 'text'; mirror: MirrorId; request: number }
  /** Every cell described, for tests that compare screens cell by cell. */
  | { type: 'dump'; mirror: MirrorId; request: number }
  /** Answered once everything written before it is parsed (the exit path waits for the final screen). */
  | { type: 'flush'; mirror: MirrorId; request: number };

export interface MirrorClose {
  type: 'close';
  mirror: MirrorId;
}

export type ToMirrorWorker = MirrorOpen | MirrorWrite | MirrorResize | MirrorQuery | MirrorClose;

export type MirrorAnswer =
  | { type: 'snapshot'; snapshot: SnapshotPayload }
  | { type: 'text'; offset: number; lines: string[] }
  | { type: 'dump'; offset: number; dump: ScreenDump }
  | { type: 'flush'; offset: number };

export type FromMirrorWorker =
  /** The worker has loaded and listens: sent once, first. */
  | { type: 'ready' }
  /** Everything before `offset` is parsed: what paces the room's pty. */
  | { type: 'parsed'; mirror: MirrorId; offset: number }
  /** The mirror's answer to a terminal query in the output (DA, DSR/CPR): it goes to the pty, once. */
  | { type: 'terminal-reply'; mirror: MirrorId; data: string }
  | { type: 'reply'; mirror: MirrorId; request: number; answer: MirrorAnswer }
  /**
   * A recent snapshot, sent unasked: the main thread keeps it to rebuild the mirror should this worker die.
   * `full` ones (sent once the mirror is quiet for a moment) hold the scrollback and serve joiners too;
   * during a long flood, screen-only ones keep a checkpoint within the history at little cost.
   */
  | { type: 'checkpoint'; mirror: MirrorId; snapshot: SnapshotPayload; full: boolean }
  /** xterm threw while parsing (a bug in it); the mirror survives, the rest of that slice is lost. */
  | { type: 'parse-error'; mirror: MirrorId; message: string };
