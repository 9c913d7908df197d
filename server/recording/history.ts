// A room's history for rewind: its recording as far as it is on disk, streamed without the typed input (`i` events).

import { createReadStream, statSync } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

/** An input event line as eventLine writes it: `[seconds,"i",…` (JSON.stringify puts no spaces). */
const INPUT_EVENT = /^\[[0-9.e+-]+,"i",/;
/** Enough of a line's start to tell an input event from the rest. */
const LINE_HEAD_BYTES = 32;
const NEWLINE = 0x0a;

/**
 * Drops whole `i` lines and passes every other line through untouched. A line split across chunks is held
 * until its end arrives; an unfinished last line is dropped (it cannot be told from an input event).
 */
export class DropInputEvents extends Transform {
  private partial: Buffer[] = [];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const kept: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      let line = chunk.subarray(start, end + 1);
      if (this.partial.length > 0) {
        line = Buffer.concat([...this.partial, line]);
        this.partial = [];
      }
      if (!isInputEvent(line)) kept.push(line);
      start = end + 1;
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start));
    callback(null, kept.length > 0 ? Buffer.concat(kept) : undefined);
  }

  override _flush(callback: TransformCallback): void {
    this.partial = [];
    callback();
  }
}

function isInputEvent(line: Buffer): boolean {
  return INPUT_EVENT.test(line.subarray(0, LINE_HEAD_BYTES).toString('latin1'));
}

/**
 * The recording at `path` up to its size now, without input events. The caller flushed the recorder first
 * (Recordings.fileOf), and the recorder writes whole lines synchronously on this thread, so that size ends a
 * line; what it writes while this streams is left for the next fetch. Streams: memory stays a chunk or two
 * whatever the file's size.
 */
export function historyStream(path: string): Readable {
  const size = statSync(path).size;
  const source = createReadStream(path, { start: 0, end: Math.max(0, size - 1) });
  const filter = new DropInputEvents();
  source.on('error', (error) => filter.destroy(error));
  return source.pipe(filter);
}
