// Scale-out figures (issue 15): 200 light viewers of one 40 MB stream on one node, then split over two nodes on Redis; echo from a writer on the non-owner node.
// Run: npm run build && node --import tsx bench/scaleOut.ts [MB] [viewers]. Needs /usr/bin/redis-server.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CreatedRoom, MintedToken } from '../server/shared/events.js';
import { startServerProcess, type ServerProcess } from '../test/helpers/serverProcess.js';
import { redisMissing, startRedis, type TestRedis } from '../test/helpers/redis.js';
import { joinLightMember } from './ttyroomViewers.js';
import { echo, throughput } from './workloads.js';
import { echoProbes, lastArrival, percentile } from './scenarios/common.js';
import type { Writer } from './system.js';

const Sizes = {
  /** The stream every viewer receives (MB), as the issue asks. */
  FloodMegabytes: Number(process.argv[2] ?? 40),
  /** Light viewers in all, split evenly over the nodes. */
  Viewers: Number(process.argv[3] ?? 200),
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

async function echoFrom(ownerUrl: string, writerUrl: string): Promise<{ p50: number; p99: number }> {
  const workload = echo();
  const room = await createRoom(ownerUrl, workload.command);
  const writer = await joinLightMember(writerUrl, room.id, room.writeToken);
  const latencies = await echoProbes(writer, Sizes.EchoProbes, Sizes.EchoGapMs);
  await writer.close();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main(): Promise<void> {
  const missing = redisMissing();
  if (missing) throw new Error(missing);
  const rows: string[] = [];
  const one = await startNode();
  try {
    rows.push(`| ${Sizes.Viewers} light viewers, ${Sizes.FloodMegabytes} MB, one node (no Redis) | ${(await fanOut([one.server.url])).toFixed(0)} ms |`);
    const echoOne = await echoFrom(one.server.url, one.server.url);
    rows.push(`| echo, writer on the room's node (no Redis) | p50 ${echoOne.p50.toFixed(2)} ms, p99 ${echoOne.p99.toFixed(2)} ms |`);
  } finally {
    stopNode(one);
  }
  const redis = await startRedis();
  const a = await startNode(redis);
  const b = await startNode(redis);
  try {
    rows.push(`| ${Sizes.Viewers} light viewers, ${Sizes.FloodMegabytes} MB, one node of two (all viewers on the room's node, --redis) | ${(await fanOut([a.server.url])).toFixed(0)} ms |`);
    rows.push(`| ${Sizes.Viewers} light viewers, ${Sizes.FloodMegabytes} MB, split over two nodes (--redis) | ${(await fanOut([a.server.url, b.server.url])).toFixed(0)} ms |`);
    const echoA = await echoFrom(a.server.url, a.server.url);
    rows.push(`| echo, writer on the room's node (--redis) | p50 ${echoA.p50.toFixed(2)} ms, p99 ${echoA.p99.toFixed(2)} ms |`);
    const echoB = await echoFrom(a.server.url, b.server.url);
    rows.push(`| echo, writer on the other node (relayed, --redis) | p50 ${echoB.p50.toFixed(2)} ms, p99 ${echoB.p99.toFixed(2)} ms |`);
  } finally {
    stopNode(a);
    stopNode(b);
    await redis.stop();
  }
  console.log('| scale-out | figure |\n|---|---|');
  for (const row of rows) console.log(row);
}

await main();
