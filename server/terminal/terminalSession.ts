// TerminalSession: what a room needs from the program it shares — a local pty, or a shell on another host.

import type { IDisposable } from '../shared/disposable.js';
import type { Event } from '../shared/emitter.js';
import type { InputResult } from './ptyInput.js';
import type { ProcessIdentity } from './processTree.js';
import type { TelemetrySample } from './processTelemetry.js';
import type { Clock } from '../util/clock.js';

export interface SessionExit {
  exitCode: number;
  /** Signal name when the program was ended by a signal. */
  signal?: string;
  /**
   * Why a session that is not a local process ended, when it was not the program's own choice (the host went
   * away, sign-in failed); shown to members as the room's end. Undefined for a program that exited.
   */
  cause?: SessionEndCause;
}

/** Why a remote session ended without its program exiting; see SessionExit.cause. */
export type SessionEndCause = 'host-gone' | 'auth-failed' | 'connection-closed';

/** What room telemetry samples: undefined once there is nothing (left) to read; a remote source answers later. */
export interface TelemetrySource {
  sample(): TelemetrySample | undefined | Promise<TelemetrySample | undefined>;
}

export interface TerminalSession extends IDisposable {
  /**
   * The program's output as raw bytes, in order. Bytes and not text: a file transfer (ZMODEM) runs over the same
   * stream and is not UTF-8; the room decodes what is terminal output.
   */
  readonly onData: Event<Uint8Array>;
  /** Fires once, after the output has been read to its end. */
  readonly onExit: Event<SessionExit>;
  /** Fires once, after onExit, when nothing the program started is left running. */
  readonly onTreeEnded: Event<void>;
  /** The local process and its start time; undefined for a session whose program runs elsewhere. */
  readonly identity: ProcessIdentity | undefined;
  /** The local process id; undefined for a session whose program runs elsewhere. */
  readonly pid: number | undefined;
  readonly cols: number;
  readonly rows: number;
  /** Input for the program (text is sent as UTF-8); 'full' while it is not reading and the pending input is at its cap. */
  write(data: string | Uint8Array): InputResult;
  /** Input bytes accepted and not yet taken by the program's side. */
  readonly pendingInput: number;
  resize(cols: number, rows: number): void;
  /** Stops reading output, so the program blocks on its writes (flow control). */
  pause(): void;
  resume(): void;
  /**
   * Ends the program: a hangup, then, `graceMs` later, a kill of whatever is left. Resolves once onExit fired and
   * nothing of it is left. Calling it again only ever shortens the grace.
   */
  terminate(graceMs?: number): Promise<void>;
  /**
   * Telemetry of where the program runs, for a session that reads it its own way (a remote host over its connection);
   * absent: the room samples the local process session by its identity.
   */
  telemetry?(clock: Clock): TelemetrySource | undefined;
}

/** Opens the session a room shares, at the room's first size; the room owns and disposes what it returns. */
export type SessionFactory = (size: { cols: number; rows: number }) => TerminalSession;
