// Runs `ttyroom serve` as a child process (for tests that measure its memory or signal it), on 127.0.0.1 port 0.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CreatedRoom } from '../../server/protocol/events.js';

const BIN = fileURLToPath(new URL('../../bin/ttyroom.js', import.meta.url));
/** Long enough for a cold start on a busy 2-core machine. */
const START_TIMEOUT_MS = 15_000;

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcessByStdio<null, Readable, Readable>;
  stderr(): string;
  createRoom(body?: Record<string, unknown>): Promise<CreatedRoom>;
  /** Resident memory now, and its peak so far (VmHWM), in bytes. */
  memory(): { rss: number; peak: number };
  /** Ends the process (SIGKILL if it does not exit) and removes its data directory. */
  stop(): Promise<void>;
}

function statusField(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) * 1024;
}

export async function startServerProcess(args: string[] = []): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-proc-'));
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--cwd', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), START_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    child,
    stderr: () => stderr,
    async createRoom(body = {}) {
      const response = await fetch(`${url}/api/rooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 201) throw new Error(`create room: ${response.status} ${await response.text()}`);
      return (await response.json()) as CreatedRoom;
    },
    memory: () => ({ rss: statusField(child.pid!, 'VmRSS'), peak: statusField(child.pid!, 'VmHWM') }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
