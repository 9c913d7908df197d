// Runs the built `ttyroom` command as a child process, for tests that signal or kill the server itself.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CreatedRoom } from '../../server/shared/events.js';
import { waitFor } from './wait.js';

export const BIN = fileURLToPath(new URL('../../bin/ttyroom.js', import.meta.url));
/** The test shell as a --command value (see TEST_SHELL). */
export const TEST_SHELL_LINE = 'bash --noprofile --norc';

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  /** `http://127.0.0.1:PORT`, read from the first stdout line. */
  url: string;
  stdoutLines(): string[];
  stderr(): string;
  /** Resolves with the exit status (or the signal that ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  waitForStdoutLines(count: number, timeoutMs?: number): Promise<string[]>;
  /** SIGKILL if it still runs; for `finally` blocks. */
  stop(): void;
}

/** Starts `node bin/ttyroom.js ...args` and waits for the `http://…` in its first stdout line. */
export async function startServerProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const lines = (): string[] => stdout.split('\n').slice(0, -1);
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  try {
    await waitFor(() => lines().length > 0 || gone, 'the server to print its first line', 15_000);
  } catch (error) {
    stop();
    throw error;
  }
  const match = /^ttyroom listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(lines()[0] ?? '');
  if (!match) {
    stop();
    throw new Error(`the first stdout line is not the server line: ${JSON.stringify(lines()[0])}; stderr: ${stderr}`);
  }
  return {
    child,
    url: match[1]!,
    stdoutLines: lines,
    stderr: () => stderr,
    exited,
    async waitForStderr(pattern, timeoutMs = 10_000) {
      await waitFor(() => pattern.test(stderr), `stderr to match ${pattern}`, timeoutMs);
    },
    async waitForStdoutLines(count, timeoutMs = 10_000) {
      await waitFor(() => lines().length >= count, `${count} stdout lines`, timeoutMs);
      return lines();
    },
    stop,
  };
}

export async function createRoomAt(url: string, body: Record<string, unknown> = {}): Promise<CreatedRoom> {
  const response = await fetch(`${url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`create room: ${response.status} ${await response.text()}`);
  return (await response.json()) as CreatedRoom;
}

function statusField(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) * 1024;
}

/** A process's resident memory now, and its peak so far (VmHWM), in bytes. */
export function processMemory(pid: number): { rss: number; peak: number } {
  return { rss: statusField(pid, 'VmRSS'), peak: statusField(pid, 'VmHWM') };
}
