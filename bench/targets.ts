// The performance targets, each checked against the figures of this one run (ttyroom's, and peers' for the ratios).

import { median } from './scenarios/common.js';

/** Medians of one run: system → "B1.last-ms-10" → value (absent when n/a). */
export type Results = Map<string, Map<string, number>>;
/** Every repetition's value behind a median: system → "B1.last-ms-10" → values, in the order they ran. */
export type Samples = Map<string, Map<string, number[]>>;

export interface TargetCheck {
  id: string;
  target: string;
  /** What was measured, as shown in the notes. */
  figure: string;
  /** undefined: not measured in this run (a peer or a size missing), with the reason in `figure`. */
  holds?: boolean;
}

/** Issue 10's bounds, each in the unit its name ends with (× is a ratio of ttyroom's figure to a peer's, same run). */
export const Targets = {
  /** B1, one viewer: ttyroom's time at most this many times ttyd's (ttyd runs the program in its own pty). */
  oneViewerVsTtydX: 1.25,
  /** B1, one viewer: never slower than ttyd sharing a tmux session (which keeps a server-side screen too). */
  oneViewerVsTtydTmuxX: 1,
  /** B1, ten viewers each receiving the whole stream, against ttyd+tmux (whose clients get tmux's redraws). */
  tenViewersVsTtydTmuxX: 0.75,
  /** The viewer count of the ten-viewer target. */
  tenViewers: 10,
  /** B2, echo p50 when idle, against ttyd's. */
  echoIdleP50VsTtydX: 1.3,
  echoIdleP99Ms: 2,
  echoFloodP99Ms: 5,
  /** B3, late join to a room with 10 000 lines of scrollback. */
  lateJoinP99Ms: 60,
  /** B3, another room's echo while bursts of 20 join. */
  burstEchoP99Ms: 5,
  /** B4: a full 10 000 × 80 scrollback room, and one idle viewer. */
  roomMiB: 16,
  idleViewerKiB: 40,
  /** B5: rooms and viewers held at once, with the echo p99 at that load. */
  capacityRooms: 1000,
  capacityViewers: 5000,
  capacityEchoP99Ms: 10,
} as const;

const fmt = (value: number | undefined, digits = 2): string => (value === undefined ? 'n/a' : value.toFixed(digits));
/** Three significant figures at most, as the table shows them. */
const short = (value: number): string => value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);

/**
 * `fullSize`: the run asked for the full sizes (a smoke run's capacity says nothing about the capacity target).
 * Ratios compare medians; with several repetitions the line also gives each repetition's own ratio.
 */
export function checkTargets(results: Results, samples: Samples, fullSize: boolean): TargetCheck[] {
  const t = results.get('ttyroom') ?? new Map<string, number>();
  const checks: TargetCheck[] = [];

  const atMost = (id: string, key: string, limit: number, unit: string, target: string): void => {
    const value = t.get(key);
    checks.push({ id, target, figure: value === undefined ? 'n/a (not measured in this run)' : `${fmt(value)} ${unit}`, holds: value === undefined ? undefined : value <= limit });
  };

  /**
   * ttyroom's `key` against `peer`'s, within this run: holds when ours ≤ `limit` × theirs. With repetitions (each
   * measured ttyroom and the peer back to back) the ratio is the median of the repetitions' own ratios, so a slow
   * spell of a shared machine that hit one repetition does not pair one system's good run with the other's bad one.
   */
  const ratioAtMost = (id: string, key: string, peer: string, limit: number, target: string, unit: string): void => {
    const ours = t.get(key);
    const theirs = results.get(peer)?.get(key);
    if (ours === undefined || theirs === undefined || theirs <= 0) {
      const missing = ours === undefined ? 'ttyroom' : peer;
      checks.push({ id, target, figure: `n/a (${missing} not measured in this run)` });
      return;
    }
    const ourRuns = samples.get('ttyroom')?.get(key) ?? [];
    const theirRuns = samples.get(peer)?.get(key) ?? [];
    const paired = ourRuns.length > 1 && ourRuns.length === theirRuns.length;
    const ratios = paired ? ourRuns.map((value, i) => value / theirRuns[i]!) : [ours / theirs];
    const ratio = median(ratios);
    const detail = paired
      ? `median of the repetitions' ratios ${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')}; medians ${short(ours)} against ${short(theirs)} ${unit}`
      : `${short(ours)} against ${short(theirs)} ${unit}`;
    checks.push({ id, target, figure: `${ratio.toFixed(2)}× (${detail})`, holds: ratio <= limit });
  };

  ratioAtMost('B1', 'B1.last-ms-1', 'ttyd', Targets.oneViewerVsTtydX,
    `one viewer: time ≤ ${Targets.oneViewerVsTtydX}× ttyd's`, 'ms');
  ratioAtMost('B1', 'B1.last-ms-1', 'ttyd+tmux', Targets.oneViewerVsTtydTmuxX,
    'one viewer: never slower than ttyd+tmux', 'ms');
  ratioAtMost('B1', `B1.last-ms-${Targets.tenViewers}`, 'ttyd+tmux', Targets.tenViewersVsTtydTmuxX,
    `${Targets.tenViewers} viewers, each receiving the whole stream: time ≤ ${Targets.tenViewersVsTtydTmuxX}× ttyd+tmux's`, 'ms');
  ratioAtMost('B2', 'B2.idle-p50', 'ttyd', Targets.echoIdleP50VsTtydX,
    `echo p50, idle, ≤ ${Targets.echoIdleP50VsTtydX}× ttyd's`, 'ms');
  atMost('B2', 'B2.idle-p99', Targets.echoIdleP99Ms, 'ms', `echo p99, idle, ≤ ${Targets.echoIdleP99Ms} ms`);
  atMost('B2', 'B2.flood-p99', Targets.echoFloodP99Ms, 'ms', `echo p99 ≤ ${Targets.echoFloodP99Ms} ms while another room floods`);
  atMost('B3', 'B3.join-p99', Targets.lateJoinP99Ms, 'ms', `late join with 10 000 lines, p99 ≤ ${Targets.lateJoinP99Ms} ms`);
  atMost('B3', 'B3.burst-echo-p99', Targets.burstEchoP99Ms, 'ms',
    `during bursts of 20 joiners another room's echo p99 ≤ ${Targets.burstEchoP99Ms} ms`);
  atMost('B4', 'B4.room-mib', Targets.roomMiB, 'MiB', `≤ ${Targets.roomMiB} MiB per room with full scrollback`);
  atMost('B4', 'B4.viewer-kib', Targets.idleViewerKiB, 'KiB', `≤ ${Targets.idleViewerKiB} KiB per idle viewer`);
  const rooms = t.get('B5.rooms');
  const viewers = t.get('B5.viewers');
  const p99 = t.get('B5.echo-p99');
  const reached = rooms !== undefined && viewers !== undefined && rooms >= Targets.capacityRooms && viewers >= Targets.capacityViewers;
  checks.push({
    id: 'B5',
    target: `${Targets.capacityRooms} rooms with ${Targets.capacityViewers} viewers, echo p99 ≤ ${Targets.capacityEchoP99Ms} ms at that load`,
    figure: rooms === undefined ? 'n/a (not measured in this run)' : `${fmt(rooms, 0)} rooms, ${fmt(viewers, 0)} viewers, echo p99 ${fmt(p99)} ms`,
    // A smoke run asks for fewer rooms than the target: reaching its own size shows nothing about the target's.
    holds: rooms === undefined || viewers === undefined || p99 === undefined ? undefined
      : !reached && !fullSize ? undefined : reached && p99 <= Targets.capacityEchoP99Ms,
  });
  return checks;
}
