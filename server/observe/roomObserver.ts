// RoomObserver: the collector behind /metrics. It moves the families by watching what already happens — rooms
// created and their accepted input, each room's broadcasts (output, member lists, telemetry), what each member's
// port is sent, refused input, the mirrors' snapshots — and never looks at what was typed or who typed it.

import type { MemberInfo, OutputPayload, SnapshotPayload, TelemetryPayload } from '../shared/events.js';
import { Disposable } from '../shared/disposable.js';
import type { MemberPort, RoomTransport } from '../rooms/ports.js';
import type { RoomRegistry } from '../rooms/roomRegistry.js';
import { TelemetryPacing } from '../rooms/roomTelemetry.js';
import type { ConnectionObserver, InputRefusal } from '../realtime/roomConnection.js';
import type { MirrorHost } from '../terminal/mirrorHost.js';
import type { Clock } from '../util/clock.js';
import { MEMBER_ROLES, ServerMetrics } from './metrics.js';

export const MetricsLimits = {
  /**
   * Rooms with per-room telemetry series at once: each sampled room is three series, and a scrape of a server with
   * thousands of rooms must stay small. Beyond it, the rooms sampled first keep theirs; the rest are counted.
   */
  MaxTelemetryRooms: 100,
  /**
   * A room's telemetry is exported while its last sample is at most this many sample intervals old: samples stop
   * when nobody watches the room, and its series go with them.
   */
  TelemetryFreshIntervals: 2,
} as const;

interface RoomState {
  /** Members' ports now in the room's live broadcast: the broadcast reaches this many. */
  readonly live: Set<MemberPort>;
  /** The last member list the room sent. */
  members: readonly MemberInfo[];
  /** The last telemetry sample the room sent, and when (on the app's clock). */
  telemetry: { sample: TelemetryPayload; at: number } | undefined;
  /** When the oldest input not yet followed by output was accepted (monotonic ms), if any. */
  echoSince: number | undefined;
}

export interface RoomObserverOptions {
  rooms: RoomRegistry;
  mirrors: MirrorHost;
  /** The rooms' clock: telemetry samples are timed on it. */
  clock: Clock;
  /** Monotonic milliseconds for the echo latency (default performance.now): a measurement, not a timer. */
  monotonicMs?: () => number;
  /** Scale-out (--redis): whether this node's Redis link is up, and members relayed to or from other nodes. */
  cluster?: ClusterState;
}

/** What the metrics read of the scale-out (server/cluster/); observe does not import it. */
export interface ClusterState {
  redisUp(): boolean;
  relayed(): { outgoing: number; incoming: number };
  /** REST requests for other nodes' rooms this node forwarded since it started: answered there, or not reachable. */
  forwarded(): { answered: number; unavailable: number };
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export class RoomObserver extends Disposable implements ConnectionObserver {
  readonly metrics: ServerMetrics;
  private readonly states = new Map<string, RoomState>();
  private readonly monotonicMs: () => number;

  constructor(private readonly options: RoomObserverOptions) {
    super();
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    const { rooms, mirrors } = options;
    this.metrics = new ServerMetrics({
      roomsOpen: () => rooms.list().filter((room) => room.exited === undefined).length,
      membersByRole: () => this.membersByRole(),
      membersWaiting: () => this.listedStates().reduce((sum, [, state]) => sum + state.members.filter((member) => member.state === 'waiting').length, 0),
      mirrorBacklogs: () => mirrors.workerBacklogs(),
      roomTelemetry: () => this.roomTelemetry(),
      ...(options.cluster ? { cluster: options.cluster } : {}),
    });
    this.register(rooms.onRoomCreated((room) => {
      // Rooms are never told they are forgotten; the creation of another is a good time to drop them.
      this.prune();
      const state = this.stateOf(room.id);
      // Only the time is kept: never the data, nor who typed it.
      room.onInput(() => {
        state.echoSince ??= this.monotonicMs();
      });
    }));
    this.register(mirrors.onSnapshotTaken((seconds) => this.metrics.snapshotSeconds.observe(seconds)));
  }

  /** A room's broadcast channels, watched: output (bytes per live member, the echo's end), member lists, telemetry. */
  transport(roomId: string, inner: RoomTransport): RoomTransport {
    const state = this.stateOf(roomId);
    return {
      live: {
        send: (event, ...args) => {
          if (event === 'term:output') {
            const { data } = args[0] as OutputPayload;
            if (state.live.size > 0) this.metrics.sentBytes.inc({ kind: 'output' }, utf8Bytes(data) * state.live.size);
            if (state.echoSince !== undefined) {
              this.metrics.echoSeconds.observe((this.monotonicMs() - state.echoSince) / 1000);
              state.echoSince = undefined;
            }
          }
          inner.live.send(event, ...args);
        },
      },
      everyone: {
        send: (event, ...args) => {
          if (event === 'room:members') state.members = args[0] as MemberInfo[];
          else if (event === 'room:telemetry') state.telemetry = { sample: args[0] as TelemetryPayload, at: this.options.clock.now() };
          inner.everyone.send(event, ...args);
        },
      },
    };
  }

  /** A member's port, watched: snapshots, catch-up output, cut-offs and resyncs, and whether it is in the live broadcast. */
  memberPort(roomId: string, port: MemberPort): MemberPort {
    const state = this.stateOf(roomId);
    let behind = false;
    const watched: MemberPort = {
      send: (event, ...args) => {
        if (event === 'term:snapshot') {
          this.metrics.snapshotsSent.inc();
          this.metrics.sentBytes.inc({ kind: 'snapshot' }, (args[0] as SnapshotPayload).data.byteLength);
          // A cut-off member's next snapshot is its resync (FanOut.restart).
          if (behind) this.metrics.resyncs.inc();
          behind = false;
        } else if (event === 'term:output') {
          this.metrics.sentBytes.inc({ kind: 'output' }, utf8Bytes((args[0] as OutputPayload).data));
        } else if (event === 'term:behind') {
          this.metrics.cutOffs.inc();
          behind = true;
        }
        port.send(event, ...args);
      },
      setLive: (live) => {
        if (live) state.live.add(watched);
        else state.live.delete(watched);
        port.setLive(live);
      },
      setPresent: (present) => port.setPresent(present),
      backlog: () => port.backlog(),
      close: () => port.close(),
    };
    return watched;
  }

  inputRefused(reason: InputRefusal): void {
    this.metrics.inputRefused.inc({ reason });
  }

  private stateOf(roomId: string): RoomState {
    let state = this.states.get(roomId);
    if (!state) {
      state = { live: new Set(), members: [], telemetry: undefined, echoSince: undefined };
      this.states.set(roomId, state);
    }
    return state;
  }

  /** Forgets rooms the registry no longer lists. */
  private prune(): void {
    for (const roomId of this.states.keys()) if (!this.options.rooms.get(roomId)) this.states.delete(roomId);
  }

  private listedStates(): Array<[string, RoomState]> {
    this.prune();
    return [...this.states];
  }

  private membersByRole(): Record<(typeof MEMBER_ROLES)[number], number> {
    const counts = { owner: 0, writer: 0, viewer: 0 };
    for (const [, state] of this.listedStates()) {
      for (const member of state.members) if (member.state !== 'waiting') counts[member.role] += 1;
    }
    return counts;
  }

  private roomTelemetry(): { rooms: Array<{ room: string; cpuRatio: number; memoryBytes: number; processes: number }>; omitted: number } {
    const freshSince = this.options.clock.now() - MetricsLimits.TelemetryFreshIntervals * TelemetryPacing.IntervalMs;
    const sampled: Array<{ room: string; cpuRatio: number; memoryBytes: number; processes: number }> = [];
    let omitted = 0;
    for (const [roomId, state] of this.listedStates()) {
      const { telemetry } = state;
      if (!telemetry || telemetry.at < freshSince || this.options.rooms.get(roomId)?.exited !== undefined) continue;
      if (sampled.length >= MetricsLimits.MaxTelemetryRooms) {
        omitted += 1;
        continue;
      }
      const { cpuPercent, memoryBytes, processes } = telemetry.sample;
      sampled.push({ room: roomId, cpuRatio: cpuPercent / 100, memoryBytes, processes });
    }
    return { rooms: sampled, omitted };
  }
}
