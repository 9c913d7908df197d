// Scale-out test nodes: `ttyroom serve --redis` processes on loopback with their own data folders, and what the tests ask of them.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoomSummary } from '../../server/shared/events.js';
import { startServerProcess, TEST_SHELL_LINE, type ServerProcess } from './serverProcess.js';
import { after, before } from 'node:test';
import { startRedis, type TestRedis } from './redis.js';

/**
 * The directory's expiry for the scale-out tests (s): short, so a killed node is noticed quickly; long enough
 * that a node busy with a flood on a loaded machine never misses a renewal.
 */
export const TEST_EXPIRY_SECONDS = 3;

export interface ClusterNode {
  process: ServerProcess;
  url: string;
  dataDir: string;
}

export async function startNode(redis: TestRedis, extra: string[] = []): Promise<ClusterNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-scale-'));
  const process = await startServerProcess(['serve', '--port', '0', '--data-dir', dataDir, '--command', TEST_SHELL_LINE, '--redis', redis.url, '--redis-expiry', String(TEST_EXPIRY_SECONDS), '--metrics-allow', 'loopback', ...extra]);
  return { process, url: process.url, dataDir };
}

export function stopNode(node: ClusterNode): void {
  node.process.stop();
  rmSync(node.dataDir, { recursive: true, force: true });
}

/** GET /api/rooms at `url`: the rooms that node lists (its own and the other nodes' listed ones). */
export async function roomsAt(url: string): Promise<RoomSummary[]> {
  const response = await fetch(`${url}/api/rooms`);
  assert.equal(response.status, 200);
  return (await response.json()) as RoomSummary[];
}

/** What a suite of two nodes holds; read inside its tests (set up by `before`). */
export interface TwoNodes {
  readonly redis: TestRedis;
  readonly a: ClusterNode;
  readonly b: ClusterNode;
  /** Closes `member` when the suite ends. */
  track<T extends { close(): void }>(member: T): T;
}

/**
 * Registers a suite's `before` and `after`: a real redis-server and two nodes on it, and at the end every
 * tracked member closed, both nodes stopped (SIGKILL, which also ends a node a test stopped with SIGSTOP) and
 * Redis stopped.
 */
export function twoNodesPerSuite(extra: string[] = []): TwoNodes {
  let redis: TestRedis | undefined;
  let a: ClusterNode | undefined;
  let b: ClusterNode | undefined;
  const members: Array<{ close(): void }> = [];
  before(async () => {
    redis = await startRedis();
    a = await startNode(redis, extra);
    b = await startNode(redis, extra);
  });
  after(async () => {
    for (const member of members) member.close();
    if (a) stopNode(a);
    if (b) stopNode(b);
    await redis?.stop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the two nodes are read before the suite started them');
    return value;
  };
  return {
    get redis() {
      return ready(redis);
    },
    get a() {
      return ready(a);
    },
    get b() {
      return ready(b);
    },
    track(member) {
      members.push(member);
      return member;
    },
  };
}
