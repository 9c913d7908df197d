// The performance targets, each checked against the figures of this one run (ttyroom's, and peers' for the ratios).

/** Figures of one run: system → "B1.last-ms-10" → value (absent when n/a). */
export type Results = Map<string, Map<string, number>>;

export interface TargetCheck {
  id: string;
  target: string;
  /** What was measured, as shown in the notes. */
  figure: string;
  /** undefined: not measured in this run (a peer or a size missing), with the reason in `figure`. */
  holds?: boolean;
}

const PEERS_FOR_SPEEDUP = ['wetty', 'ttyd'] as const;
/** B6 "server memory bounded": ttyroom budgets 1 MiB per member plus a snapshot, so two misbehaving viewers may add
 * a few MiB; a generous bound that still catches an unbounded queue of a whole flood. */
const B6_EXTRA_MEMORY_MIB = 32;

const fmt = (value: number | undefined, digits = 1): string => (value === undefined ? 'n/a' : value.toFixed(digits));

/** `fullSize`: the run asked for the full sizes (a smoke run's capacity says nothing about the capacity target). */
export function checkTargets(results: Results, largestViewerCount: number, fullSize: boolean): TargetCheck[] {
  const t = results.get('ttyroom') ?? new Map<string, number>();
  const checks: TargetCheck[] = [];
  const atMost = (id: string, key: string, limit: number, unit: string, target: string): void => {
    const value = t.get(key);
    checks.push({ id, target, figure: `${fmt(value, 2)} ${unit}`, holds: value === undefined ? undefined : value <= limit });
  };
  const atLeast = (id: string, key: string, limit: number, unit: string, target: string): void => {
    const value = t.get(key);
    checks.push({ id, target, figure: `${fmt(value, 2)} ${unit}`, holds: value === undefined ? undefined : value >= limit });
  };

  atLeast('B1', 'B1.mbps-full-1', 20, 'MB/s', '≥ 20 MB/s to one viewer');
  const one = t.get('B1.last-ms-1');
  const many = t.get(`B1.last-ms-${largestViewerCount}`);
  checks.push({
    id: 'B1',
    target: `last of ${largestViewerCount} viewers within 3× the one-viewer time${largestViewerCount < 100 ? ' (full size: 100; this run is smaller)' : ''}`,
    figure: one && many ? `${(many / one).toFixed(2)}×` : 'n/a',
    holds: one && many ? many <= 3 * one : undefined,
  });
  for (const peer of PEERS_FOR_SPEEDUP) {
    const theirs = results.get(peer)?.get(`B1.last-ms-${largestViewerCount}`);
    checks.push({
      id: 'B1',
      target: `${largestViewerCount} viewers ≥ 3× sooner than ${peer}`,
      figure: theirs && many ? `${(theirs / many).toFixed(2)}× sooner` : `n/a (${peer} not measured in this run)`,
      holds: theirs && many ? theirs >= 3 * many : undefined,
    });
  }
  atMost('B2', 'B2.idle-p50', 1.5, 'ms', 'echo p50 ≤ 1.5 ms idle');
  atMost('B2', 'B2.idle-p99', 5, 'ms', 'echo p99 ≤ 5 ms idle');
  atMost('B2', 'B2.flood-p99', 10, 'ms', 'echo p99 ≤ 10 ms while another room floods');
  atMost('B2b', 'B2b.p99', 250, 'ms', 'prompt back on all 10 viewers ≤ 250 ms at p99');
  atMost('B3', 'B3.join-p50', 50, 'ms', 'late join p50 ≤ 50 ms');
  atMost('B3', 'B3.join-p99', 150, 'ms', 'late join p99 ≤ 150 ms');
  atMost('B3', 'B3.burst-echo-p99', 20, 'ms', 'bursts of 20 joiners keep other rooms\' echo p99 ≤ 20 ms');
  atMost('B4', 'B4.room-mib', 16, 'MiB', '≤ 16 MB per room with full scrollback');
  atMost('B4', 'B4.viewer-kib', 40, 'KiB', '≤ 40 KB per idle viewer');
  const rooms = t.get('B5.rooms');
  const viewers = t.get('B5.viewers');
  const p99 = t.get('B5.echo-p99');
  checks.push({
    id: 'B5',
    target: '≥ 1 000 rooms with 5 000 viewers, echo p99 ≤ 10 ms at that load',
    figure: `${fmt(rooms, 0)} rooms, ${fmt(viewers, 0)} viewers, echo p99 ${fmt(p99, 2)} ms`,
    // A smoke run asks for fewer rooms than the target: reaching its own size shows nothing about the target's.
    holds: rooms === undefined || viewers === undefined || p99 === undefined ? undefined
      : !(rooms >= 1000 && viewers >= 5000) && !fullSize ? undefined : rooms >= 1000 && viewers >= 5000 && p99 <= 10,
  });
  atMost('B6', 'B6.ratio', 1.1, '×', 'healthy viewers within 1.1× of their normal time');
  const normal = t.get('B6.rss-normal');
  const mixed = t.get('B6.rss-mixed');
  checks.push({
    id: 'B6',
    target: `server memory bounded (peak within ${B6_EXTRA_MEMORY_MIB} MiB of the normal run's)`,
    figure: normal !== undefined && mixed !== undefined ? `${fmt(normal, 0)} → ${fmt(mixed, 0)} MiB` : 'n/a',
    holds: normal !== undefined && mixed !== undefined ? mixed - normal <= B6_EXTRA_MEMORY_MIB : undefined,
  });
  atLeast('B6', 'B6.slow-screen', 1, '', 'the slow viewer ends with the right screen');
  return checks;
}
