// Flow control as one contract: every budget, water mark, pace and cap between the pty and a member's terminal.
// Their relations are checked in test/unit/flowControl.test.ts. No imports, so the browser client can use it too.
// Units: UTF-16 code units (the stream offset unit) unless a name says bytes or ms.

/** The pty is read as fast as it writes and paced only by the mirror, never by a member. */
export const MirrorFlowControl = {
  /**
   * Pause reading the PTY when the mirror has this many unparsed code units (xterm.js flow-control
   * guide): the child then blocks on write, so a flood cannot outrun the one parser that matters.
   */
  HighWater: 1024 * 1024,
  /** Resume once the mirror is back under this, leaving it enough queued work to stay busy. */
  LowWater: 256 * 1024,
  /**
   * Members get output as soon as it is read, ahead of the mirror's parse (in a worker thread). A joiner's
   * snapshot is taken at the parsed offset and brought forward from the history, and a mirror whose worker
   * died is rebuilt from its newest checkpoint plus the history, so the history must always hold what the
   * mirror may still owe and the newest checkpoint: this many units at least, whatever --resume-buffer says
   * (HighWater, one chunk past it, the flood checkpoint interval, slack).
   */
  MinHistoryUnits: 2 * 1024 * 1024,
} as const;

/** The mirror host (terminal/mirrorHost.ts, mirrorService.ts): progress reports and checkpoints. */
export const MirrorHostTiming = {
  /**
   * The worker reports its parsed offset at least this often during a flood (and whenever it has caught up):
   * the main thread's view of the backlog is then at most this stale, which the pty's pause/resume thresholds
   * absorb, at a few hundred messages a second instead of one per parsed slice.
   */
  ProgressEveryUnits: 64 * 1024,
  /** A mirror that got no output for this long (ms) is quiet: time for a full checkpoint, if worth one. */
  CheckpointQuietMs: 200,
  /** A full checkpoint (a serialize with all the scrollback) is worth it after this much new output... */
  CheckpointMinUnits: 16 * 1024,
  /** ...or once the last one is this old (ms) and anything changed (typing produces little output). */
  CheckpointMaxAgeMs: 10_000,
  /**
   * During a flood that never goes quiet, a screen-only checkpoint every this many parsed units: cheap (one
   * screen), and always inside the room's history, so a mirror rebuilt after its worker died has an exact
   * screen (the scrollback since the last full checkpoint is what a crash mid-flood can lose).
   */
  FloodCheckpointUnits: 512 * 1024,
} as const;

/** A fact about the reads the flow depends on, not a setting. */
export const PtyReads = {
  /**
   * libuv reads a stream into buffers of 64 KiB, so one pty read decodes to at most this many code units
   * (a UTF-8 byte never becomes more than one unit; the decoder may carry 3 bytes over from the last read).
   */
  MaxReadUnits: 64 * 1024 + 3,
} as const;

/** Leading-edge coalescing of pty output (terminal/outputBatcher.ts). */
export const BatchLimits = {
  /**
   * After a flush, further output is gathered for this long before the next flush: long enough to
   * merge a flood's many small reads into one emit per room, short enough to stay under a frame.
   */
  CoalesceMs: 8,
  /** Flush at once past this many code units, so a burst never waits and batches stay modest. */
  MaxBatch: 64 * 1024,
  /**
   * Only a flush at least this large opens the window: echoes and prompts (a few to a few hundred units) are
   * never held back, even when keys come faster than the window, while a flood (pty reads of up to a page,
   * 4 KiB) is coalesced from its first read on.
   */
  WindowAfterUnits: 1024,
} as const;

export const ParseScheduling = {
  /**
   * Code units parsed in one turn before sockets and other rooms get the thread again: about 0.3 ms at
   * this machine's 30 MB/s. xterm's own write() parses for up to 12 ms at a time, which is what another
   * room's flood then adds to every echo; small slices keep a flood from delaying anyone's keystrokes.
   */
  SliceUnits: 8 * 1024,
} as const;

/** The room's recent stream, for resumes and for bringing snapshots forward (rooms/streamHistory.ts). */
export const HistoryDefaults = {
  /**
   * Output kept for resuming, in UTF-16 code units (the offset unit): a few seconds of a busy build log,
   * or many minutes of interactive use, so a short network drop costs the member nothing but this replay.
   */
  CapacityUnits: 2 * 1024 * 1024,
  /**
   * What each held event costs on top of its text, in the same units: keystroke echoes come one or two
   * characters a chunk, and the bookkeeping of 2 Mi one-character chunks would dwarf their text.
   */
  EventOverheadUnits: 64,
} as const;

export const SnapshotLimits = {
  /**
   * Largest snapshot, in code units. Past it the oldest scrollback is left out (the screen itself is
   * always whole): 10 000 lines of plain 80-column text is under 1 Mi, but the same lines with a colour
   * change in every cell could reach 30 Mi, more than a joining browser should have to parse at once.
   */
  MaxUnits: 4 * 1024 * 1024,
  /** Each retry keeps this share of the lines the size estimate allows, so one retry usually fits. */
  RetryKeepRatio: 0.9,
} as const;

/** One member's flow (rooms/memberFeed.ts): tmux's discard-and-redraw for a member that falls behind. */
export const MemberFlowControl = {
  /**
   * A member that fell further behind than this since its stream started is cut off from the live stream
   * and resynced with a snapshot once it has drained: for a member that acks, output sent and not yet acked
   * by its terminal; for one that does not, what is queued on its connection (roughly bytes). Its start (the
   * snapshot and the output that brings it forward) does not count. A frozen member costs the server at most
   * its start plus this (MaxQueuedBytes if it acks), and the room never waits for it. About a second of a
   * fast flood, or a dozen full screens.
   */
  BudgetUnits: 1024 * 1024,
  /**
   * A member that acks is also cut off past this many bytes queued on its connection after its start, so
   * one whose acks run ahead of what it reads still costs a bounded amount. UTF-8 takes up to 3 bytes a
   * code unit, so an honest member within its budget stays under this.
   */
  MaxQueuedBytes: 3 * 1024 * 1024,
  /** A member that was cut off gets a fresh snapshot once what it still has to take in is below this. */
  ResumeBelowUnits: 64 * 1024,
  /** How often members that were cut off are checked for having drained (acks also trigger a check). */
  DrainCheckMs: 100,
} as const;

/** Flow control toward the server (`term:ack`) by the browser client (server/shared/roomClient.ts), in ms and code units. */
export const AckPolicy = {
  /** An ack is held back at most this long, so the server's idea of our progress is never older. */
  MaxDelayMs: 100,
  /** Ack at once after this much parsed output, so a fast stream is not paced by the timer alone. */
  MaxUnackedUnits: 256 * 1024,
} as const;

export const JoinPacing = {
  /**
   * Joiners' streams start one per event-loop turn: each start sends a snapshot of up to a few MB, and a
   * burst of them sent back to back would hold up every room's echo for the whole burst. In between,
   * sockets and other rooms get the thread.
   */
  StartsPerTurn: 1,
} as const;

export const SnapshotReuse = {
  /**
   * A joiner may get the cached snapshot plus the output since, instead of a new serialize, while that
   * output is at most this many code units: a burst of joiners during a flood then costs one or two
   * serializes, and what a joiner's terminal parses before it shows the present stays modest.
   */
  MaxCatchUpUnits: MemberFlowControl.BudgetUnits / 2,
} as const;

export const MemberListPacing = {
  /**
   * The member list goes to every member on each change, so a class of N arriving at once would cost N
   * lists of N entries to N members. The first change is sent at once; further changes within this many
   * ms are sent together, once, with the list as it then is.
   */
  CoalesceMs: 100,
} as const;

/** Input toward the pty (terminal/ptyInput.ts). */
export const InputLimits = {
  /**
   * Input accepted but not yet taken by the kernel, in bytes. node-pty's own writer queues without bound
   * and retries EAGAIN from setImmediate, a busy loop (node-pty #956): a 50 MB paste into a program that
   * does not read would hold 50 MB and spin a core. Past this, input is refused instead.
   */
  MaxPendingBytes: 1024 * 1024,
  /** Wait before retrying once the kernel's input buffer is full: a timer, so a stuck program costs no CPU. */
  RetryMs: 10,
  /** Read size when discarding unread input (the kernel holds a few KiB per terminal). */
  DiscardReadBytes: 64 * 1024,
  /** Upper bound on discarded input, in case a writer refills the buffer as fast as we empty it. */
  MaxDiscardBytes: 4 * 1024 * 1024,
} as const;

/** A ZMODEM transfer between the program and one member (rooms/fileTransfer.ts), in bytes and ms. */
export const TransferFlowControl = {
  /**
   * Stop reading the program (sz then blocks on its writes) while this much is queued toward the transfer's
   * member: a 5 MB download to a slow browser costs the server about this, not the file.
   */
  HighWaterBytes: 1024 * 1024,
  /** Read again once the member's queue is under this: enough left to keep its link busy. */
  LowWaterBytes: 256 * 1024,
  /** How often a paused transfer checks the member's queue, and a held upload ack the program's input queue. */
  DrainCheckMs: 10,
  /**
   * An upload chunk is acknowledged only while the program's unread input is under this, so the member sends
   * no faster than rz reads (TransferLimits.ClientInFlightBytes in flight on top stays under InputLimits.MaxPendingBytes).
   */
  InputLowWaterBytes: 256 * 1024,
} as const;
