// ttyroom as a benchmarked system: the real server in a child process, rooms over REST, members over socket.io;
// recording every room (the default) or with --no-record, so one run measures what recording costs.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CreatedRoom, MintedToken } from '../../server/shared/events.js';
import { descendants } from '../procfs.js';
import type { BenchSystem, Session, Viewer, ViewerKind, Workload } from '../system.js';
import { joinFullMember, joinLightMember } from '../ttyroomViewers.js';

const BIN = fileURLToPath(new URL('../../bin/ttyroom.js', import.meta.url));
const BUILT_ENTRY = fileURLToPath(new URL('../../dist/server/cli/cli.js', import.meta.url));

export const TtyroomBenchLimits = {
  /** How long the server may take to print its listening line. */
  StartTimeoutMs: 15_000,
  /** SIGTERM, then SIGKILL after this: the server's own shutdown deadline is shorter (see SERVER_ARGS). */
  StopTimeoutMs: 10_000,
  /** Joins started at once: enough to keep the server busy, few enough not to time each other out. */
  JoinConcurrency: 50,
  /** Scrollback of a full member's terminal: the server's default, so a late joiner parses the whole snapshot. */
  MemberScrollback: 10_000,
} as const;

/**
 * One server for every session of a run (until dispose), so a scenario's rooms share it as real rooms do: the
 * profile is `env` and `--permit-arguments` lets each room name its workload's argv. Limits that would refuse a
 * capacity run are off; rooms never time out mid-run.
 */
const SERVER_ARGS = [
  'serve', '--host', '127.0.0.1', '--port', '0', '--command', 'env', '--permit-arguments',
  '--max-rooms', '0', '--max-rooms-per-user', '0', '--max-members', '0',
  '--idle-timeout', '0', '--lifetime', '0', '--kill-grace', '1', '--shutdown-deadline', '5',
];

/**
 * Node options for the server process from TTYROOM_BENCH_NODE_ARGS, split at spaces: to profile the server under a
 * scenario, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (the profile is written when dispose() stops the server).
 */
function serverNodeArgs(): string[] {
  return (process.env.TTYROOM_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

interface Server {
  child: ChildProcessWithoutNullStreams;
  url: string;
  dataDir: string;
  exited: Promise<unknown>;
}

/** Recordings go to the data folder, a fresh temporary one per server (deleted with it). */
async function startServer(record: boolean): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ttyroom-bench-'));
  const args = [...SERVER_ARGS, ...(record ? [] : ['--no-record']), '--data-dir', dataDir, '--cwd', dataDir];
  const child = spawn(process.execPath, [...serverNodeArgs(), BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ttyroom did not start within ${TtyroomBenchLimits.StartTimeoutMs} ms: ${stderr}`)), TtyroomBenchLimits.StartTimeoutMs);
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const match = /^ttyroom listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`ttyroom exited at start: ${stderr}`));
    });
  });
  try {
    return { child, url: await started, dataDir, exited };
  } catch (error) {
    // Nobody else holds this server yet: end it and its folder here.
    child.kill('SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function rest<T>(url: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Runs `count` async jobs with at most `limit` in flight. */
export async function inBatches<T>(count: number, limit: number, job: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await job(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}

/** The system's name when the server records no room: its figures divided by ttyroom's are recording's cost. */
export const NO_RECORD_SYSTEM = 'ttyroom-norecord';
/** The scenarios the --no-record server runs: the issue asks for recording's cost on echo and throughput. */
const NO_RECORD_SCENARIOS = ['B1', 'B2'] as const;

export class TtyroomSystem implements BenchSystem {
  readonly name: string;
  readonly sharesTerminal = true;
  readonly scenarios: readonly string[] | undefined;
  private readonly record: boolean;
  private server: Promise<Server> | undefined;
  private readonly sessions = new Set<Session>();

  /** `record: false` starts the server with --no-record (the system is then NO_RECORD_SYSTEM). */
  constructor(options: { record?: boolean } = {}) {
    this.record = options.record ?? true;
    this.name = this.record ? 'ttyroom' : NO_RECORD_SYSTEM;
    this.scenarios = this.record ? undefined : NO_RECORD_SCENARIOS;
  }

  async available(): Promise<true | string> {
    return existsSync(BUILT_ENTRY) ? true : 'not built: run "npm run build"';
  }

  /** The server's pid, once started: for scenarios that measure the server alone (per-room memory). */
  async serverPid(): Promise<number> {
    return (await this.ensureServer()).child.pid!;
  }

  private ensureServer(): Promise<Server> {
    this.server ??= startServer(this.record);
    return this.server;
  }

  async start(workload: Workload, size: { cols: number; rows: number }, writerKind: ViewerKind = 'full'): Promise<Session> {
    const server = await this.ensureServer();
    const room = await rest<CreatedRoom>(server.url, 'POST', '/api/rooms', undefined, { cols: size.cols, rows: size.rows, args: workload.command });
    // The comparison means something only if one server records and the other does not: check the file.
    if (existsSync(join(server.dataDir, 'recordings', `${room.id}.cast`)) !== this.record) {
      throw new Error(`${this.name}: room ${room.id} is ${this.record ? 'not ' : ''}recorded`);
    }
    const viewerToken = (await rest<MintedToken>(server.url, 'POST', `/api/rooms/${room.id}/tokens`, room.ownerToken, { role: 'viewer' })).token;
    const writer = writerKind === 'full'
      ? await joinFullMember(server.url, room.id, room.writeToken, TtyroomBenchLimits.MemberScrollback)
      : await joinLightMember(server.url, room.id, room.writeToken);
    const viewers: Viewer[] = [writer];
    const shellPid = (): number | undefined => {
      try {
        return (JSON.parse(readFileSync(join(server.dataDir, 'processes', `${room.id}.json`), 'utf8')) as { shell: { pid: number } }).shell.pid;
      } catch {
        return undefined; // No record (the room closed, or no /proc): the server process alone is what we can name.
      }
    };
    const session: Session = {
      writer,
      addViewers: async (count: number, kind: ViewerKind) => {
        const added = await inBatches(count, TtyroomBenchLimits.JoinConcurrency, () => kind === 'full'
          ? joinFullMember(server.url, room.id, viewerToken, TtyroomBenchLimits.MemberScrollback)
          : joinLightMember(server.url, room.id, viewerToken));
        viewers.push(...added);
        return added;
      },
      serverPids: () => {
        const shell = shellPid();
        return [server.child.pid!, ...(shell === undefined ? [] : [shell, ...descendants(shell)])];
      },
      close: async () => {
        this.sessions.delete(session);
        await Promise.all(viewers.map((viewer) => viewer.close()));
        await rest(server.url, 'DELETE', `/api/rooms/${room.id}`, room.ownerToken).catch(() => {
          // The server may already be stopping (dispose after a failure): it closes every room itself.
        });
      },
    };
    this.sessions.add(session);
    return session;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sessions].map((session) => session.close().catch(() => undefined)));
    const starting = this.server;
    this.server = undefined;
    if (!starting) return;
    const server = await starting.catch(() => undefined);
    if (!server) return;
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), TtyroomBenchLimits.StopTimeoutMs);
      await server.exited;
      clearTimeout(timer);
    }
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}
