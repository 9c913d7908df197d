// Scale-out test nodes: `ttyroom serve --redis` processes on loopback with their own data folders, and what the tests ask of them.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoomSummary } from '../../server/shared/events.js';
import { startServerProcess, TEST_SHELL_LINE, type ServerProcess } from './serverProcess.js';
import type { TestRedis } from './redis.js';

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
