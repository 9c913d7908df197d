// The scale-out section of bench/RESULTS.md from one run's figures (bench/scaleOut.ts measures them).

export interface Echo {
  p50: number;
  p99: number;
}

/** One run: its sizes, and what it measured (ms). */
export interface ScaleOutFigures {
  floodMegabytes: number;
  viewers: number;
  echoProbes: number;
  echoGapMs: number;
  oneNode: number;
  oneOfTwo: number;
  split: number;
  echoOneNode: Echo;
  echoOwner: Echo;
  echoRelayed: Echo;
}

function echoCell(echo: Echo): string {
  return `p50 ${echo.p50.toFixed(2)} ms, p99 ${echo.p99.toFixed(2)} ms`;
}

/** The section of bench/RESULTS.md: how it was run, on what, the table, and what it says in ratios and differences. */
export function renderScaleOut(figures: ScaleOutFigures, run: { when: string; machine: readonly string[] }): string {
  const f = figures;
  return [
    '## Scale-out on Redis (issue 15)',
    '',
    `Run on ${run.when} with \`node --import tsx bench/scaleOut.ts\` (${f.floodMegabytes} MB, ${f.viewers} light viewers, ${f.echoProbes} echo`,
    `probes ${f.echoGapMs} ms apart), one run, on:`,
    '',
    ...run.machine.map((line) => `- ${line}`),
    '',
    'Both nodes, Redis and the load generator share that machine\'s cores, so this shows what Redis and the relay cost,',
    'not what a second machine gains: on separate machines each node\'s fan-out would have its own CPU.',
    '',
    '| scale-out | figure |',
    '|---|---|',
    `| ${f.viewers} light viewers, ${f.floodMegabytes} MB, one node (no Redis) | ${f.oneNode.toFixed(0)} ms |`,
    `| ${f.viewers} light viewers, ${f.floodMegabytes} MB, one node of two (all viewers on the room's node, --redis) | ${f.oneOfTwo.toFixed(0)} ms |`,
    `| ${f.viewers} light viewers, ${f.floodMegabytes} MB, split over two nodes (--redis) | ${f.split.toFixed(0)} ms (${(f.split / f.oneNode).toFixed(2)}× one node) |`,
    `| echo, writer on the room's node (no Redis) | ${echoCell(f.echoOneNode)} |`,
    `| echo, writer on the room's node (--redis) | ${echoCell(f.echoOwner)} |`,
    `| echo, writer on the other node (relayed, --redis) | ${echoCell(f.echoRelayed)} |`,
    '',
    `- Publishing every chunk to Redis, all viewers on the room's node: ${(f.oneOfTwo / f.oneNode).toFixed(2)}× the time of one node without Redis.`,
    `- Viewers split over two nodes, each encoding and writing half the frames: ${(f.split / f.oneNode).toFixed(2)}× the time of one node.`,
    `- A writer on the other node (two Redis hops: its input to the room's node, the echo back through the adapter): echo p50`,
    `  ${(f.echoRelayed.p50 - f.echoOwner.p50).toFixed(2)} ms and p99 ${(f.echoRelayed.p99 - f.echoOwner.p99).toFixed(2)} ms more than a writer on the room's node.`,
    '',
  ].join('\n');
}
