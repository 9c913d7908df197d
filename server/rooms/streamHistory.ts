// StreamHistory: a bounded ring of the room's most recent stream events (output chunks and resizes, with
// their offsets), so a reconnecting member resumes without a snapshot and a cached snapshot can be caught up.

import type { OutputPayload, ResizeEventPayload } from '../shared/events.js';
import { HistoryDefaults } from '../shared/flowControl.js';

export type StreamEvent =
  | { kind: 'output'; payload: OutputPayload }
  | { kind: 'resize'; payload: ResizeEventPayload };

export class StreamHistory {
  private events: Array<StreamEvent | undefined> = [];
  /** Index of the oldest held event in `events`; slots before it are cleared, and dropped in batches. */
  private head = 0;
  private heldUnits = 0;
  /** The oldest offset a member can resume from: everything from here to `end` is held. */
  private startOffset = 0;
  private endOffset = 0;

  constructor(private readonly capacityUnits: number = HistoryDefaults.CapacityUnits) {}

  get start(): number {
    return this.startOffset;
  }

  get end(): number {
    return this.endOffset;
  }

  pushOutput(payload: OutputPayload): void {
    this.events.push({ kind: 'output', payload });
    this.heldUnits += payload.data.length + HistoryDefaults.EventOverheadUnits;
    this.endOffset = payload.offset + payload.data.length;
    this.evict();
  }

  pushResize(payload: ResizeEventPayload): void {
    this.events.push({ kind: 'resize', payload });
    this.heldUnits += HistoryDefaults.EventOverheadUnits;
    this.evict();
  }

  /**
   * Every event a member that has the stream up to `offset` is missing, in order; the first chunk is cut
   * to start exactly at `offset`. Undefined when that part of the stream is no longer (or not yet) held.
   * A resize at exactly `offset` is included: applying a size twice changes nothing.
   */
  since(offset: number): StreamEvent[] | undefined {
    if (offset < this.startOffset || offset > this.endOffset) return undefined;
    const missing: StreamEvent[] = [];
    for (let i = this.head; i < this.events.length; i++) {
      const event = this.events[i]!;
      if (event.kind === 'resize') {
        if (event.payload.offset >= offset) missing.push(event);
        continue;
      }
      const { offset: chunkStart, data } = event.payload;
      const chunkEnd = chunkStart + data.length;
      if (chunkEnd <= offset) continue;
      if (chunkStart >= offset) missing.push(event);
      else missing.push({ kind: 'output', payload: { offset, data: data.slice(offset - chunkStart) } });
    }
    return missing;
  }

  private evict(): void {
    while (this.heldUnits > this.capacityUnits && this.head < this.events.length) {
      const event = this.events[this.head]!;
      this.events[this.head++] = undefined;
      this.heldUnits -= HistoryDefaults.EventOverheadUnits;
      if (event.kind === 'output') {
        this.heldUnits -= event.payload.data.length;
        this.startOffset = event.payload.offset + event.payload.data.length;
      }
    }
    // Drop cleared slots once they are half the array, so eviction stays O(1) amortized.
    if (this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }
}
