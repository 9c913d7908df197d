// MirrorService: the worker side of the mirror host. Holds the ScreenMirrors of the rooms placed on this worker,
// feeds them the stream, answers queries, reports parse progress and sends checkpoints. Knows only messages.

import { Disposable, toDisposable } from '../shared/disposable.js';
import { MirrorHostTiming } from '../shared/flowControl.js';
import type { FromMirrorWorker, MirrorAnswer, MirrorId, MirrorOpen, MirrorQuery, ToMirrorWorker } from './mirrorProtocol.js';
import { dumpScreen } from './screenDump.js';
import { ScreenMirror, type ScreenSnapshot } from './screenMirror.js';
import type { SnapshotPayload } from '../shared/events.js';

/** Snapshots leave the worker as UTF-8 bytes: encoded here, off the main thread, and sent on as they are. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The wire form of a snapshot; its bytes are a buffer of their own, so they can be transferred, not copied. */
function encodeSnapshot(snapshot: ScreenSnapshot): SnapshotPayload {
  return { offset: snapshot.offset, cols: snapshot.cols, rows: snapshot.rows, data: encoder.encode(snapshot.data) };
}

interface Hosted {
  readonly mirror: ScreenMirror;
  /** Everything written to the mirror, as an offset (the restore checkpoint's offset counts as written). */
  written: number;
  /** The parsed offset last reported to the main thread. */
  reported: number;
  /** The offset of the last checkpoint sent (full or screen-only). */
  checkpointed: number;
  /** When the last full checkpoint was sent (ms, performance.now). */
  checkpointedAt: number;
  quiet: ReturnType<typeof setTimeout> | undefined;
}

export class MirrorService extends Disposable {
  private readonly hosted = new Map<MirrorId, Hosted>();

  constructor(private readonly post: (message: FromMirrorWorker, transfer?: ArrayBuffer[]) => void) {
    super();
    this.register(toDisposable(() => {
      for (const id of [...this.hosted.keys()]) this.close(id);
    }));
  }

  handle(message: ToMirrorWorker): void {
    if (this.isDisposed) return;
    switch (message.type) {
      case 'open':
        this.open(message);
        return;
      case 'write':
        this.write(message.mirror, message.data);
        return;
      case 'resize': {
        const hosted = this.hosted.get(message.mirror);
        hosted?.mirror.resize(message.cols, message.rows, () => undefined);
        return;
      }
      case 'close':
        this.close(message.mirror);
        return;
      default:
        this.query(message);
    }
  }

  private open(message: MirrorOpen): void {
    this.close(message.mirror);
    const restore = message.restore;
    const mirror = new ScreenMirror({
      cols: restore?.cols ?? message.cols,
      rows: restore?.rows ?? message.rows,
      scrollback: message.scrollback,
      startOffset: restore?.offset ?? 0,
    });
    const id = message.mirror;
    const hosted: Hosted = { mirror, written: restore?.offset ?? 0, reported: restore?.offset ?? 0, checkpointed: restore?.offset ?? 0, checkpointedAt: performance.now(), quiet: undefined };
    this.hosted.set(id, hosted);
    mirror.onReply((data) => this.post({ type: 'terminal-reply', mirror: id, data }));
    mirror.onParseError((error) => this.post({ type: 'parse-error', mirror: id, message: String(error) }));
    // The checkpoint's own data rebuilds the screen; it is not part of the stream, so it moves no offset.
    if (restore) mirror.restore(decoder.decode(restore.data));
  }

  private write(id: MirrorId, data: string): void {
    const hosted = this.hosted.get(id);
    if (!hosted) return;
    hosted.written += data.length;
    hosted.mirror.write(data, () => this.parsed(id, hosted));
    this.armQuiet(id, hosted);
  }

  /** After each write is parsed: progress for pacing, and a screen-only checkpoint during long floods. */
  private parsed(id: MirrorId, hosted: Hosted): void {
    const offset = hosted.mirror.parsedOffset;
    const idle = offset === hosted.written;
    if (idle || offset - hosted.reported >= MirrorHostTiming.ProgressEveryUnits) {
      hosted.reported = offset;
      this.post({ type: 'parsed', mirror: id, offset });
    }
    if (offset - hosted.checkpointed >= MirrorHostTiming.FloodCheckpointUnits) this.checkpoint(id, hosted, false);
  }

  /** A full checkpoint once the mirror has been quiet for a moment, if enough changed since the last one. */
  private armQuiet(id: MirrorId, hosted: Hosted): void {
    if (hosted.quiet) {
      hosted.quiet.refresh();
      return;
    }
    hosted.quiet = setTimeout(() => {
      hosted.quiet = undefined;
      if (this.hosted.get(id) !== hosted) return;
      if (hosted.mirror.backlog > 0) {
        this.armQuiet(id, hosted);
        return;
      }
      const changed = hosted.mirror.parsedOffset - hosted.checkpointed;
      const age = performance.now() - hosted.checkpointedAt;
      if (changed >= MirrorHostTiming.CheckpointMinUnits || (changed > 0 && age >= MirrorHostTiming.CheckpointMaxAgeMs)) {
        this.checkpoint(id, hosted, true);
      } else if (changed > 0) {
        // Too little changed to pay for a full serialize yet; look again once the checkpoint is old enough.
        hosted.quiet = setTimeout(() => {
          hosted.quiet = undefined;
          if (this.hosted.get(id) === hosted) this.armQuiet(id, hosted);
        }, MirrorHostTiming.CheckpointMaxAgeMs - age);
      }
    }, MirrorHostTiming.CheckpointQuietMs);
  }

  private checkpoint(id: MirrorId, hosted: Hosted, full: boolean): void {
    const snapshot = encodeSnapshot(full ? hosted.mirror.snapshot() : hosted.mirror.screenSnapshot());
    hosted.checkpointed = snapshot.offset;
    if (full) hosted.checkpointedAt = performance.now();
    this.post({ type: 'checkpoint', mirror: id, snapshot, full }, [snapshot.data.buffer as ArrayBuffer]);
  }

  private query(message: MirrorQuery): void {
    const hosted = this.hosted.get(message.mirror);
    // A query for a mirror closed meanwhile: the main thread has dropped its waiters with it.
    if (!hosted) return;
    const { mirror } = hosted;
    const answer = (reply: MirrorAnswer, transfer?: ArrayBuffer[]): void => {
      this.post({ type: 'reply', mirror: message.mirror, request: message.request, answer: reply }, transfer);
    };
    switch (message.type) {
      case 'snapshot': {
        const snapshot = mirror.snapshot();
        if (mirror.backlog === 0) {
          // A fresh full snapshot of a quiet mirror is as good as a checkpoint: the next quiet one can wait.
          hosted.checkpointed = snapshot.offset;
          hosted.checkpointedAt = performance.now();
        }
        const encoded = encodeSnapshot(snapshot);
        answer({ type: 'snapshot', snapshot: encoded }, [encoded.data.buffer as ArrayBuffer]);
        return;
      }
      case 'text':
        answer({ type: 'text', offset: mirror.parsedOffset, lines: mirror.screenText() });
        return;
      case 'dump':
        answer({ type: 'dump', offset: mirror.parsedOffset, dump: dumpScreen(mirror.xterm) });
        return;
      case 'flush':
        mirror.afterParsed(() => answer({ type: 'flush', offset: mirror.parsedOffset }));
        return;
    }
  }

  private close(id: MirrorId): void {
    const hosted = this.hosted.get(id);
    if (!hosted) return;
    this.hosted.delete(id);
    clearTimeout(hosted.quiet);
    hosted.mirror.dispose();
  }
}
