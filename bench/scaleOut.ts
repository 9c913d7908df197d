// Scale-out figures (issue 15): 200 light viewers of one 40 MB stream on one node, then split over two nodes on Redis; echo from a writer on the non-owner node.
// Run: npm run build && node --import tsx bench/scaleOut.ts [MB] [viewers]. Needs /usr/bin/redis-server. At the issue's
// sizes (the defaults) it writes its section of bench/RESULTS.md; other sizes are a trial, printed only.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CreatedRoom, MintedToken } from '../server/shared/events.js';
import { startServerProcess, type ServerProcess } from '../test/helpers/serverProcess.js';
import { REDIS_SERVER, redisMissing, startRedis, type TestRedis } from '../test/helpers/redis.js';
import { joinLightMember } from './ttyroomViewers.js';
import { echo, throughput } from './workloads.js';
import { echoProbes, lastArrival, percentile } from './scenarios/common.js';
import type { Writer } from './system.js';
import { machineLines, RESULTS_FILE, writeScaleOutSection } from './resultsFile.js';
import { renderScaleOut, type Echo, type ScaleOutFigures } from './scaleOutReport.js';

/** The issue's sizes: only a run at these replaces the figures in bench/RESULTS.md. */
const IssueSizes = { FloodMegabytes: 40, Viewers: 200 } as const;

const Sizes = {
  /** The stream every viewer receives (MB), as the issue asks. */
  FloodMegabytes: Number(process.argv[2] ?? IssueSizes.FloodMegabytes),
  /** Light viewers in all, split evenly over the nodes. */
  Viewers: Number(process.argv[3] ?? IssueSizes.Viewers),
  /** Echo probes and the pause between them (ms): a typist, each key waiting for its echo. */
  EchoProbes: 200,
  EchoGapMs: 10,
} as const;

const SERVER_ARGS = [
  'serve', '--host', '127.0.0.1', '--port', '0', '--command', 'env', '--permit-arguments', '--no-record',
  '--max-rooms', '0', '--max-rooms-per-user', '0', '--max-members', '0', '--idle-timeout', '0', '--lifetime', '0',
];

interface Node {
  server: ServerProcess;
  dataDir: string;
}

async function startNode(redis?: TestRedis): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-bench-scale-'));
  const server = await startServerProcess([...SERVER_ARGS, '--data-dir', dataDir, '--cwd', dataDir, ...(redis ? ['--redis', redis.url] : [])]);
  return { server, dataDir };
}

function stopNode(node: Node): void {
  node.server.stop();
  rmSync(node.dataDir, { recursive: true, force: true });
}

async function createRoom(url: string, command: string[]): Promise<CreatedRoom> {
  const response = await fetch(`${url}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cols: 80, rows: 24, args: command }) });
  if (response.status !== 201) throw new Error(`create room: ${response.status} ${await response.text()}`);
  return (await response.json()) as CreatedRoom;
}

/** ms from Enter until the last viewer got the flood's end marker, viewers spread round-robin over `urls`. */
async function fanOut(urls: readonly string[]): Promise<number> {
  const workload = throughput(Sizes.FloodMegabytes * 1024 * 1024);
  const room = await createRoom(urls[0]!, workload.command);
  const writer = await joinLightMember(urls[0]!, room.id, room.writeToken);
  const minted = await fetch(`${urls[0]}/api/rooms/${room.id}/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${room.ownerToken}` }, body: JSON.stringify({ role: 'viewer' }) });
  const viewerToken = ((await minted.json()) as MintedToken).token;
  const viewers: Writer[] = [];
  for (let i = 0; i < Sizes.Viewers; i++) viewers.push(await joinLightMember(urls[i % urls.length]!, room.id, viewerToken));
  const start = performance.now();
  writer.type('\r');
  const ms = await lastArrival(viewers, workload.marker, start);
  await Promise.all([writer, ...viewers].map((member) => member.close()));
  return ms;
}

async function echoFrom(ownerUrl: string, writerUrl: string): Promise<Echo> {
  const workload = echo();
  const room = await createRoom(ownerUrl, workload.command);
  const writer = await joinLightMember(writerUrl, room.id, room.writeToken);
  const latencies = await echoProbes(writer, Sizes.EchoProbes, Sizes.EchoGapMs);
  await writer.close();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function redisVersion(): string {
  try {
    return execFileSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'redis-server version unknown';
  }
}

async function main(): Promise<void> {
  const missing = redisMissing();
  if (missing) throw new Error(missing);
  const one = await startNode();
  let oneNode: number;
  let echoOneNode: Echo;
  try {
    oneNode = await fanOut([one.server.url]);
    echoOneNode = await echoFrom(one.server.url, one.server.url);
  } finally {
    stopNode(one);
  }
  const redis = await startRedis();
  const a = await startNode(redis);
  const b = await startNode(redis);
  let figures: ScaleOutFigures;
  try {
    figures = {
      floodMegabytes: Sizes.FloodMegabytes, viewers: Sizes.Viewers, echoProbes: Sizes.EchoProbes, echoGapMs: Sizes.EchoGapMs,
      oneNode,
      echoOneNode,
      oneOfTwo: await fanOut([a.server.url]),
      split: await fanOut([a.server.url, b.server.url]),
      echoOwner: await echoFrom(a.server.url, a.server.url),
      echoRelayed: await echoFrom(a.server.url, b.server.url),
    };
  } finally {
    stopNode(a);
    stopNode(b);
    await redis.stop();
  }
  const section = renderScaleOut(figures, { when: new Date().toISOString(), machine: [...machineLines(), `Redis: ${redisVersion()}, on loopback`] });
  console.log(section);
  if (Sizes.FloodMegabytes === IssueSizes.FloodMegabytes && Sizes.Viewers === IssueSizes.Viewers) {
    writeScaleOutSection(section);
    console.log(`wrote its section of ${RESULTS_FILE}`);
  } else {
    console.log(`not written to ${RESULTS_FILE}: only a run at the issue's sizes (${IssueSizes.FloodMegabytes} MB, ${IssueSizes.Viewers} viewers) replaces its figures`);
  }
}

await main();
