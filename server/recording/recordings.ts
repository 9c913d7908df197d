// Recordings: records every room that has recording on, from its creation to its exit. Ties each room's events
// (activity, input and its Enter presses, the record setting) to its Recorder, and finds a room's file for the download route.

import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { Disposable, toDisposable, type IDisposable } from '../shared/disposable.js';
import type { Room, RoomActivity } from '../rooms/room.js';
import { countEnters } from '../rooms/roomLedger.js';
import type { Clock } from '../util/clock.js';
import { Recorder, RecordingLimits, RecordingMarkers } from './recorder.js';
import type { RecordingIndex } from './recordingIndex.js';

/** The operator's recording options (see config.ts). */
export interface RecordingSettings {
  /** Rooms are recorded unless their owner turns it off (`--no-record` turns it off for all). */
  enabled: boolean;
  /** `--record-input`: typed input too, with who typed it. */
  input: boolean;
  /** `--record-chat`: chat lines as markers. */
  chat: boolean;
  /** `--max-recording-mb` in bytes; 0 means no cap. */
  maxBytes: number;
  /** `--recordings-open-to-members`: any member may download a room's recording, not only its owner. */
  openToMembers: boolean;
}

export const DEFAULT_RECORDING_SETTINGS: Readonly<RecordingSettings> = {
  enabled: true,
  input: false,
  chat: false,
  maxBytes: RecordingLimits.DefaultMaxMiB * 1024 * 1024,
  openToMembers: false,
};

/** The folder inside the data folder that holds the recordings, one `<roomId>.cast` per room. */
export const RECORDINGS_FOLDER = 'recordings';

/** What the download route needs: who may fetch, and a room's file with everything so far on disk. */
export interface RecordingFiles {
  readonly openToMembers: boolean;
  fileOf(roomId: string): string | undefined;
}

export class Recordings extends Disposable implements RecordingFiles {
  private readonly folder: string;
  /** Rooms being recorded (or that may be, once their owner turns recording on), until their exit. */
  private readonly active = new Map<string, RoomRecording>();

  constructor(
    dataDir: string,
    private readonly settings: RecordingSettings,
    private readonly clock: Clock,
    private readonly index: RecordingIndex,
  ) {
    super();
    this.folder = join(dataDir, RECORDINGS_FOLDER);
    this.register(toDisposable(() => {
      for (const recording of [...this.active.values()]) recording.dispose();
    }));
  }

  get openToMembers(): boolean {
    return this.settings.openToMembers;
  }

  /** Records `room` from now on, while its `record` setting is on (the file is made when it first is). */
  track(room: Room): void {
    if (!this.settings.enabled || this.isDisposed || this.active.has(room.id)) return;
    const recording = new RoomRecording(room, this.settings, () => this.open(room), () => this.active.delete(room.id));
    this.active.set(room.id, recording);
  }

  /** The room's recording file with everything so far written, or undefined when it has none. */
  fileOf(roomId: string): string | undefined {
    this.active.get(roomId)?.flush();
    return this.index.pathOf(roomId);
  }

  /**
   * Retention removed these recordings from the index: their files go too. Only files in the recordings
   * folder, and never one still being written.
   */
  deleteFiles(paths: readonly string[]): void {
    const writing = new Set([...this.active.values()].map((recording) => recording.path));
    for (const path of paths) {
      const file = resolve(path);
      if (!file.startsWith(resolve(this.folder) + sep) || writing.has(file)) continue;
      rmSync(file, { force: true });
    }
  }

  private open(room: Room): Recorder {
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    const path = join(this.folder, `${room.id}.cast`);
    const recorder = new Recorder({
      path,
      clock: this.clock,
      title: room.name,
      cols: room.cols,
      rows: room.rows,
      maxBytes: this.settings.maxBytes,
    });
    this.index.started(room.id, path, { startedAt: this.clock.now(), input: this.settings.input });
    recorder.whenEnded((outcome) => this.index.ended(room.id, outcome));
    return recorder;
  }
}

/**
 * One room's recording: attaches the recorder to the room's stream while `record` is on, and turns the room's
 * activity and input into markers and input events. Ends at the room's exit (or when disposed).
 */
class RoomRecording extends Disposable {
  private recorder: Recorder | undefined;
  /** The room's stream reaches the recorder: recording is on. */
  private attached: IDisposable | undefined;
  private readonly names = new Map<string, string>();
  /** Who typed the last recorded input: the next input by someone else gets a "typing" marker first. */
  private lastTypist: string | undefined;

  constructor(
    private readonly room: Room,
    private readonly settings: RecordingSettings,
    private readonly openRecorder: () => Recorder,
    ended: () => void,
  ) {
    super();
    this.register(toDisposable(() => {
      this.detach();
      this.recorder?.dispose();
      ended();
    }));
    this.register(room.onActivity((activity) => this.activity(activity)));
    this.register(room.onInput(({ memberId, data }) => this.input(memberId, data)));
    // An attached recorder hears the exit through its port (after the final screen) and ends itself then.
    this.register(room.onExit(() => {
      if (!this.attached) this.dispose();
    }));
    if (room.settings.record) this.start();
  }

  flush(): void {
    this.recorder?.flush();
  }

  /** The file being written, if any. */
  get path(): string | undefined {
    return this.recorder ? resolve(this.recorder.path) : undefined;
  }

  private start(): void {
    const resuming = this.recorder !== undefined;
    if (!this.recorder) {
      this.recorder = this.openRecorder();
      this.recorder.whenEnded(() => this.dispose());
    }
    // The first start takes the stream from its beginning; one after a pause, the screen as it is then.
    this.attached = this.room.attachRecorder(this.recorder.port, resuming ? undefined : 0);
    if (resuming) this.marker(RecordingMarkers.resumed);
  }

  private detach(): void {
    this.attached?.dispose();
    this.attached = undefined;
  }

  private marker(label: string): void {
    if (this.attached) this.recorder?.marker(label);
  }

  private activity(activity: RoomActivity): void {
    switch (activity.kind) {
      case 'joined':
        this.names.set(activity.memberId, activity.name);
        return this.marker(RecordingMarkers.joined(activity.name, activity.memberId, activity.role));
      case 'left':
        return this.marker(RecordingMarkers.left(activity.name, activity.memberId));
      case 'role':
        return this.marker(RecordingMarkers.role(activity.name, activity.memberId, activity.role));
      case 'curtain':
        return this.marker(activity.down ? RecordingMarkers.curtainLowered : RecordingMarkers.curtainLifted);
      case 'chat':
        if (this.settings.chat) this.marker(RecordingMarkers.chat(activity.name, activity.memberId, activity.text));
        return;
      case 'bookmark': {
        const { label, name, memberId } = activity.bookmark;
        return this.marker(RecordingMarkers.bookmark(label, name, memberId));
      }
      case 'record':
        if (activity.on && !this.attached) {
          this.start();
        } else if (!activity.on && this.attached) {
          this.marker(RecordingMarkers.paused);
          this.detach();
          this.lastTypist = undefined;
        }
        return;
    }
  }

  private input(memberId: string, data: string): void {
    // The room never reports input behind the curtain; checked again here, since it may be a password.
    if (!this.attached || !this.recorder || this.room.curtainDown) return;
    const name = this.names.get(memberId) ?? memberId;
    if (this.settings.input) {
      if (this.lastTypist !== memberId) {
        this.lastTypist = memberId;
        this.recorder.marker(RecordingMarkers.typing(name, memberId));
      }
      this.recorder.input(data);
    }
    // Who entered each command, always: a marker per Enter press (the ledger's count), never what was typed.
    for (let enters = countEnters(data); enters > 0; enters--) this.recorder.marker(RecordingMarkers.enter(name, memberId));
  }
}
