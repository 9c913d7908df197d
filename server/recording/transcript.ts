// The command transcript: who entered which command, read back from a recording. Its output is replayed into a
// headless xterm configured like the mirror, and at each `enter:` marker the command line is read off the screen,
// so nothing typed is ever stored: what the screen never showed (a password at a no-echo prompt) is not in it.

import type { IDisposable } from '../shared/disposable.js';
import { createHeadlessTerminal, type HeadlessTerminal } from '../terminal/headlessTerminal.js';
import { readAsciicast, wholeLinesLength, type AsciicastEvent, type AsciicastHeader } from './asciicast.js';

export const TranscriptLimits = {
  /**
   * Lines the replay keeps above the screen: only the line the cursor leaves is read, so this need only hold a
   * long command wrapped over many rows.
   */
  Scrollback: 1_000,
  /** UTF-16 units of output queued into the replay before waiting for it to be parsed: bounds its memory. */
  ParseAheadUnits: 1024 * 1024,
} as const;

/** How a command was found: read from the screen, or why it could not be. */
export type TranscriptSource =
  /** The line the cursor left after the Enter (prompt included: a screen does not say where a prompt ends). */
  | 'screen'
  /** Enter inside a full-screen program (the alternate screen): its screen holds no command line. */
  | 'full-screen'
  /** No line was left after the Enter before the next command or the end (see readTranscript). */
  | 'unseen';

export interface TranscriptEntry {
  /** ISO 8601: the recording's start plus the marker's time. */
  time: string;
  memberId: string;
  name: string;
  /** The command line as the screen showed it; null unless `source` is 'screen'. */
  command: string | null;
  source: TranscriptSource;
}

/** `enter: NAME [ID]` (RecordingMarkers.enter): the member's name and id, or undefined for another marker. */
export function parseEnterMarker(label: string): { name: string; memberId: string } | undefined {
  const match = /^enter: (.*) \[([^\]]+)\]$/s.exec(label);
  return match ? { name: match[1]!, memberId: match[2]! } : undefined;
}

/** An Enter waiting for the cursor to leave its line. */
interface PendingEnter {
  entry: TranscriptEntry;
  batch: Batch;
}

/**
 * Enter presses with no output between them (a paste of several lines, or keys sent together). The first one's
 * command is the next line the cursor leaves. The shell echoes the others after the first command's output, so
 * each of them takes the next line left that starts with the prompt the first one was typed at (the text before
 * the cursor when the batch arrived); at column 0 (a program reading lines) simply the next line left.
 */
interface Batch {
  prompt: string;
  /** The first Enter's line was read. */
  started: boolean;
}

/** Replays one recording and collects its entries. */
class TranscriptReplay implements IDisposable {
  readonly entries: TranscriptEntry[] = [];
  private readonly terminal: HeadlessTerminal;
  private readonly disposables: IDisposable[];
  private pending: PendingEnter[] = [];

  constructor(header: AsciicastHeader) {
    const { terminal, guards } = createHeadlessTerminal({ cols: header.width, rows: header.height, scrollback: TranscriptLimits.Scrollback });
    this.terminal = terminal;
    this.disposables = [...guards, terminal.onLineFeed(() => this.lineLeft()), terminal];
  }

  /** Queues output; resolves at once unless ParseAheadUnits are waiting to be parsed. */
  output(data: string, queued: number): Promise<void> | undefined {
    this.terminal.write(data);
    return queued >= TranscriptLimits.ParseAheadUnits ? this.parsed() : undefined;
  }

  resize(cols: number, rows: number): void {
    this.terminal.write('', () => this.terminal.resize(cols, rows));
  }

  /** An Enter at this point of the output: handled once everything before it is parsed. */
  enter(entry: TranscriptEntry, batch: Batch, firstOfBatch: boolean): void {
    this.entries.push(entry);
    this.terminal.write('', () => {
      if (this.terminal.buffer.active.type === 'alternate') {
        entry.source = 'full-screen';
        return;
      }
      if (firstOfBatch) {
        // The earlier batches' Enters whose lines never showed stay unseen rather than take this one's lines.
        this.pending = [];
        batch.prompt = this.textBeforeCursor();
      }
      this.pending.push({ entry, batch });
    });
  }

  /** Resolves once everything written so far is parsed. */
  parsed(): Promise<void> {
    return new Promise((resolve) => this.terminal.write('', resolve));
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** A line feed (LF, VT, FF, IND, NEL) just moved the cursor down: the line above it is the one it left. */
  private lineLeft(): void {
    const head = this.pending[0];
    if (!head) return;
    const buffer = this.terminal.buffer.active;
    if (buffer.type === 'alternate') {
      // A full-screen program started before the shell's line feed: its lines are no command line.
      for (const { entry } of this.pending) entry.source = 'full-screen';
      this.pending = [];
      return;
    }
    const row = buffer.baseY + buffer.cursorY - 1;
    if (row < 0) return;
    const text = this.logicalLineEndingAt(row);
    if (head.batch.started && !text.startsWith(head.batch.prompt)) return;
    if (!head.batch.started && !text.startsWith(head.batch.prompt)) head.batch.prompt = '';
    head.batch.started = true;
    head.entry.command = text;
    head.entry.source = 'screen';
    this.pending.shift();
  }

  /** The text of the line the cursor is on, from its start (its first row, when wrapped) to the cursor. */
  private textBeforeCursor(): string {
    const buffer = this.terminal.buffer.active;
    const row = buffer.baseY + buffer.cursorY;
    let start = row;
    while (start > 0 && buffer.getLine(start)?.isWrapped) start--;
    let text = '';
    for (let at = start; at < row; at++) text += buffer.getLine(at)?.translateToString(false) ?? '';
    return text + (buffer.getLine(row)?.translateToString(false, 0, buffer.cursorX) ?? '');
  }

  /** The whole text of the (maybe wrapped) line whose last row is `row`, without trailing blanks. */
  private logicalLineEndingAt(row: number): string {
    const buffer = this.terminal.buffer.active;
    let start = row;
    while (start > 0 && buffer.getLine(start)?.isWrapped) start--;
    let text = '';
    // Rows that wrap keep their blanks: a space at a row's end is part of the command.
    for (let at = start; at < row; at++) text += buffer.getLine(at)?.translateToString(false) ?? '';
    return (text + (buffer.getLine(row)?.translateToString(true) ?? '')).trimEnd();
  }
}

/**
 * The commands entered in a recording, in order, each with who entered it. Reads the file as a stream: only the
 * replay's screen and the entries are held. `length` (default: up to its last whole line) bounds what is read
 * of a file still being written. `onMarker` hears every marker on the way (its ISO time and label), so a caller
 * that wants other markers too (the bundle's chat) needs no second pass over the file.
 */
export async function readTranscript(
  path: string,
  length?: number,
  onMarker?: (time: string, label: string) => void,
): Promise<TranscriptEntry[]> {
  const readable = length ?? await wholeLinesLength(path);
  let replay: TranscriptReplay | undefined;
  let startMs = 0;
  let queued = 0;
  let batch: Batch | undefined;
  try {
    for await (const item of readAsciicast(path, readable)) {
      if (!('code' in item)) {
        replay = new TranscriptReplay(item);
        startMs = item.timestamp * 1000;
        continue;
      }
      if (!replay) break;
      const event: AsciicastEvent = item;
      if (event.code === 'o') {
        batch = undefined;
        queued += event.data.length;
        const wait = replay.output(event.data, queued);
        if (wait) {
          await wait;
          queued = 0;
        }
      } else if (event.code === 'r') {
        batch = undefined;
        const size = /^(\d+)x(\d+)$/.exec(event.data);
        if (size) replay.resize(Number(size[1]), Number(size[2]));
      } else if (event.code === 'm') {
        const time = new Date(startMs + Math.round(event.time * 1000)).toISOString();
        onMarker?.(time, event.data);
        const member = parseEnterMarker(event.data);
        if (!member) continue;
        const firstOfBatch = batch === undefined;
        batch ??= { prompt: '', started: false };
        replay.enter({ time, memberId: member.memberId, name: member.name, command: null, source: 'unseen' }, batch, firstOfBatch);
      }
    }
    if (!replay) return [];
    await replay.parsed();
    return replay.entries;
  } finally {
    replay?.dispose();
  }
}

/** `HH:MM:SS` of an ISO time, in UTC (the bundle's README says so). */
export function clockTime(iso: string): string {
  return iso.slice(11, 19);
}

const UNREAD: Record<Exclude<TranscriptSource, 'screen'>, string> = {
  'full-screen': '(Enter in a full-screen program)',
  unseen: '(no command line on the screen)',
};

/** The transcript as plain text: one line per command, `HH:MM:SS  NAME  command` (UTC). */
export function renderTranscript(entries: readonly TranscriptEntry[]): string {
  return entries.map((entry) => `${clockTime(entry.time)}  ${printable(entry.name)}  ${entry.source === 'screen' ? printable(entry.command ?? '') : UNREAD[entry.source]}\n`).join('');
}

/** Control characters shown as U+FFFD, so a name or a screen line cannot break the text file's lines. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}
