// ServerMetrics: the Prometheus families GET /metrics shows (prom-client, on a registry of this server's own), with
// their names, units, buckets and labels. Who moves them is the collector (roomObserver.ts); this file only defines.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { InputRefusal } from '../realtime/roomConnection.js';

/** Histogram buckets, in seconds. */
export const MetricBuckets = {
  /**
   * A snapshot waits for the worker to parse what it was sent first, then serializes up to the whole scrollback:
   * about a millisecond for a quiet screen, up to seconds behind a flood.
   */
  SnapshotSeconds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  /** An echo is felt as instant under about 20 ms and as lag past about 100 ms; the tail shows a stuck program. */
  EchoSeconds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2.5],
} as const;

/** Labels' values: fixed, small sets (never a token, a name or anything typed). */
export const STREAM_KINDS = ['output', 'snapshot'] as const;
export const MEMBER_ROLES = ['owner', 'writer', 'viewer'] as const;
export const INPUT_REFUSALS: readonly InputRefusal[] = ['malformed', 'not-joined', 'role', 'rate-limited', 'program-not-reading', 'room-ended'];

/** What the families read at scrape time (gauges are computed then, not kept up to date on every change). */
export interface MetricSources {
  roomsOpen(): number;
  membersByRole(): Readonly<Record<(typeof MEMBER_ROLES)[number], number>>;
  membersWaiting(): number;
  mirrorBacklogs(): readonly number[];
  /** Rooms being sampled (at most MetricsLimits.MaxTelemetryRooms), and how many more were left out. */
  roomTelemetry(): { rooms: ReadonlyArray<{ room: string; cpuRatio: number; memoryBytes: number; processes: number }>; omitted: number };
  /** Scale-out (--redis) only: the families below exist only on a node that has Redis. */
  cluster?: {
    redisUp(): boolean;
    relayed(): { outgoing: number; incoming: number };
    forwarded(): { answered: number; unavailable: number };
  };
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly sentBytes: Counter<'kind'>;
  readonly snapshotsSent: Counter;
  readonly snapshotSeconds: Histogram;
  readonly cutOffs: Counter;
  readonly resyncs: Counter;
  readonly inputRefused: Counter<'reason'>;
  readonly echoSeconds: Histogram;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    // process_* and nodejs_* keep their usual names (no ttyroom_ prefix), so the common Node.js dashboards read them;
    // nodejs_eventloop_lag_seconds and its percentiles are the event-loop lag.
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'ttyroom_rooms_open',
      help: 'Rooms whose program is running (exited rooms still listed are not counted).',
      registers,
      collect() {
        this.set(sources.roomsOpen());
      },
    });
    new Gauge({
      name: 'ttyroom_members',
      help: 'Admitted members of every room, by role.',
      labelNames: ['role'],
      registers,
      collect() {
        const counts = sources.membersByRole();
        for (const role of MEMBER_ROLES) this.set({ role }, counts[role]);
      },
    });
    new Gauge({
      name: 'ttyroom_members_waiting',
      help: "Members waiting for an owner's approval.",
      registers,
      collect() {
        this.set(sources.membersWaiting());
      },
    });
    this.sentBytes = new Counter({
      name: 'ttyroom_stream_sent_bytes_total',
      help: 'Terminal stream sent to members, in UTF-8 bytes, counted once per member it reached: output (live and catch-up) and snapshots; not protocol framing or control messages.',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of STREAM_KINDS) this.sentBytes.inc({ kind }, 0);
    this.snapshotsSent = new Counter({
      name: 'ttyroom_snapshots_sent_total',
      help: 'Snapshots sent to members (joins, resyncs after a cut-off, curtain lifts).',
      registers,
    });
    this.snapshotSeconds = new Histogram({
      name: 'ttyroom_snapshot_duration_seconds',
      help: "Time from asking a room's mirror for a snapshot to having it, parse work queued before it included.",
      buckets: [...MetricBuckets.SnapshotSeconds],
      registers,
    });
    this.cutOffs = new Counter({
      name: 'ttyroom_member_cutoffs_total',
      help: 'Members cut off from the live stream for falling too far behind.',
      registers,
    });
    this.resyncs = new Counter({
      name: 'ttyroom_member_resyncs_total',
      help: 'Members given a fresh snapshot after a cut-off, once they had drained.',
      registers,
    });
    this.inputRefused = new Counter({
      name: 'ttyroom_input_refused_total',
      help: "Members' term:input not written to the program, by reason.",
      labelNames: ['reason'],
      registers,
    });
    for (const reason of INPUT_REFUSALS) this.inputRefused.inc({ reason }, 0);
    this.echoSeconds = new Histogram({
      name: 'ttyroom_echo_latency_seconds',
      help: "Time from a member's input being accepted for a room's program to that room's next output reaching the fan-out (docs/architecture.md, Metrics).",
      buckets: [...MetricBuckets.EchoSeconds],
      registers,
    });
    new Gauge({
      name: 'ttyroom_mirror_backlog_code_units',
      help: 'Output sent to a mirror worker and not yet reported parsed, in UTF-16 code units, by worker.',
      labelNames: ['worker'],
      registers,
      collect() {
        sources.mirrorBacklogs().forEach((backlog, worker) => this.set({ worker: String(worker) }, backlog));
      },
    });
    const telemetry = (name: string, help: string, pick: (sample: { cpuRatio: number; memoryBytes: number; processes: number }) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['room'],
        registers,
        collect() {
          // Rebuilt at each scrape: a room no longer sampled leaves no stale series behind.
          this.reset();
          for (const sample of sources.roomTelemetry().rooms) this.set({ room: sample.room }, pick(sample));
        },
      });
    };
    telemetry('ttyroom_room_cpu_ratio', "A sampled room's CPU use, in cores (1 = one core busy), from its last telemetry sample.", (sample) => sample.cpuRatio);
    telemetry('ttyroom_room_memory_bytes', "A sampled room's resident memory, summed over its session's processes.", (sample) => sample.memoryBytes);
    telemetry('ttyroom_room_processes', "A sampled room's live processes.", (sample) => sample.processes);
    new Gauge({
      name: 'ttyroom_room_telemetry_omitted_rooms',
      help: 'Sampled rooms left out of the per-room families because more than their cap were sampled at once.',
      registers,
      collect() {
        this.set(sources.roomTelemetry().omitted);
      },
    });
    const cluster = sources.cluster;
    if (cluster) {
      new Gauge({
        name: 'ttyroom_redis_up',
        help: 'Scale-out: 1 while both Redis connections (commands, subscriptions) are ready, 0 while this node serves only its own rooms.',
        registers,
        collect() {
          this.set(cluster.redisUp() ? 1 : 0);
        },
      });
      new Gauge({
        name: 'ttyroom_relayed_members',
        help: "Scale-out: members relayed between nodes; 'outgoing' are connected here to rooms owned elsewhere, 'incoming' are elsewhere, in rooms owned here.",
        labelNames: ['direction'],
        registers,
        collect() {
          const counts = cluster.relayed();
          this.set({ direction: 'outgoing' }, counts.outgoing);
          this.set({ direction: 'incoming' }, counts.incoming);
        },
      });
      // The forwarder counts for itself (it exists without /metrics); the counter takes what it added since the last scrape.
      const counted = { answered: 0, unavailable: 0 };
      new Counter({
        name: 'ttyroom_forwarded_requests_total',
        help: "Scale-out: REST requests for another node's room sent on to that node; 'answered' there (any status), or 'unavailable' (the node could not be reached: 503 here).",
        labelNames: ['outcome'],
        registers,
        collect() {
          const totals = cluster.forwarded();
          for (const outcome of ['answered', 'unavailable'] as const) {
            if (totals[outcome] > counted[outcome]) this.inc({ outcome }, totals[outcome] - counted[outcome]);
            counted[outcome] = totals[outcome];
          }
        },
      });
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
