// A real redis-server on a free loopback port for the scale-out tests: started, stopped and restarted by pid, storing nothing.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { waitFor } from './wait.js';
import { freePort } from './freePort.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** Why Redis tests cannot run here, or undefined when they can (for `test(..., { skip })`). */
export function redisMissing(): string | undefined {
  return existsSync(REDIS_SERVER) ? undefined : `${REDIS_SERVER} is not installed (Debian's redis-server; .ci/run installs it)`;
}

export interface TestRedis {
  url: string;
  port: number;
  /** Stops it (SIGKILL by pid: what a crash or a cut network looks like to the nodes). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  log(): string;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const start = async (): Promise<void> => {
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = child;
    let reachable = false;
    await waitFor(async () => {
      if (started.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
      reachable = await accepts(port);
      return reachable;
    }, 'redis-server to accept connections', 10_000);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, log: () => output };
}
