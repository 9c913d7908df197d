// RecordingIndex: where the server keeps track of its recordings (which room, which file, how it ended). The
// store will implement it; until then a small in-memory index stands in (lost on restart, like the rooms).

import type { RecordingOutcome } from './recorder.js';

export interface RecordingMeta {
  title: string;
  /** Clock ms of the recording's start. */
  startedAt: number;
  cols: number;
  rows: number;
  /** Typed input is recorded (`--record-input`). */
  input: boolean;
}

export interface RecordingEntry {
  roomId: string;
  path: string;
  meta: RecordingMeta;
  /** Set once the recording ended; a running one is still written to (and flushed at least every second). */
  outcome?: RecordingOutcome;
}

export interface RecordingIndex {
  started(roomId: string, path: string, meta: RecordingMeta): void;
  ended(roomId: string, outcome: RecordingOutcome): void;
  find(roomId: string): RecordingEntry | undefined;
  /** Retention deleted the file. */
  removed(roomId: string): void;
}

export class MemoryRecordingIndex implements RecordingIndex {
  private readonly entries = new Map<string, RecordingEntry>();

  started(roomId: string, path: string, meta: RecordingMeta): void {
    this.entries.set(roomId, { roomId, path, meta });
  }

  ended(roomId: string, outcome: RecordingOutcome): void {
    const entry = this.entries.get(roomId);
    if (entry) entry.outcome = outcome;
  }

  find(roomId: string): RecordingEntry | undefined {
    return this.entries.get(roomId);
  }

  removed(roomId: string): void {
    this.entries.delete(roomId);
  }
}
