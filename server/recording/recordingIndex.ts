// RecordingIndex: where the server keeps track of its recordings (which room, which file, how it ended), and its
// implementation over the store's recordings table.

import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { RecordingOutcome } from './recorder.js';

export interface RecordingMeta {
  /** Clock ms of the recording's start. */
  startedAt: number;
  /** Typed input is recorded (`--record-input`). */
  input: boolean;
}

export interface RecordingIndex {
  started(roomId: string, path: string, meta: RecordingMeta): void;
  ended(roomId: string, outcome: RecordingOutcome): void;
  /** The file of the room's latest recording, while the index still holds it (retention removes it). */
  pathOf(roomId: string): string | undefined;
}

/** The store's words for a recording's flags (RecordingRecord.flags, comma separated). */
export const RecordingFlags = {
  Input: 'input',
  Capped: 'capped',
  Exited: 'exited',
} as const;

/** The index in the store: a row per recording, its size, end and flags written when it ends. */
export class StoreRecordingIndex implements RecordingIndex {
  /** Row ids of the recordings being written, by room. */
  private readonly rows = new Map<string, { id: number; flags: string[] }>();

  constructor(
    private readonly store: Pick<Store, 'recordingStarted' | 'recordingUpdated' | 'recordings'>,
    private readonly clock: Clock,
  ) {}

  started(roomId: string, path: string, meta: RecordingMeta): void {
    const flags = meta.input ? [RecordingFlags.Input] : [];
    const id = this.store.recordingStarted({ room: roomId, path, startedAt: meta.startedAt, flags: flags.join(',') });
    this.rows.set(roomId, { id, flags });
  }

  ended(roomId: string, outcome: RecordingOutcome): void {
    const row = this.rows.get(roomId);
    if (!row) return;
    this.rows.delete(roomId);
    const flags = [...row.flags, ...(outcome.capped ? [RecordingFlags.Capped] : []), ...(outcome.exited ? [RecordingFlags.Exited] : [])];
    this.store.recordingUpdated(row.id, { size: outcome.bytes, endedAt: this.clock.now(), flags: flags.join(',') });
  }

  pathOf(roomId: string): string | undefined {
    return this.store.recordings(roomId).at(-1)?.path;
  }
}
