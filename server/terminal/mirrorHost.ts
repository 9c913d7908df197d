// MirrorHost: a pool of worker threads that hold every room's headless xterm, and RoomMirror, a room's handle on
// its mirror there. The main thread keeps reading ptys and broadcasting; parsing and serializing happen here.
// A worker that dies is replaced and its rooms' mirrors are rebuilt from their last checkpoint plus history.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SnapshotPayload } from '../shared/events.js';
import { Disposable, toDisposable } from '../shared/disposable.js';
import { Emitter } from '../shared/emitter.js';
import type { FromMirrorWorker, MirrorAnswer, MirrorId, MirrorQuery, ToMirrorWorker } from './mirrorProtocol.js';
import type { ScreenDump } from './screenDump.js';
import { log } from '../util/logger.js';

export const MirrorHostLimits = {
  /** The most mirror workers a server starts: each is a thread with its own V8 heap (about 10 MB idle). */
  MaxWorkers: 64,
} as const;

/** Default pool size: every core but the one the main thread reads ptys and serves sockets on, at least one. */
export function defaultMirrorWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** What a room's mirror replays from when it is rebuilt: the room's stream history. */
export type MirrorEvent = { kind: 'output'; data: string } | { kind: 'resize'; cols: number; rows: number };

export interface MirrorHistory {
  /** The oldest offset held. */
  readonly start: number;
  /** Every event from `offset` on, in order; undefined when that offset is no longer held. */
  since(offset: number): MirrorEvent[] | undefined;
}

export interface RoomMirrorOptions {
  cols: number;
  rows: number;
  scrollback: number;
  history: MirrorHistory;
}

type QueryKind = MirrorQuery['type'];
type AnswerOf<K extends QueryKind> = Extract<MirrorAnswer, { type: K }>;

interface Waiter {
  kind: QueryKind;
  resolve(answer: MirrorAnswer): void;
  reject(error: Error): void;
}

export const WorkerRestart = {
  /** A worker that dies this soon after it started counts as failing to start (a crash loop, not a one-off). */
  QuickFailureMs: 5_000,
  /** Delay before restarting after the first quick failure; doubles with each further one... */
  FirstBackoffMs: 100,
  /** ...up to this, so a worker that cannot start costs a log line every half minute, not a busy loop. */
  MaxBackoffMs: 30_000,
} as const;

/**
 * Starts the worker file next to this one. Built, it is plain .js. From source (tests run the .ts files through
 * tsx), a worker thread does not inherit tsx's loader hooks, so a bootstrap registers them first.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./mirrorWorker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./mirrorWorker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

class WorkerSlot extends Disposable {
  worker: Worker;
  readonly mirrors = new Map<MirrorId, RoomMirror>();
  /** Restarts so far, for the log line. */
  restarts = 0;
  /** Answers the current worker owes (see awaitAnswer). */
  private awaited = 0;

  /** A question was asked of this worker: it keeps the process alive until answered (or abandoned). */
  awaitAnswer(): void {
    if (this.awaited++ === 0) this.worker.ref();
  }

  answered(): void {
    if (--this.awaited === 0) this.worker.unref();
  }

  /** Resolves once the current worker has loaded and listens (its threads and descriptors all exist). */
  online: Promise<void> = Promise.resolve();
  /** The delay before the next restart: 0 until the worker fails quickly after a start (see WorkerRestart). */
  private backoffMs = 0;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly index: number) {
    super();
    this.worker = this.start();
    this.register(toDisposable(() => {
      clearTimeout(this.restartTimer);
      // Terminated on purpose: the exit handler sees isDisposed and does not restart.
      void this.worker.terminate();
    }));
  }

  /** Parse work queued here, for placement. */
  get load(): number {
    let backlog = 0;
    for (const mirror of this.mirrors.values()) backlog += mirror.backlog;
    return backlog;
  }

  post(message: ToMirrorWorker): void {
    this.worker.postMessage(message);
  }

  private start(): Worker {
    const worker = startWorker();
    const startedAt = performance.now();
    let markOnline!: () => void;
    this.online = new Promise((resolve) => {
      markOnline = resolve;
      worker.once('exit', () => resolve());
    });
    // An idle pool must never keep the process alive (rooms' ptys and sockets decide that); a worker that
    // owes an answer must, or a caller awaiting it could see the process end under it.
    if (this.awaited === 0) worker.unref();
    worker.on('message', (message: FromMirrorWorker) => {
      if (message.type === 'ready') markOnline();
      else this.mirrors.get(message.mirror)?.receive(message);
    });
    worker.on('error', (error) => {
      log.error({ worker: this.index, error: error.stack ?? String(error) }, `mirror worker ${this.index} failed: ${error.stack ?? String(error)}`);
    });
    worker.on('exit', () => {
      if (this.isDisposed || this.worker !== worker) return;
      this.restarts += 1;
      const quick = performance.now() - startedAt < WorkerRestart.QuickFailureMs;
      this.backoffMs = quick ? Math.min(WorkerRestart.MaxBackoffMs, this.backoffMs === 0 ? WorkerRestart.FirstBackoffMs : this.backoffMs * 2) : 0;
      log.warn({ worker: this.index, backoffMs: this.backoffMs, mirrors: this.mirrors.size, restarts: this.restarts }, `mirror worker ${this.index} stopped; restarting it${this.backoffMs ? ` in ${this.backoffMs} ms` : ''} and rebuilding its ${this.mirrors.size} room mirror(s) (restart ${this.restarts})`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.isDisposed) return;
        this.worker = this.start();
        for (const mirror of this.mirrors.values()) mirror.rebuild();
      }, this.backoffMs);
    });
    return worker;
  }
}

export class MirrorHost extends Disposable {
  private readonly slots: WorkerSlot[] = [];
  private nextId = 1;
  private readonly snapshotEmitter = this.register(new Emitter<number>());
  /** A snapshot asked of a mirror came back, after this many seconds (queueing behind its parse work included). */
  readonly onSnapshotTaken = this.snapshotEmitter.event;

  constructor(workers: number = defaultMirrorWorkers()) {
    super();
    const count = Math.min(MirrorHostLimits.MaxWorkers, Math.max(1, Math.floor(workers)));
    for (let i = 0; i < count; i++) this.slots.push(this.register(new WorkerSlot(i)));
  }

  /** Resolves once every worker runs (tests that count the process's descriptors start from there). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.online));
  }

  /** A new room's mirror, on the worker with the fewest rooms (the least parse backlog among equals). */
  open(options: RoomMirrorOptions): RoomMirror {
    if (this.isDisposed) throw new Error('the mirror host is disposed');
    let slot = this.slots[0]!;
    for (const candidate of this.slots) {
      if (candidate.mirrors.size < slot.mirrors.size || (candidate.mirrors.size === slot.mirrors.size && candidate.load < slot.load)) slot = candidate;
    }
    return new RoomMirror(slot, this.nextId++, options, (seconds) => this.snapshotEmitter.fire(seconds));
  }

  /** Each worker's parse backlog, in code units written and not yet reported parsed (by worker index). */
  workerBacklogs(): number[] {
    return this.slots.map((slot) => slot.load);
  }

  /** Ends a worker as a crash would (tests: the host must rebuild its mirrors). */
  killWorker(index: number): Promise<number> {
    return this.slots[index]!.worker.terminate();
  }

  /** The worker a mirror lives on, for tests that kill it. */
  workerOf(mirror: RoomMirror): number {
    return mirror.slot.index;
  }
}

/**
 * One room's mirror in the host. Writes and resizes go out in stream order; queries come back as promises.
 * The parsed offset arrives with progress reports, so `backlog` may overstate the worker's queue a little.
 */
export class RoomMirror extends Disposable {
  private written = 0;
  private parsed = 0;
  private colsValue: number;
  private rowsValue: number;
  private nextRequest = 1;
  private readonly waiters = new Map<number, Waiter>();
  /** The newest checkpoint of each kind: what a rebuild starts from. */
  private lastFull: SnapshotPayload | undefined;
  private lastScreen: SnapshotPayload | undefined;

  private readonly progressEmitter = this.register(new Emitter<number>());
  /** The parsed offset moved (pacing: resume the pty once the backlog is low). */
  readonly onProgress = this.progressEmitter.event;
  private readonly replyEmitter = this.register(new Emitter<string>());
  /** Answers to terminal queries found in the output: the room's one responder, for the pty. */
  readonly onReply = this.replyEmitter.event;
  private readonly parseErrorEmitter = this.register(new Emitter<string>());
  readonly onParseError = this.parseErrorEmitter.event;
  private readonly checkpointEmitter = this.register(new Emitter<SnapshotPayload>());
  /** A full snapshot the worker took on its own while quiet: good for joiners too. */
  readonly onCheckpoint = this.checkpointEmitter.event;
  private readonly rebuiltEmitter = this.register(new Emitter<{ exact: boolean }>());
  /** The worker died and this mirror was rebuilt on its replacement; `exact` unless history ran short. */
  readonly onRebuilt = this.rebuiltEmitter.event;

  constructor(
    readonly slot: WorkerSlot,
    readonly id: MirrorId,
    private readonly options: RoomMirrorOptions,
    /** Told how long each snapshot took, in seconds (the host's onSnapshotTaken). */
    private readonly snapshotTimed: (seconds: number) => void = () => {},
  ) {
    super();
    this.colsValue = options.cols;
    this.rowsValue = options.rows;
    slot.mirrors.set(id, this);
    slot.post({ type: 'open', mirror: id, cols: options.cols, rows: options.rows, scrollback: options.scrollback });
    this.register(toDisposable(() => {
      slot.mirrors.delete(id);
      if (!slot.isDisposed) slot.post({ type: 'close', mirror: id });
      for (const waiter of this.waiters.values()) {
        slot.answered();
        waiter.reject(new Error('the mirror was closed'));
      }
      this.waiters.clear();
    }));
  }

  get cols(): number {
    return this.colsValue;
  }

  get rows(): number {
    return this.rowsValue;
  }

  /** Everything before this offset is parsed (as last reported). */
  get parsedOffset(): number {
    return this.parsed;
  }

  /** Code units written and not yet reported parsed: what paces the pty. */
  get backlog(): number {
    return this.written - this.parsed;
  }

  write(data: string): void {
    if (this.isDisposed || data.length === 0) return;
    this.written += data.length;
    this.slot.post({ type: 'write', mirror: this.id, data });
  }

  /** Resizes once everything written so far is parsed. */
  resize(cols: number, rows: number): void {
    if (this.isDisposed) return;
    this.colsValue = cols;
    this.rowsValue = rows;
    this.slot.post({ type: 'resize', mirror: this.id, cols, rows });
  }

  /** The screen with scrollback at the parsed offset when the worker gets to it. */
  async snapshot(): Promise<SnapshotPayload> {
    // Measured on the monotonic clock: a duration observed for the metrics, not a time anything waits for.
    const started = performance.now();
    const answer = await this.ask('snapshot');
    this.snapshotTimed((performance.now() - started) / 1000);
    return answer.snapshot;
  }

  async screenText(): Promise<string[]> {
    return (await this.ask('text')).lines;
  }

  async dump(): Promise<ScreenDump> {
    return (await this.ask('dump')).dump;
  }

  /** Resolves with the offset once everything written so far is parsed. */
  async flushed(): Promise<number> {
    return (await this.ask('flush')).offset;
  }

  private ask<K extends QueryKind>(kind: K): Promise<AnswerOf<K>> {
    if (this.isDisposed) return Promise.reject(new Error('the mirror was closed'));
    const request = this.nextRequest++;
    return new Promise<AnswerOf<K>>((resolve, reject) => {
      this.waiters.set(request, { kind, resolve: resolve as (answer: MirrorAnswer) => void, reject });
      this.slot.awaitAnswer();
      this.slot.post({ type: kind, mirror: this.id, request } as MirrorQuery);
    });
  }

  /** A message from the worker about this mirror. */
  receive(message: FromMirrorWorker): void {
    if (this.isDisposed) return;
    switch (message.type) {
      case 'parsed':
        if (message.offset > this.parsed) {
          this.parsed = message.offset;
          this.progressEmitter.fire(message.offset);
        }
        return;
      case 'terminal-reply':
        this.replyEmitter.fire(message.data);
        return;
      case 'parse-error':
        this.parseErrorEmitter.fire(message.message);
        return;
      case 'checkpoint':
        if (message.full) {
          this.lastFull = message.snapshot;
          this.checkpointEmitter.fire(message.snapshot);
        } else {
          this.lastScreen = message.snapshot;
        }
        return;
      case 'reply': {
        const waiter = this.waiters.get(message.request);
        if (!waiter) return;
        this.waiters.delete(message.request);
        this.slot.answered();
        const { answer } = message;
        if (answer.type === 'snapshot') this.noteSnapshot(answer.snapshot);
        if ('offset' in answer && answer.offset > this.parsed) this.parsed = answer.offset;
        waiter.resolve(answer);
        return;
      }
    }
  }

  /** A snapshot asked for is a checkpoint as good as one sent unasked. */
  private noteSnapshot(snapshot: SnapshotPayload): void {
    if (snapshot.offset > this.parsed) this.parsed = snapshot.offset;
    if (!this.lastFull || snapshot.offset >= this.lastFull.offset) this.lastFull = snapshot;
  }

  /**
   * The worker died: open this mirror again on the new one and replay the stream since its base, then ask
   * again what was asked and not answered. The base, best first: the newest full checkpoint the history
   * still reaches; a blank screen when the history reaches back to offset 0; the newest screen-only
   * checkpoint (the scrollback before it is lost); a blank screen at the oldest offset held (the screen is
   * right once the program redraws it). `exact` says whether the first two served.
   */
  rebuild(): void {
    if (this.isDisposed) return;
    const { history } = this.options;
    const blank = (offset: number): SnapshotPayload => ({ offset, cols: this.colsValue, rows: this.rowsValue, data: new Uint8Array(0) });
    const candidates: Array<[SnapshotPayload | undefined, boolean]> = [
      [this.lastFull, true],
      [history.start === 0 ? blank(0) : undefined, true],
      [this.lastScreen, false],
      [blank(history.start), false],
    ];
    let base: SnapshotPayload | undefined;
    let events: MirrorEvent[] = [];
    let exact = false;
    for (const [candidate, isExact] of candidates) {
      const since = candidate ? history.since(candidate.offset) : undefined;
      if (!candidate || !since) continue;
      [base, events, exact] = [candidate, since, isExact];
      break;
    }
    if (!base) return;
    this.parsed = base.offset;
    this.written = base.offset;
    this.slot.post({ type: 'open', mirror: this.id, cols: base.cols, rows: base.rows, scrollback: this.options.scrollback, restore: base });
    for (const event of events) {
      if (event.kind === 'output') {
        this.written += event.data.length;
        this.slot.post({ type: 'write', mirror: this.id, data: event.data });
      } else {
        this.slot.post({ type: 'resize', mirror: this.id, cols: event.cols, rows: event.rows });
      }
    }
    for (const [request, waiter] of this.waiters) this.slot.post({ type: waiter.kind, mirror: this.id, request } as MirrorQuery);
    this.rebuiltEmitter.fire({ exact });
  }
}
