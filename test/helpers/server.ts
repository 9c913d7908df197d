// Starts a real ttyroom app on 127.0.0.1 port 0 for a test, and tears it down afterwards.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp, type App, type AppOptions } from '../../server/app.js';
import { ConfigDefaults, type ServerConfig } from '../../server/config.js';
import { noAuth } from '../../server/auth/authMode.js';
import type { CreatedRoom } from '../../server/shared/events.js';
import { createRoomAt } from './serverProcess.js';

/** A shell without rc files, so prompts and timing do not depend on the machine's dotfiles. */
export const TEST_SHELL = ['bash', '--noprofile', '--norc'];

export interface TestServer {
  url: string;
  app: App;
  dataDir: string;
  createRoom(body?: Record<string, unknown>): Promise<CreatedRoom>;
  close(): Promise<void>;
}

export async function startServer(
  overrides: Partial<ServerConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<AppOptions, 'env'> = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-test-'));
  const config: ServerConfig = {
    host: '127.0.0.1',
    port: 0,
    command: TEST_SHELL,
    dataDir,
    cwd: dataDir,
    scrollback: 1000,
    exitedRoomTtlMs: 60_000,
    killGraceMs: 500,
    maxRooms: ConfigDefaults.MaxRooms,
    maxRoomsPerUser: ConfigDefaults.MaxRoomsPerUser,
    maxMembers: ConfigDefaults.MaxMembers,
    resumeBufferUnits: ConfigDefaults.ResumeBufferKiB * 1024,
    idleTimeoutMs: ConfigDefaults.IdleTimeoutSeconds * 1000,
    lifetimeMs: ConfigDefaults.LifetimeSeconds * 1000,
    shutdownDeadlineMs: 10_000,
    once: false,
    joinTimeoutMs: 0,
    auth: noAuth(dataDir),
    ...overrides,
  };
  const app = createApp(config, { ...options, env });
  await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
  // Workers start in the background; once they run, the process's threads and descriptors are all there.
  await app.mirrors.ready();
  const { port } = app.httpServer.address() as AddressInfo;
  const url = `${app.scheme}://127.0.0.1:${port}`;
  return {
    url,
    app,
    dataDir,
    createRoom: (body = {}) => createRoomAt(url, body),
    async close() {
      await app.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
