// The keys that leave `ttyroom attach` without ending the room — a detach key pressed twice (Ctrl-\ by
// default, as Ctrl-P Ctrl-Q is docker's) and ssh's escape `~.` at the start of a line — and the other escape
// commands (`~h` raises or lowers your hand, `~?` lists them). Everything else goes on to the room.

import { ConfigError } from '../util/configError.js';

export interface DetachKeyOptions {
  /** The control byte that detaches when pressed twice in a row; undefined turns it off. */
  detachByte?: number;
  /** The escape character for `~.`-style commands at the start of a line; undefined turns them off. */
  escapeChar?: string;
}

export const DEFAULT_DETACH_KEY = 'ctrl-\\';
export const DEFAULT_ESCAPE_CHAR = '~';

/** Bracketed paste's brackets: a paste is text, never a command, however it is laid out. */
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
/** What counts as the end of a line for the escape character: Enter sends CR in raw mode, a paste may hold LF. */
const LINE_ENDS = new Set(['\r', '\n']);
/** The escape commands: `~.` detaches, `~~` sends one escape character, and these. */
const DETACH_COMMAND = '.';
export const ESCAPE_COMMANDS = {
  /** Raise your hand, or lower it (asking for the keyboard from a terminal). */
  h: 'hand',
  /** List the escape commands (on the status line). */
  '?': 'help',
} as const;
export type EscapeCommand = (typeof ESCAPE_COMMANDS)[keyof typeof ESCAPE_COMMANDS];

/** `ctrl-X` (a letter, or one of `\ ] ^ _ @ [`) → its control byte; `none` → undefined. */
export function parseDetachKey(text: string): number | undefined {
  if (text === 'none') return undefined;
  const match = /^(?:ctrl|c)-(.)$/i.exec(text);
  if (match) {
    const key = match[1]!.toUpperCase();
    const code = key.charCodeAt(0);
    // Ctrl turns @ A–Z [ \ ] ^ _ (0x40–0x5f) into 0x00–0x1f; Ctrl-@ (NUL) and Ctrl-[ (ESC) start other keys' sequences.
    if (code > 0x40 && code <= 0x5f && key !== '[') return code - 0x40;
  }
  throw new ConfigError(`--detach-key: expected ctrl-LETTER, ctrl-\\, ctrl-], ctrl-^, ctrl-_ or none, not ${JSON.stringify(text)}`);
}

/** One printable ASCII character, or `none`. */
export function parseEscapeChar(text: string): string | undefined {
  if (text === 'none') return undefined;
  if (/^[\x21-\x7e]$/.test(text)) return text;
  throw new ConfigError(`--escape: expected one printable character or none, not ${JSON.stringify(text)}`);
}

/** How a detach key reads in a hint: `Ctrl-\`. */
export function describeDetachByte(byte: number): string {
  return `Ctrl-${String.fromCharCode(byte + 0x40)}`;
}

export interface FilteredInput {
  /** What goes to the room. */
  forward: string;
  /** The user asked to leave; `forward` holds what came before the request. */
  detach: boolean;
  /** Escape commands typed, in order (none leaves; only `~.` does). */
  commands: EscapeCommand[];
}

/**
 * Reads the local keyboard for the detach requests. A first detach key, and an escape character at the start
 * of a line, are held back until the next key says what they were: the key is sent on when it turns out not to
 * be a request. Never looks inside a bracketed paste.
 */
export class DetachKeys {
  private heldDetach = false;
  private heldEscape = false;
  /** At the start of a line, where the escape character is a command (true at first, as in ssh). */
  private lineStart = true;
  private inPaste = false;
  /** The last characters of a paste read so far, in case its end marker is split across reads. */
  private pasteTail = '';

  constructor(private readonly options: DetachKeyOptions) {}

  feed(data: string): FilteredInput {
    let forward = '';
    const commands: EscapeCommand[] = [];
    let i = 0;
    while (i < data.length) {
      if (this.inPaste) {
        // The paste's end may be split across reads: look for it with the tail of the last read in front.
        const text = this.pasteTail + data.slice(i);
        const end = text.indexOf(PASTE_END);
        const stop = end === -1 ? data.length : i + end + PASTE_END.length - this.pasteTail.length;
        forward += data.slice(i, stop);
        if (end !== -1) {
          this.inPaste = false;
          this.pasteTail = '';
        } else {
          this.pasteTail = text.slice(-(PASTE_END.length - 1));
        }
        this.lineStart = false;
        i = stop;
        continue;
      }
      if (data.startsWith(PASTE_START, i)) {
        forward += this.release();
        this.inPaste = true;
        continue;
      }
      const char = data[i]!;
      i += 1;
      if (this.heldDetach) {
        this.heldDetach = false;
        if (char.charCodeAt(0) === this.options.detachByte) return { forward, detach: true, commands };
        forward += String.fromCharCode(this.options.detachByte!);
        this.lineStart = false;
      }
      if (this.heldEscape) {
        this.heldEscape = false;
        if (char === DETACH_COMMAND) return { forward, detach: true, commands };
        const command = (ESCAPE_COMMANDS as Record<string, EscapeCommand | undefined>)[char];
        if (command !== undefined) {
          commands.push(command);
          // Still at the start of the line: another command may follow, as in ssh.
          continue;
        }
        // `~~` is one `~`; any other key sends the `~` and itself.
        forward += this.options.escapeChar!;
        this.lineStart = false;
        if (char === this.options.escapeChar) continue;
      }
      if (this.options.detachByte !== undefined && char.charCodeAt(0) === this.options.detachByte) {
        this.heldDetach = true;
        continue;
      }
      if (this.lineStart && this.options.escapeChar !== undefined && char === this.options.escapeChar) {
        this.heldEscape = true;
        continue;
      }
      forward += char;
      this.lineStart = LINE_ENDS.has(char);
    }
    return { forward, detach: false, commands };
  }

  /** Sends on a held key before something that cannot complete a request (a paste). */
  private release(): string {
    let released = '';
    if (this.heldDetach) released += String.fromCharCode(this.options.detachByte!);
    if (this.heldEscape) released += this.options.escapeChar!;
    this.heldDetach = false;
    this.heldEscape = false;
    return released;
  }
}
