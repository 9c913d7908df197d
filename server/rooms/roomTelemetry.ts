// RoomTelemetry: samples the room's process session on the room's clock while at least one admitted member watches.

import { Disposable, type IDisposable } from '../shared/disposable.js';
import type { TelemetryPayload } from '../shared/events.js';
import type { TelemetrySample } from '../terminal/processTelemetry.js';
import type { TelemetrySource } from '../terminal/terminalSession.js';
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

export type { TelemetrySource };

export class RoomTelemetry extends Disposable {
  private timer: IDisposable | undefined;
  private stopped = false;
  /** Someone watches: a remote sample that comes back after everyone left arms no timer. */
  private watching = false;
  /** A remote sample is on its way: no second one is started meanwhile. */
  private sampling = false;

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
    this.watching = watching;
    if (!watching) return this.disarm();
    if (this.timer || this.sampling || this.stopped || this.isDisposed || !this.source) return;
    // The first sample is the baseline CPU is measured from: it is not sent, the next one is.
    this.take((sample) => {
      if (!sample) return this.stop();
      if (this.watching) this.arm();
    });
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

  /** Runs `use` with the source's sample: at once for a local one, when it arrives for a remote one. */
  private take(use: (sample: TelemetrySample | undefined) => void): void {
    const result = this.source?.sample();
    if (!(result instanceof Promise)) return use(result);
    this.sampling = true;
    result.then((sample) => sample, () => undefined).then((sample) => {
      this.sampling = false;
      if (!this.stopped && !this.isDisposed) use(sample);
    });
  }

  private tick(): void {
    this.timer = undefined;
    this.take((sample) => this.publish(sample));
  }

  private publish(sample: TelemetrySample | undefined): void {
    if (!sample) return this.stop();
    const scale = 10 ** TelemetryPacing.CpuDecimals;
    this.send({
      at: new Date(sample.at).toISOString(),
      cpuPercent: Math.round(sample.cpuPercent * scale) / scale,
      memoryBytes: sample.memoryBytes,
      processes: sample.processes,
    });
    if (this.watching) this.arm();
  }
}
