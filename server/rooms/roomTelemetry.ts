// RoomTelemetry: samples the room's process session on the room's clock while at least one admitted member watches.

import { Disposable, type IDisposable } from '../shared/disposable.js';
import type { TelemetryPayload } from '../shared/events.js';
import type { TelemetrySample } from '../terminal/processTelemetry.js';
import type { Clock } from '../util/clock.js';

export const TelemetryPacing = {
  /**
   * ms between samples while someone watches: one /proc scan (a read of every pid's stat) per room each time,
   * often enough to see a build or a runaway loop start, rare enough to cost nothing next to the stream.
   */
  IntervalMs: 5_000,
  /** cpuPercent is rounded to this many decimals: tick counts (10 ms each) are not more precise over 5 s. */
  CpuDecimals: 1,
} as const;

/** What is sampled: undefined once there is nothing (left) to read. */
export interface TelemetrySource {
  sample(): TelemetrySample | undefined;
}

export class RoomTelemetry extends Disposable {
  private timer: IDisposable | undefined;
  private stopped = false;

  /** `source` undefined: no /proc on this system (or no local process), so nothing is ever sampled. */
  constructor(
    private readonly clock: Clock,
    private readonly source: TelemetrySource | undefined,
    private readonly send: (payload: TelemetryPayload) => void,
  ) {
    super();
    this.register({ dispose: () => this.disarm() });
  }

  /** Starts sampling when someone watches, stops when nobody does. */
  watch(watching: boolean): void {
    if (!watching) return this.disarm();
    if (this.timer || this.stopped || this.isDisposed || !this.source) return;
    // The first sample is the baseline CPU is measured from: it is not sent, the next one is.
    if (!this.source.sample()) return this.stop();
    this.arm();
  }

  /** For good: the room's process exited. */
  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private arm(): void {
    this.timer = this.clock.setTimer(TelemetryPacing.IntervalMs, () => this.tick());
  }

  private disarm(): void {
    this.timer?.dispose();
    this.timer = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    const sample = this.source?.sample();
    if (!sample) return this.stop();
    const scale = 10 ** TelemetryPacing.CpuDecimals;
    this.send({
      at: new Date(sample.at).toISOString(),
      cpuPercent: Math.round(sample.cpuPercent * scale) / scale,
      memoryBytes: sample.memoryBytes,
      processes: sample.processes,
    });
    this.arm();
  }
}
