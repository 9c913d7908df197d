// The one interface every benchmarked system implements (ttyroom, tmux, wetty+tmux, ttyd, ttyd+tmux), so each scenario runs the same way on all of them.

/** A program for the shared terminal: it ends its work by printing `marker`, then sleeps (never exits at once: node-pty #726). */
export interface Workload {
  /** argv of the program the terminal runs. */
  command: string[];
  /** Printed last, on its own line, once the workload's output is complete. */
  marker: string;
}

export type ViewerKind =
  /** Parses everything like a real client would (a headless xterm, or a tmux client's own terminal). */
  | 'full'
  /** Reads the stream and only scans for markers: for many viewers, so the load generator is not the bottleneck. */
  | 'light';

export interface Viewer {
  /**
   * Resolves with `performance.now()` at the moment `text` first arrived at this viewer (scanned across chunk
   * boundaries); rejects after `timeoutMs`.
   */
  waitFor(text: string, timeoutMs: number): Promise<number>;
  /** Bytes (or UTF-16 code units, say which in the system's file) received so far. */
  received(): number;
  /** Stops reading without closing (a frozen viewer); `resume()` reads again. Optional per system. */
  pause?(): void;
  resume?(): void;
  /**
   * The visible screen's lines once everything received is parsed: 'full' viewers that can say it (B6 checks a slow
   * viewer ends with the writer's screen); systems without it get "not checked".
   */
  screen?(): Promise<string[]>;
  close(): Promise<void>;
}

/** A viewer that may type: keystrokes go to the shared terminal. */
export interface Writer extends Viewer {
  type(data: string): void;
}

export interface Session {
  /** The first member: it may type. */
  writer: Writer;
  addViewers(count: number, kind: ViewerKind): Promise<Viewer[]>;
  /** Processes that make up the system's server side for this session (for RSS and CPU): never the load generator's. */
  serverPids(): number[];
  close(): Promise<void>;
}

export interface BenchSystem {
  name: string;
  /**
   * False when every connection runs its own copy of the program (ttyd without tmux): a session then has its writer
   * alone, `addViewers` refuses, and scenarios that need several members of one terminal skip this system.
   */
  readonly sharesTerminal: boolean;
  /** The ids of the only scenarios this system runs (a variant measured for one question); undefined: all. */
  readonly scenarios?: readonly string[];
  /** `true`, or why this system cannot run here (e.g. "TTYD_BIN not set"); the table then says so. */
  available(): Promise<true | string>;
  /**
   * Starts (or reuses) the system's server and one shared terminal running `workload`, with a writer attached:
   * a 'full' one (the default) parses like a browser; a 'light' one only scans, for scenarios where the writer is
   * one of the measured receivers of a flood and a parser in the load generator would steal the server's CPU.
   */
  start(workload: Workload, size: { cols: number; rows: number }, writerKind?: ViewerKind): Promise<Session>;
  /** Stops everything the system started. */
  dispose(): Promise<void>;
}
